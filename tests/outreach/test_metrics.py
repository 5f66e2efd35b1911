"""Outreach moves the outbound metrics of `yachay.monitoring.metrics`, as GET /metrics
exports them: calls asked for, tries placed, how each try ended, missed calls."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client import REGISTRY
from sqlalchemy import select

from tests.outreach.conftest import add_student
from tests.outreach.test_dialing import NOON, make
from yachay.db import models as m


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def _counts() -> dict[str, float]:
    purpose = {"purpose": "teacher_callback"}
    return {
        "asked": _value("yachay_outbound_calls_requested_total", **purpose),
        "placed": _value("yachay_outbound_attempts_placed_total", **purpose),
        "api_error": _value("yachay_outbound_calls_total", outcome="api_error", **purpose),
        "busy": _value("yachay_outbound_calls_total", outcome="busy", **purpose),
        "answered": _value("yachay_outbound_calls_total", outcome="answered", **purpose),
        "missed": _value("yachay_missed_calls_rejected_total"),
        "ring_back": _value("yachay_outbound_calls_requested_total", purpose="missed_call"),
    }


def test_a_refused_a_busy_and_an_answered_try_are_counted_once_each(tmp_path, database, twilio_api):
    student = add_student(database, "+51987000901")
    outreach, now, _ = make(tmp_path, database, twilio_api)
    before = _counts()
    outreach.calls.teacher_callback(student, NOON)
    twilio_api.failures.append((400, 21215))
    assert outreach.tick() == 0  # refused by the API
    for status in ("busy", "completed"):
        with database.session() as session:
            row = session.scalars(select(m.OutboundCall)).one()
            now["t"] = row.next_try_at
        assert outreach.tick() == 1
        with database.session() as session:
            attempt = session.scalars(
                select(m.OutboundAttempt).order_by(m.OutboundAttempt.id.desc())
            ).first()
        if status == "completed":
            outreach.calls.answered(attempt.id, attempt.call_sid, "human")
        assert outreach.calls.status(attempt.id, attempt.call_sid, status, 3, 30, now["t"])
        # A repeated final callback is not another try.
        assert outreach.calls.status(attempt.id, attempt.call_sid, status, 3, 30, now["t"])
    assert outreach.calls.ring_back("+51987000902", now["t"] + timedelta(minutes=1))
    after = _counts()
    assert {k: after[k] - before[k] for k in after} == {
        "asked": 1,  # the ring-back is asked for as a missed_call
        "placed": 2,
        "api_error": 1,
        "busy": 1,
        "answered": 1,
        "missed": 1,
        "ring_back": 1,
    }
