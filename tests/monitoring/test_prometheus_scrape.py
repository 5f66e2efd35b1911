"""A real Prometheus scrapes Yachay under gunicorn while simulated calls run; then every
dashboard panel's query is evaluated through Prometheus' HTTP API."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from tests.conftest import TOKEN
from tests.e2e.test_student_call import add_student, current_lesson, through_the_segments
from tests.monitoring.dashboards import panel_queries
from tests.monitoring.gunicorn_server import GunicornServer, start_gunicorn
from tests.monitoring.prometheus_server import PROMETHEUS, PrometheusServer, start_prometheus
from tests.outreach.conftest import ACCOUNT, FROM
from tests.outreach.twilio_api import FakeTwilioApi
from tests.tutor.tutor_db import fake_version, mlflow_store
from tests.voice.test_webhooks import call_sid, params, post
from yachay.config import Settings, load_settings
from yachay.db import models as m
from yachay.db.database import Database
from yachay.db.models import utcnow
from yachay.phone.simulator import PhoneSimulator
from yachay.tutor.auto_retrain import retrain_if_needed
from yachay.tutor.bank import question_bank
from yachay.tutor.decisions import practice_round
from yachay.tutor.registry import Registry
from yachay.tutor.serving import TutorService

pytestmark = pytest.mark.skipif(
    PROMETHEUS is None, reason="prometheus is not installed (apt-get install prometheus)"
)

#: Metrics whose queries cannot have data in this test, and why.
EXPECTED_EMPTY: dict[str, str] = {}
#: Calls to this number are rejected and rung back (outreach's missed calls).
CALLBACK_NUMBER = "+5116409998"


def _expected_empty(expr: str) -> str | None:
    return next((metric for metric in EXPECTED_EMPTY if f"{metric}[" in expr), None)


@dataclass
class Stack:
    yachay: GunicornServer
    prometheus: PrometheusServer
    db: Database
    settings: Settings
    twilio: FakeTwilioApi


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    var_dir = tmp_path_factory.mktemp("stack")
    twilio = FakeTwilioApi()
    env = {
        # Live AUC and ECE measured at each scrape, not once a minute.
        "YACHAY_LIVE_QUALITY_INTERVAL": "0",
        # Outbound calls through a stand-in for Twilio's REST API, at any hour.
        "TWILIO_ACCOUNT_SID": ACCOUNT,
        "TWILIO_FROM_NUMBER": FROM,
        "TWILIO_API_URL": twilio.url,
        "YACHAY_CALLBACK_NUMBER": CALLBACK_NUMBER,
        "YACHAY_QUIET_HOURS": "00:00-00:00",
    }
    yachay = start_gunicorn(var_dir, workers=2, extra_env=env, public_url=True)
    prometheus = None
    settings = load_settings({"YACHAY_VAR_DIR": str(var_dir)})
    mlflow_store(tmp_path_factory, var_dir)
    db = Database(settings.database_url)
    try:
        prometheus = start_prometheus(var_dir / "prometheus", yachay.url.removeprefix("http://"))
        yield Stack(yachay, prometheus, db, settings, twilio)
    finally:
        db.dispose()
        if prometheus is not None:
            prometheus.stop()
        yachay.stop()
        twilio.close()


def _calls(stack: Stack, wave: int) -> None:
    """One of each kind of call; each wave uses new numbers and the same lessons."""
    url = stack.yachay.url

    def phone(n: int) -> PhoneSimulator:
        return PhoneSimulator(url, TOKEN, from_number=f"+519{wave:02d}0000{n:02d}")

    assert phone(1).call(["1", "9", "2", "h"]).ok  # registers; grade 9 is no grade
    # A whole first-grade lesson, every answer, then a hang-up in the practice after it.
    student = add_student(stack.db, phone(2).from_number, grade=1)
    lesson, questions = current_lesson(stack.db, student)
    answers = [
        str(q.answer if i % 2 else q.answer % len(q.choices) + 1) for i, q in enumerate(questions)
    ]
    assert phone(2).call(["1", *through_the_segments(lesson), *answers, "h"]).ok
    # A practice round, right and wrong: the tutor's predictions are joined to answers of
    # both kinds, so the live AUC is defined.
    assert phone(2).call(["2", *_practice_keys(stack, student), "h"]).ok
    # Hangs up in the second segment of the same lesson.
    add_student(stack.db, phone(3).from_number, grade=1)
    assert phone(3).call(["1", "s", "h"]).ok
    # Silence at the main menu: goodbye.
    add_student(stack.db, phone(4).from_number, grade=1, language="qu")
    assert phone(4).call(["s", "s", "s"]).ok
    forged = post(stack.yachay, "/voice", params(call_sid(), "+51900000000"), token="wrong")
    assert forged.status_code == 403
    error = params(call_sid(), "+51900000000", ErrorCode="11200", ErrorUrl=f"{url}/voice")
    assert post(stack.yachay, "/voice/fallback", error).ok
    _missed_call(stack, phone(5).from_number)


def _missed_call(stack: Stack, number: str) -> None:
    """A call to the callback number, rung back by the server's scheduler; busy."""
    missed = params(call_sid(), number, To=CALLBACK_NUMBER)
    assert post(stack.yachay, "/voice", missed).ok
    stack.twilio.wait_for_calls(1, to=number)
    with stack.db.read_session() as session:
        attempt = session.scalars(
            select(m.OutboundAttempt).where(m.OutboundAttempt.phone == number)
        ).one()
        attempt_id, sid = attempt.id, attempt.call_sid
    deadline = time.monotonic() + 30
    while sid is None and time.monotonic() < deadline:  # stored just after the API answered
        time.sleep(0.1)
        with stack.db.read_session() as session:
            sid = session.get(m.OutboundAttempt, attempt_id).call_sid
    busy = params(sid, FROM, To=number, Direction="outbound-api", CallStatus="busy")
    busy["SequenceNumber"] = "3"
    assert post(stack.yachay, f"/voice/outbound/status?attempt={attempt_id}", busy).ok


def _practice_keys(stack: Stack, student: int) -> list[str]:
    """The keys of a practice round the tutor will choose (the prior's choice, as the
    server makes it), right and wrong in turn."""
    tutor = TutorService(stack.settings)
    with stack.db.session() as session:
        bank = question_bank(session)
        chosen = practice_round(session, bank, tutor.predictor(bank.info), student, utcnow(), 5)
        questions = [session.get(m.Question, c.item_id) for c in chosen]
    return [
        str(q.answer if i % 2 == 0 else q.answer % len(q.choices) + 1)
        for i, q in enumerate(questions)
    ]


def _retraining_check(stack: Stack, tmp_path: Path) -> None:
    """The scheduled check, with a model in production (untrained: the workers keep the
    prior for the lessons' questions), so its decision file holds drift."""
    registry = Registry(stack.settings)
    registry.promote(fake_version(registry, stack.settings, 1, tmp_path))
    decision = retrain_if_needed(stack.settings, stack.db, dry_run=True, registry=registry)
    assert decision.drift is not None


def test_every_dashboard_query_returns_data(stack: Stack, tmp_path: Path):
    prometheus = stack.prometheus
    _calls(stack, wave=1)
    # Counters Prometheus first sees at 1 count from there: a second wave increases them.
    prometheus.wait_for("sum(yachay_lessons_completed_total)", 1)
    prometheus.wait_for("sum(yachay_outbound_calls_total)", 1)
    _calls(stack, wave=2)
    prometheus.wait_for("sum(yachay_lessons_completed_total)", 2)
    prometheus.wait_for("sum(yachay_outbound_calls_total)", 2)
    prometheus.wait_for('sum(yachay_calls_ended_total{outcome="completed"})', 2)
    prometheus.wait_for_data('yachay_tutor_live_auc{version="prior"}')
    _retraining_check(stack, tmp_path)
    prometheus.wait_for_data("yachay_tutor_input_drift")
    prometheus.wait_for_data("yachay_tutor_retraining_decision_timestamp_seconds")

    empty, failed = [], []
    for query in panel_queries():
        try:
            values = prometheus.numbers(query.expr)
        except AssertionError as exc:
            failed.append(f"{query.dashboard} / {query.panel}: {exc}")
            continue
        metric = _expected_empty(query.expr)
        if metric is not None:
            if values:
                failed.append(f"{metric} has data now: take it out of EXPECTED_EMPTY")
        elif not values:
            empty.append(f"{query.dashboard} / {query.panel}: {query.expr}")
    assert not failed, "\n".join(failed)
    assert not empty, "queries that returned nothing:\n" + "\n".join(empty)
    used = {_expected_empty(q.expr) for q in panel_queries()}
    assert used >= set(EXPECTED_EMPTY), "a panel of EXPECTED_EMPTY is gone"


def test_prometheus_sees_the_target_up(stack: Stack):
    assert stack.prometheus.numbers('up{job="yachay"}') == [1.0]
    assert requests.get(f"{stack.yachay.url}/healthz", timeout=10).json() == {"status": "ok"}
