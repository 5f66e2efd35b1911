"""0008: answers timed the old way keep their time as the raw one, and come back on a downgrade."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from yachay.db import migrate


def test_old_times_become_raw_times_and_a_downgrade_restores_them(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    migrate.upgrade(url, "0002")
    engine = create_engine(url)  # foreign keys off: answers without their students
    with engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO answers (id, student_id, question_id, choice, correct, "
                "response_ms, call_sid, step, answered_at) VALUES "
                "(1, 1, 'q1', 1, 1, 9100, 'CA1', 1, '2026-12-01 15:00:00'), "
                "(2, 1, 'q2', 2, 0, NULL, 'CA1', 2, '2026-12-01 15:01:00')"
            )
        )
    migrate.upgrade(url)
    with engine.connect() as c:
        rows = c.execute(text("SELECT response_ms, raw_response_ms FROM answers ORDER BY id"))
        assert rows.all() == [(None, 9100), (None, None)]
    migrate.downgrade(url, "0002")
    with engine.connect() as c:
        rows = c.execute(text("SELECT response_ms FROM answers ORDER BY id"))
        assert rows.all() == [(9100,), (None,)]
    engine.dispose()
