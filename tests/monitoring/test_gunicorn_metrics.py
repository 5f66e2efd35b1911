"""GET /metrics under gunicorn: every worker answers with the sum over all workers."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator

import pytest
import requests

from tests.conftest import TOKEN
from tests.monitoring.gunicorn_server import GunicornServer, start_gunicorn
from tests.monitoring.scrape import scrape, value
from yachay.phone.simulator import PhoneSimulator

CALLS = 4


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GunicornServer]:
    server = start_gunicorn(tmp_path_factory.mktemp("gunicorn"), workers=3)
    yield server
    server.stop()


def _until_several_workers_served(server: GunicornServer) -> None:
    for _ in range(300):
        if len(server.worker_pids()) >= 2:
            return
        requests.get(f"{server.url}/healthz", timeout=5)
    pytest.fail(f"one worker answered 300 requests: {server.worker_pids()}")


def test_every_worker_reports_the_calls_of_all_workers(gunicorn: GunicornServer):
    for n in range(CALLS):
        phone = PhoneSimulator(gunicorn.url, TOKEN, from_number=f"+5198700{n:04d}")
        assert phone.call(["1", "2", "h"]).ok
    _until_several_workers_served(gunicorn)
    for _ in range(12):  # enough scrapes for several workers to answer
        samples = scrape(gunicorn.url)
        assert value(samples, "yachay_calls_started_total") == CALLS
        assert value(samples, "yachay_calls_ended_total", outcome="dropped") == CALLS
        assert value(samples, "yachay_http_responses_total", route="/voice") == CALLS


def test_a_dead_workers_counts_stay(gunicorn: GunicornServer):
    _until_several_workers_served(gunicorn)
    before = value(scrape(gunicorn.url), "yachay_calls_started_total")
    victim = max(gunicorn.worker_pids())
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and f"Worker (pid:{victim})" not in gunicorn.log():
        time.sleep(0.2)
    time.sleep(1)  # the master has replaced it (child_exit ran)
    for _ in range(6):
        assert value(scrape(gunicorn.url), "yachay_calls_started_total") == before
    assert "Traceback" not in gunicorn.log()  # child_exit (mark_process_dead) ran cleanly
