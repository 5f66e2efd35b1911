"""SQLite sessions: writers queue, readers never wait for them."""

from __future__ import annotations

from sqlalchemy import func, select

from yachay.db import migrate
from yachay.db import models as m
from yachay.db.database import Database


def test_a_read_inside_a_write_transaction_does_not_wait_for_it(tmp_path):
    url = f"sqlite:///{tmp_path / 'd.db'}"
    migrate.upgrade(url)
    db = Database(url)
    with db.session() as writer:
        writer.add(m.Student(phone="+51900000000", language="es", grade=1))
        writer.flush()
        with db.read_session() as reader:  # would fail with "database is locked" otherwise
            assert reader.scalar(select(func.count()).select_from(m.Student)) == 0
    with db.read_session() as reader:
        assert reader.scalar(select(func.count()).select_from(m.Student)) == 1
    db.dispose()
