"""A turn meeting a locked or vanished PostgreSQL: bounded waits, the same step asked again,
nothing half stored."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from tests.calls.test_concurrency import AT, said, student_with_two_calls
from tests.test_calls import PROMPTS
from yachay.calls import CallService
from yachay.calls.service import TurnFailed
from yachay.content.prompts import Prompts
from yachay.db import models as m
from yachay.db.database import Database
from yachay.flows.engine import Timing
from yachay.flows.resume import Keys


def test_a_turn_blocked_by_a_lock_replays_its_step_then_goes_on(pg: Database) -> None:
    calls = CallService(pg, Prompts.load(PROMPTS), Timing())
    sid, _, student_id = student_with_two_calls(calls, pg, "locked")
    with pg.session() as session:
        menu = session.get(m.Call, sid).last_reply
    assert menu.startswith("1|")
    blocker = pg.engine.connect()
    transaction = blocker.begin()
    # Another transaction (a slow report, a stuck worker) holds the call's row.
    blocker.execute(text("SELECT 1 FROM calls WHERE sid = :sid FOR UPDATE"), {"sid": sid})
    try:
        reply = calls.resume(sid, 1, Keys("1", AT), said)
    finally:
        transaction.rollback()
        blocker.close()
    # The caller hears the same menu again, whose keys still answer step 1.
    assert reply == menu
    with pg.session() as session:
        call = session.get(m.Call, sid)
        assert call.step == 1
        progress = session.scalar(
            select(func.count())
            .select_from(m.LessonProgress)
            .where(m.LessonProgress.student_id == student_id)
        )
        assert progress == 0
    # The lock gone, the same key is taken.
    assert calls.resume(sid, 1, Keys("1", AT), said).startswith("2|Empezamos la lección")


def test_with_the_database_gone_a_turn_fails_clearly(postgres_to_stop) -> None:  # noqa: ANN001
    database, server = postgres_to_stop
    calls = CallService(database, Prompts.load(PROMPTS), Timing())
    sid, _, _ = student_with_two_calls(calls, database, "gone")
    server.stop()
    with pytest.raises(TurnFailed, match="unavailable"):
        calls.resume(sid, 1, Keys("1", AT), said)
    assert calls.language_of(sid) == "es"


def test_a_database_that_accepts_but_never_answers_fails_the_turn_not_the_caller() -> None:
    """A hung PostgreSQL (the connection is accepted, no reply ever comes): the connect
    timeout ends the wait, so the route can still apologise before Twilio gives up."""
    import socket

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)  # accepted by the kernel, never answered
    port = silent.getsockname()[1]
    database = Database(f"postgresql+psycopg://yachay@127.0.0.1:{port}/yachay")
    try:
        calls = CallService(database, Prompts.load(PROMPTS), Timing())
        with pytest.raises(TurnFailed, match="unavailable") as failed:
            calls.resume("CA-hung", 1, Keys("1", AT), said)
        assert "timeout" in str(failed.value.__cause__).lower()
        assert calls.language_of("CA-hung") == "es"
    finally:
        database.dispose()
        silent.close()
