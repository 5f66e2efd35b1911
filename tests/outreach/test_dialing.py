"""Outbound calls through the real `twilio` library, against a stand-in for its REST API:
what is sent, quiet hours, the pace, retries, refusals, and every try stored."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.outreach.conftest import ACCOUNT, FROM, PUBLIC, add_student, lima, outreach_settings
from tests.outreach.test_throttle import FakeTime
from yachay.db import models as m
from yachay.db.database import Database
from yachay.outreach.service import Outreach
from yachay.outreach.throttle import LocalThrottle

NOON = lima("2026-12-07", "12:00")


@pytest.fixture
def database(any_database: Database) -> Database:
    """Every test here runs on SQLite and on PostgreSQL."""
    return any_database


def make(tmp_path, database, twilio_api, at=NOON, **extra):  # noqa: ANN001, ANN201
    now = {"t": at}
    t = FakeTime()
    outreach = Outreach(
        database,
        outreach_settings(tmp_path, database, twilio_api, **extra),
        throttle=LocalThrottle(1.0, clock=t.clock, sleep=t.sleep),
        due_students=lambda session, when: set(),
        now=lambda: now["t"],
    )
    return outreach, now, t


def test_a_teacher_callback_is_placed_with_status_callback_and_machine_detection(
    tmp_path, database, twilio_api
):
    student = add_student(database, "+51987000001", "Ana")
    outreach, _, _ = make(tmp_path, database, twilio_api)
    call_id = outreach.calls.teacher_callback(student, NOON, note="pregunta sobre fracciones")
    assert outreach.tick() == 1
    (sent,) = twilio_api.calls_created()
    assert sent.path == f"/2010-04-01/Accounts/{ACCOUNT}/Calls.json"
    assert (sent.user, sent.password) == (ACCOUNT, "test-auth-token-0123456789abcdef")
    assert sent.one("To") == "+51987000001"
    assert sent.one("From") == FROM
    with database.session() as session:
        attempt = session.scalars(select(m.OutboundAttempt)).one()
        row = session.get(m.OutboundCall, call_id)
        assert sent.one("Url") == f"{PUBLIC}/voice/outbound?attempt={attempt.id}"
        assert sent.one("StatusCallback") == f"{PUBLIC}/voice/outbound/status?attempt={attempt.id}"
        assert sent.form["StatusCallbackEvent"] == ["initiated", "ringing", "answered", "completed"]
        assert sent.one("MachineDetection") == "DetectMessageEnd"
        assert attempt.call_sid and attempt.call_sid.startswith("CA")
        assert attempt.local_minute == 12 * 60
        assert (row.state, row.tries, row.kind) == ("dialing", 1, "teacher_callback")
    assert outreach.tick() == 0, "a call being placed is not placed again"


def test_nothing_is_placed_in_quiet_hours_it_waits_for_the_morning(tmp_path, database, twilio_api):
    student = add_student(database, "+51987000002")
    night = lima("2026-12-07", "22:15")
    outreach, now, _ = make(tmp_path, database, twilio_api, at=night)
    call_id = outreach.calls.teacher_callback(student, night)
    assert outreach.tick() == 0
    assert twilio_api.calls_created() == []
    with database.session() as session:
        assert session.get(m.OutboundCall, call_id).next_try_at == lima("2026-12-08", "08:00")
    now["t"] = lima("2026-12-08", "07:59")
    assert outreach.tick() == 0
    now["t"] = lima("2026-12-08", "08:00")
    assert outreach.tick() == 1


def test_quiet_hours_are_configurable(tmp_path, database, twilio_api):
    student = add_student(database, "+51987000003")
    outreach, _, _ = make(tmp_path, database, twilio_api, quiet_hours="11:00-13:00")
    outreach.calls.teacher_callback(student, NOON)
    assert outreach.tick() == 0


def test_busy_and_unanswered_tries_are_retried_three_times_spaced(tmp_path, database, twilio_api):
    student = add_student(database, "+51987000004")
    outreach, now, _ = make(tmp_path, database, twilio_api)
    call_id = outreach.calls.teacher_callback(student, NOON)
    for try_number, status in enumerate(["busy", "no-answer", "no-answer"], start=1):
        assert outreach.tick() == 1
        with database.session() as session:
            attempt = session.scalars(
                select(m.OutboundAttempt).where(m.OutboundAttempt.try_number == try_number)
            ).one()
            sid, attempt_id = attempt.call_sid, attempt.id
        assert outreach.calls.status(attempt_id, sid, "ringing", 1, None, now["t"])
        assert outreach.calls.status(attempt_id, sid, status, 2, 0, now["t"])
        with database.session() as session:
            row = session.get(m.OutboundCall, call_id)
        if try_number < 3:
            assert row.state == "pending" and row.outcome == status
            wait = outreach.settings.retry_minutes[try_number - 1]
            assert row.next_try_at == now["t"] + timedelta(minutes=wait)
            assert outreach.tick() == 0, "not before the spacing has passed"
            now["t"] = row.next_try_at
        else:
            assert (row.state, row.outcome, row.tries) == ("gave_up", "no-answer", 3)
    assert len(twilio_api.calls_created()) == 3
    now["t"] += timedelta(hours=2)
    assert outreach.tick() == 0


def test_an_answered_call_is_done_and_late_callbacks_change_nothing(tmp_path, database, twilio_api):
    student = add_student(database, "+51987000005")
    outreach, now, _ = make(tmp_path, database, twilio_api)
    call_id = outreach.calls.teacher_callback(student, NOON)
    outreach.tick()
    with database.session() as session:
        attempt = session.scalars(select(m.OutboundAttempt)).one()
    row = outreach.calls.answered(attempt.id, attempt.call_sid, "human")
    assert row is not None and row.kind == "teacher_callback"
    outreach.calls.status(attempt.id, attempt.call_sid, "completed", 4, 95, now["t"])
    outreach.calls.status(attempt.id, attempt.call_sid, "ringing", 1, None, now["t"])
    outreach.calls.status(attempt.id, attempt.call_sid, "completed", 4, 95, now["t"])
    with database.session() as session:
        row = session.get(m.OutboundCall, call_id)
        attempt = session.get(m.OutboundAttempt, attempt.id)
        assert (row.state, row.outcome) == ("done", "answered")
        assert (attempt.status, attempt.answered_by, attempt.duration_seconds) == (
            "completed",
            "human",
            95,
        )
    assert not outreach.calls.status(attempt.id, "CA" + "f" * 32, "completed", 5, 1, now["t"])


def test_a_voicemail_counts_as_not_reached_and_is_tried_again(tmp_path, database, twilio_api):
    student = add_student(database, "+51987000006")
    outreach, now, _ = make(tmp_path, database, twilio_api)
    call_id = outreach.calls.teacher_callback(student, NOON)
    outreach.tick()
    with database.session() as session:
        attempt = session.scalars(select(m.OutboundAttempt)).one()
    outreach.calls.answered(attempt.id, attempt.call_sid, "machine_end_beep")
    outreach.calls.status(attempt.id, attempt.call_sid, "completed", 3, 20, now["t"])
    with database.session() as session:
        row = session.get(m.OutboundCall, call_id)
        assert (row.state, row.outcome) == ("pending", "machine")


def test_a_refused_call_is_stored_with_twilios_error_and_retried(tmp_path, database, twilio_api):
    student = add_student(database, "+51987000007")
    outreach, _, _ = make(tmp_path, database, twilio_api)
    call_id = outreach.calls.teacher_callback(student, NOON)
    twilio_api.failures.append((400, 21215))
    assert outreach.tick() == 0
    with database.session() as session:
        attempt = session.scalars(select(m.OutboundAttempt)).one()
        row = session.get(m.OutboundCall, call_id)
        assert attempt.status == "error" and "21215" in (attempt.error or "")
        assert (row.state, row.outcome) == ("pending", "error")


def test_calls_are_paced_to_the_accounts_calls_per_second(tmp_path, database, twilio_api):
    outreach, _, t = make(tmp_path, database, twilio_api)
    for i in range(4):
        outreach.calls.teacher_callback(add_student(database, f"+5198700010{i}"), NOON)
    assert outreach.tick() == 4
    assert t.slept == [1.0, 1.0, 1.0]


def test_one_phone_is_never_rung_twice_at_once(tmp_path, database, twilio_api):
    first = add_student(database, "+51987000200", "Ana")
    second = add_student(database, "+51987000200", "Luis")
    outreach, _, _ = make(tmp_path, database, twilio_api)
    outreach.calls.teacher_callback(first, NOON)
    outreach.calls.teacher_callback(second, NOON)
    assert outreach.tick() == 1
    assert outreach.tick() == 0


def test_a_missed_call_is_rung_back_once_however_often_it_rang(tmp_path, database, twilio_api):
    add_student(database, "+51987000300")
    outreach, now, _ = make(tmp_path, database, twilio_api)
    first = outreach.calls.ring_back("+51987000300", NOON)
    assert outreach.calls.ring_back("+51987000300", NOON + timedelta(seconds=3)) == first
    assert outreach.calls.ring_back("anonymous", NOON) is None
    assert outreach.tick() == 0, "not while the caller's own call may still be hanging up"
    now["t"] = NOON + timedelta(seconds=5)
    assert outreach.tick() == 1
    (sent,) = twilio_api.calls_created()
    assert sent.one("To") == "+51987000300"


def test_a_try_lost_with_its_worker_frees_the_phone_and_is_retried(tmp_path, database, twilio_api):
    student = add_student(database, "+51987000400")
    outreach, now, _ = make(tmp_path, database, twilio_api)
    call_id = outreach.calls.teacher_callback(student, NOON)
    (lost,) = outreach.claim()  # claimed, and the worker died before dialing
    outreach.calls.teacher_callback(student, NOON)
    assert outreach.claim() == [], "the phone is busy with the lost try"
    now["t"] = NOON + timedelta(minutes=6)
    assert outreach.calls.reap_lost(now["t"]) == 1
    with database.session() as session:
        row = session.get(m.OutboundCall, call_id)
        attempt = session.get(m.OutboundAttempt, lost.attempt_id)
        assert (row.state, row.outcome, attempt.status) == ("pending", "error", "error")
    assert not outreach.place(lost), "a redelivered task never dials an ended try"
    assert outreach.tick() == 1


def test_a_call_whose_final_status_never_came_is_closed(tmp_path, database, twilio_api):
    student = add_student(database, "+51987000401")
    outreach, now, _ = make(tmp_path, database, twilio_api)
    call_id = outreach.calls.teacher_callback(student, NOON)
    assert outreach.tick() == 1
    now["t"] = NOON + timedelta(hours=1)
    assert outreach.calls.reap_lost(now["t"]) == 0, "a long lesson is not a lost call"
    now["t"] = NOON + timedelta(hours=5)
    assert outreach.calls.reap_lost(now["t"]) == 1
    with database.session() as session:
        assert session.get(m.OutboundCall, call_id).outcome == "lost"


def test_schedulers_claiming_at_once_never_claim_a_try_twice(tmp_path, database, twilio_api):
    outreach, _, _ = make(tmp_path, database, twilio_api)
    for i in range(30):
        outreach.calls.teacher_callback(add_student(database, f"+519870005{i:02d}"), NOON)
    others = [make(tmp_path, database, twilio_api)[0] for _ in range(4)]
    barrier = threading.Barrier(len(others))

    def claim(one: Outreach) -> list[int]:
        barrier.wait()
        return [c.outbound_call_id for c in one.calls.claim_due(NOON, limit=100)]

    with ThreadPoolExecutor(len(others)) as pool:
        results = list(pool.map(claim, others))
    claimed = [call for result in results for call in result]
    assert sorted(claimed) == sorted(set(claimed)) and len(claimed) == 30
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(m.OutboundAttempt)) == 30
