"""predictions: what the tutor predicted for each question it chose, joined to the answer

Revision ID: 0006
Revises: 0003
Create Date: 2026-12-05 10:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "predictions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_sid", sa.String(length=64), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(length=120), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("model_version", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("predicted_at", sa.DateTime(), nullable=False),
        sa.Column("answer_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["answer_id"], ["answers.id"], name=op.f("fk_predictions_answer_id_answers")
        ),
        sa.ForeignKeyConstraint(
            ["question_id"], ["questions.id"], name=op.f("fk_predictions_question_id_questions")
        ),
        sa.ForeignKeyConstraint(
            ["student_id"], ["students.id"], name=op.f("fk_predictions_student_id_students")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_predictions")),
        sa.UniqueConstraint("answer_id", name=op.f("uq_predictions_answer_id")),
    )
    op.create_index(
        "ix_predictions_call_question", "predictions", ["call_sid", "question_id"], unique=False
    )
    op.create_index(
        op.f("ix_predictions_predicted_at"), "predictions", ["predicted_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_predictions_predicted_at"), table_name="predictions")
    op.drop_index("ix_predictions_call_question", table_name="predictions")
    op.drop_table("predictions")
