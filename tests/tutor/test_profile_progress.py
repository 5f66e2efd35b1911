"""The progress a child hears on the phone includes their learner profile (real database)."""

from __future__ import annotations

from datetime import datetime

from tests.tutor.tutor_db import add_students, make_database
from yachay.calls.sql_catalog import SqlCatalog


def test_the_progress_view_describes_how_the_child_learns(tmp_path):
    _, db = make_database(tmp_path)
    (learner,) = add_students(db, 1, answers_each=40)
    (newcomer,) = add_students(db, 1, answers_each=2, seed=1, first_phone=10)
    with db.session() as session:
        catalog = SqlCatalog(session)
        profile = catalog.progress(learner, datetime(2026, 3, 10)).profile
        assert profile and any("Suele responder en" in s for s in profile)
        assert any("tema más fuerte" in s for s in profile)
        assert catalog.progress(newcomer, datetime(2026, 3, 10)).profile == ()
