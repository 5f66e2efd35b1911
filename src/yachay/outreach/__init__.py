"""Outbound calls on a task queue: the daily lesson call inside the window a household
chose, review calls when spaced reviews are due, teachers' callbacks, missed-call
callbacks, the parents' weekly progress call; paced, outside quiet hours, retried.

- :mod:`~yachay.outreach.calls`: every call we mean to place and every try of it;
- :mod:`~yachay.outreach.planner`: which calls a day brings, and when (best time);
- :mod:`~yachay.outreach.best_time`: learning the hours that reach a household;
- :mod:`~yachay.outreach.dialer`: Twilio's REST API; :mod:`~yachay.outreach.throttle`: pace;
- :mod:`~yachay.outreach.tasks` (Celery + Redis) or :mod:`~yachay.outreach.scheduler` (in
  process) run it; :mod:`~yachay.outreach.costs`: what calls cost.

The voice adapter answers the calls (``voice/outbound.py``): outreach knows no TwiML.
"""

from __future__ import annotations

from flask import Flask

from yachay.config import Settings
from yachay.db.database import Database
from yachay.outreach.scheduler import EmbeddedScheduler
from yachay.outreach.service import Outreach

__all__ = ["Outreach", "init_app", "start_scheduler"]


def init_app(app: Flask, db: Database, settings: Settings) -> Outreach:
    """Bind the outreach; with Twilio configured and no Redis, the server's first request
    starts the in-process scheduler (commands, which also build the app, never do)."""
    outreach = app.extensions["yachay.outreach"] = Outreach(db, settings)
    if settings.redis_url or not outreach.can_dial:
        return outreach
    scheduler = EmbeddedScheduler(outreach, settings.var_dir / "outreach.lock")
    app.extensions["yachay.outreach_scheduler"] = scheduler

    def start_scheduler() -> None:
        scheduler.start()

    app.before_request(start_scheduler)
    return outreach


def start_scheduler(app: Flask) -> str | None:
    """Start the in-process scheduler now (`yachay serve`): a line saying what it does, or
    None when this server places no calls (no Twilio account, or Redis schedules)."""
    scheduler: EmbeddedScheduler | None = app.extensions.get("yachay.outreach_scheduler")
    if scheduler is None:
        return None
    settings: Settings = app.config["YACHAY"]
    if not scheduler.start():
        return "Outbound calls: another process on this machine schedules them"
    quiet = scheduler.outreach.clock.quiet
    never = f"never {quiet} ({settings.timezone})" if quiet.start != quiet.end else "at any hour"
    return f"Outbound calls: scheduled in this process, {settings.calls_per_second:g}/s, {never}"
