"""user language: the language a parent's or teacher's call speaks

Adds `users.language` ("es" by default). A parent already registered keeps hearing what the
calls gave them until now, their first child's language; everyone else starts in Spanish.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("language", sa.String(length=8), server_default="es", nullable=False)
        )
    # Until now a parent heard their first child's language (the lowest student id).
    op.execute(
        """
        UPDATE users SET language = (
            SELECT students.language FROM parent_children
            JOIN students ON students.id = parent_children.student_id
            WHERE parent_children.parent_id = users.id
            ORDER BY students.id LIMIT 1
        )
        WHERE role = 'parent' AND EXISTS (
            SELECT 1 FROM parent_children WHERE parent_children.parent_id = users.id
        )
        """
    )


def downgrade() -> None:
    # In place, not as a batch: on SQLite a batch rebuilds `users`, and dropping the old table
    # fails once other tables' rows reference it (foreign keys are on). SQLite 3.35+ drops
    # a column in place.
    op.drop_column("users", "language")
