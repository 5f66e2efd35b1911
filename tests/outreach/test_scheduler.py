"""The in-process scheduler: one per machine (gunicorn's workers share a lock file)."""

from __future__ import annotations

from tests.outreach.conftest import outreach_settings
from yachay.outreach.scheduler import EmbeddedScheduler
from yachay.outreach.service import Outreach


def test_only_one_scheduler_runs_on_a_machine_and_another_takes_over(
    tmp_path, database, twilio_api
):
    outreach = Outreach(database, outreach_settings(tmp_path, database, twilio_api))
    lock = tmp_path / "outreach.lock"
    first = EmbeddedScheduler(outreach, lock, interval=3600)
    second = EmbeddedScheduler(outreach, lock, interval=3600)
    assert first.start()
    assert not second.start()
    first.stop()
    second._retry_at = 0.0  # a minute later
    assert second.start()
    second.stop()


def test_a_failing_tick_is_logged_and_the_scheduler_goes_on(tmp_path, database, twilio_api, caplog):
    outreach = Outreach(database, outreach_settings(tmp_path, database, twilio_api))
    database.dispose()
    outreach.db = type(database)()  # not connected: every tick fails
    scheduler = EmbeddedScheduler(outreach, tmp_path / "outreach.lock")
    assert scheduler.tick_once() == 0
    assert "a scheduler tick failed" in caplog.text
