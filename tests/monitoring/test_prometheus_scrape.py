"""A real Prometheus scrapes Yachay under gunicorn while simulated calls run; then every
dashboard panel's query is evaluated through Prometheus' HTTP API."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests

from tests.conftest import TOKEN
from tests.e2e.test_student_call import add_student, current_lesson, through_the_segments
from tests.monitoring.dashboards import panel_queries
from tests.monitoring.gunicorn_server import GunicornServer, start_gunicorn
from tests.monitoring.prometheus_server import PROMETHEUS, PrometheusServer, start_prometheus
from tests.voice.test_webhooks import call_sid, params, post
from yachay.db.database import Database
from yachay.phone.simulator import PhoneSimulator

pytestmark = pytest.mark.skipif(
    PROMETHEUS is None, reason="prometheus is not installed (apt-get install prometheus)"
)

TUTOR_NOT_WIRED = "the tutor's live quality, drift and retraining are not wired yet (issue 20)"
#: Panels that cannot have data from calls alone, and why.
EXPECTED_EMPTY = {
    ("Tutor model", "Model version serving"): TUTOR_NOT_WIRED,
    ("Tutor model", "Decision latency"): TUTOR_NOT_WIRED,
    ("Tutor model", "Live AUC by version"): TUTOR_NOT_WIRED,
    ("Tutor model", "Live calibration error (ECE) by version"): TUTOR_NOT_WIRED,
    ("Tutor model", "Answers measured"): TUTOR_NOT_WIRED,
    ("Tutor model", "Input drift by statistic"): TUTOR_NOT_WIRED,
    ("Tutor model", "Retraining decisions (7d)"): TUTOR_NOT_WIRED,
    ("Operations", "Outbound calls by outcome"): "outreach places no calls yet",
}


@dataclass
class Stack:
    yachay: GunicornServer
    prometheus: PrometheusServer
    db: Database


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    var_dir = tmp_path_factory.mktemp("stack")
    yachay = start_gunicorn(var_dir, workers=2)
    prometheus = None
    db = Database(f"sqlite:///{var_dir / 'yachay.db'}")
    try:
        prometheus = start_prometheus(var_dir / "prometheus", yachay.url.removeprefix("http://"))
        yield Stack(yachay, prometheus, db)
    finally:
        db.dispose()
        if prometheus is not None:
            prometheus.stop()
        yachay.stop()


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


def test_every_dashboard_query_returns_data(stack: Stack):
    prometheus = stack.prometheus
    _calls(stack, wave=1)
    # Counters Prometheus first sees at 1 count from there: a second wave increases them.
    prometheus.wait_for("sum(yachay_lessons_completed_total)", 1)
    _calls(stack, wave=2)
    prometheus.wait_for("sum(yachay_lessons_completed_total)", 2)
    prometheus.wait_for('sum(yachay_calls_ended_total{outcome="completed"})', 2)

    empty, failed = [], []
    for query in panel_queries():
        key = (query.dashboard, query.panel)
        try:
            values = prometheus.numbers(query.expr)
        except AssertionError as exc:
            failed.append(f"{query.dashboard} / {query.panel}: {exc}")
            continue
        if key in EXPECTED_EMPTY:
            if values:
                failed.append(f"{key} has data now: take it out of EXPECTED_EMPTY")
        elif not values:
            empty.append(f"{query.dashboard} / {query.panel}: {query.expr}")
    assert not failed, "\n".join(failed)
    assert not empty, "queries that returned nothing:\n" + "\n".join(empty)
    assert {q.panel for q in panel_queries()} >= {panel for _, panel in EXPECTED_EMPTY}


def test_prometheus_sees_the_target_up(stack: Stack):
    assert stack.prometheus.numbers('up{job="yachay"}') == [1.0]
    assert requests.get(f"{stack.yachay.url}/healthz", timeout=10).json() == {"status": "ok"}
