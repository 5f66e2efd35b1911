"""lesson kind, languages, translations; question template_id

Lessons gain their kind ("lesson" or "listening"), the languages all their texts are in and
their declared translations; questions gain the template a generated practice item comes
from (NULL for hand-written questions, the only ones a lesson asks itself).

Existing lessons become kind "lesson" in their pack's languages; the next
`yachay content import` fills in the rest.

Every change is a plain ALTER TABLE, also on SQLite (ADD COLUMN; DROP COLUMN since SQLite
3.35): batch mode must not rebuild `lessons`, since dropping the old table fails while
foreign keys are on and questions, progress or answers point at it.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 04:03:06.382827
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("lessons", schema=None, recreate="never") as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=16), server_default="lesson", nullable=False)
        )
        batch_op.add_column(sa.Column("languages", sa.JSON(), server_default="[]", nullable=False))
        batch_op.add_column(
            sa.Column("translations", sa.JSON(), server_default="{}", nullable=False)
        )

    with op.batch_alter_table("questions", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("template_id", sa.String(length=80), nullable=True))
        batch_op.create_index(batch_op.f("ix_questions_template_id"), ["template_id"], unique=False)

    op.execute(
        "UPDATE lessons SET languages = "
        "(SELECT content_packs.languages FROM content_packs WHERE content_packs.id = lessons.pack_id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("questions", schema=None, recreate="never") as batch_op:
        batch_op.drop_index(batch_op.f("ix_questions_template_id"))
        batch_op.drop_column("template_id")

    with op.batch_alter_table("lessons", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("translations")
        batch_op.drop_column("languages")
        batch_op.drop_column("kind")
