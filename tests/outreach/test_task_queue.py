"""The task queue: `yachay worker` (Celery, beat inside) against a real Redis places the
calls that are due; with no Redis the same tasks run eagerly in-process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime

from sqlalchemy import select

from tests.conftest import TOKEN
from tests.outreach.conftest import ACCOUNT, FROM, PUBLIC, add_student, outreach_settings
from yachay.db import models as m
from yachay.outreach.service import Outreach


def test_yachay_worker_places_due_calls_through_redis(tmp_path, database, twilio_api, redis_server):
    student = add_student(database, "+51987222001", "Ana")
    settings = outreach_settings(tmp_path, database, twilio_api)
    outreach = Outreach(database, settings)
    now = datetime.now(UTC).replace(tzinfo=None)
    call_id = outreach.calls.teacher_callback(student, now)
    env = {
        **os.environ,
        "YACHAY_VAR_DIR": str(tmp_path),
        "YACHAY_DATABASE_URL": settings.database_url,
        "YACHAY_REDIS_URL": redis_server.url,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "TWILIO_ACCOUNT_SID": ACCOUNT,
        "TWILIO_FROM_NUMBER": FROM,
        "TWILIO_API_URL": twilio_api.url,
        "YACHAY_PUBLIC_URL": PUBLIC,
        "YACHAY_QUIET_HOURS": "00:00-00:00",
    }
    log_path = tmp_path / "worker.log"
    with log_path.open("w") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "yachay", "worker", "--concurrency", "2"],
            env=env,
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        (sent,) = twilio_api.wait_for_calls(1, timeout=90)
    except AssertionError:
        worker.kill()
        raise AssertionError(log_path.read_text()) from None
    finally:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
    assert sent.one("To") == "+51987222001"
    with database.session() as session:
        assert session.get(m.OutboundCall, call_id).tries == 1
        (attempt,) = session.scalars(select(m.OutboundAttempt)).all()
        assert attempt.outbound_call_id == call_id
    # The beat and the queue went through Redis.
    assert redis_server.client.dbsize() > 0


def test_without_redis_the_tasks_run_in_process(tmp_path, database, twilio_api):
    from yachay.outreach import tasks

    student = add_student(database, "+51987222002")
    settings = outreach_settings(tmp_path, database, twilio_api, quiet_hours="00:00-00:00")
    outreach = Outreach(database, settings)
    outreach.calls.teacher_callback(student, datetime.now(UTC).replace(tzinfo=None))
    app = tasks.configure(outreach)
    assert app.conf.task_always_eager
    assert tasks.tick.delay().get() == 1
    assert [r.one("To") for r in twilio_api.calls_created()] == ["+51987222002"]
