"""answers.raw_response_ms: response times from the end of the question

``answers.response_ms`` now runs from when the question's last choice had been heard (the
spoken length of what the turn said, `yachay.flows.speech`); the time from when the reply
left the server, listening included, is kept in ``raw_response_ms``. Earlier answers were
timed the old way: their time moves to ``raw_response_ms`` and ``response_ms`` becomes
unknown (NULL), so a model never reads two kinds of time under one name. Downgrading puts
the raw times back.

Revision ID: 0008
Revises: 0010
Create Date: 2026-12-05 11:15:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("answers", sa.Column("raw_response_ms", sa.Integer(), nullable=True))
    op.execute("UPDATE answers SET raw_response_ms = response_ms, response_ms = NULL")


def downgrade() -> None:
    op.execute("UPDATE answers SET response_ms = raw_response_ms WHERE raw_response_ms IS NOT NULL")
    op.drop_column("answers", "raw_response_ms")
