"""The task queue: Celery with Redis as broker, beat ticking the schedule.

`yachay worker` configures this module with the app's outreach and starts a worker (and,
unless told otherwise, the beat in it). Beat sends `plan` every minute (the day's calls)
and `tick` every few seconds: a tick claims the tries that are due, each becoming a
`place` task any worker on any machine may run; the Redis throttle keeps the whole fleet
at the account's pace.
"""

from __future__ import annotations

from celery import Celery

from yachay.outreach.scheduler import TICK_SECONDS
from yachay.outreach.service import Outreach

app = Celery("yachay")
_runtime: dict[str, Outreach] = {}


def configure(outreach: Outreach) -> Celery:
    """Bind the tasks to an outreach; with no Redis URL they run eagerly, in-process."""
    _runtime["outreach"] = outreach
    redis_url = outreach.settings.redis_url
    app.conf.update(
        broker_url=redis_url or "memory://",
        task_always_eager=not redis_url,
        task_ignore_result=True,
        task_acks_late=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        beat_schedule={
            "outreach-plan": {"task": "yachay.outreach.plan", "schedule": 60.0},
            "outreach-tick": {"task": "yachay.outreach.tick", "schedule": TICK_SECONDS},
        },
        timezone="UTC",
    )
    return app


def _outreach() -> Outreach:
    if "outreach" not in _runtime:
        raise RuntimeError("yachay.outreach.tasks is not configured: start it with yachay worker")
    return _runtime["outreach"]


@app.task(name="yachay.outreach.plan")
def plan() -> int:
    return len(_outreach().plan())


@app.task(name="yachay.outreach.tick")
def tick() -> int:
    claimed = _outreach().claim()
    for one in claimed:
        place.delay(one.attempt_id)  # the id alone: no phone number in the broker
    return len(claimed)


@app.task(name="yachay.outreach.place")
def place(attempt_id: int) -> bool:
    return _outreach().place_attempt(attempt_id)
