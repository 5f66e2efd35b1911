"""recordings heard: which students heard each approved class recording

A teacher's approved lesson or announcement plays before a student's main menu until the
student has heard (or skipped) it; this table remembers that, one row per student and
recording. Only a new table: nothing existing changes.

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "recordings_heard",
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("recording_id", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Boolean(), nullable=False),
        sa.Column("call_sid", sa.String(length=64), nullable=False),
        sa.Column("heard_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recording_id"],
            ["class_recordings.id"],
            name=op.f("fk_recordings_heard_recording_id_class_recordings"),
        ),
        sa.ForeignKeyConstraint(
            ["student_id"], ["students.id"], name=op.f("fk_recordings_heard_student_id_students")
        ),
        sa.PrimaryKeyConstraint("student_id", "recording_id", name=op.f("pk_recordings_heard")),
    )
    with op.batch_alter_table("recordings_heard", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_recordings_heard_recording_id"), ["recording_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("recordings_heard", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recordings_heard_recording_id"))
    op.drop_table("recordings_heard")
