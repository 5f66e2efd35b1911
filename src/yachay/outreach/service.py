"""The outreach part assembled from settings: what the scheduler ticks, what the voice
adapter and the console call."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from yachay.config import Settings
from yachay.db.database import Database
from yachay.outreach.calls import Claimed, OutboundCalls
from yachay.outreach.dialer import Dialer, TwilioDialer
from yachay.outreach.hours import LocalClock, QuietHours
from yachay.outreach.planner import DueStudents, plan_day
from yachay.outreach.throttle import LocalThrottle, RedisThrottle, Throttle

log = logging.getLogger(__name__)

#: Planning reads every household's history of calls: once a minute is often enough.
PLAN_EVERY = timedelta(seconds=60)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def due_for_review_ids(session: Session, now: datetime) -> set[int]:
    # The tutor's reports read every answer: imported only when planning needs them.
    from yachay.tutor.reports import due_for_review

    return {due.student_id for due in due_for_review(session, now)}


def _clock(settings: Settings) -> LocalClock:
    try:
        quiet = QuietHours.parse(settings.quiet_hours)
    except ValueError as error:
        raise ValueError(f"YACHAY_QUIET_HOURS: {error}") from None
    try:
        return LocalClock(settings.timezone, quiet)
    except (ValueError, ZoneInfoNotFoundError):
        raise ValueError(
            f"YACHAY_TIMEZONE: {settings.timezone!r} is not a time zone like America/Lima"
        ) from None


class Outreach:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        dialer: Dialer | None = None,
        throttle: Throttle | None = None,
        due_students: DueStudents = due_for_review_ids,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = _clock(settings)
        self.calls = OutboundCalls(db, self.clock, settings.retry_minutes)
        self._dialer = dialer
        self._throttle = throttle
        self.due_students = due_students
        self.now = now
        self._planned_at: datetime | None = None

    @property
    def can_dial(self) -> bool:
        s = self.settings
        return self._dialer is not None or bool(
            s.twilio_account_sid and s.twilio_from_number and s.public_url
        )

    @property
    def dialer(self) -> Dialer:
        if self._dialer is None:
            s = self.settings
            self._dialer = TwilioDialer(
                s.twilio_account_sid,
                s.twilio_auth_token,
                s.twilio_from_number,
                s.public_url,
                s.twilio_api_url,
            )
        return self._dialer

    @property
    def throttle(self) -> Throttle:
        if self._throttle is None:
            if self.settings.redis_url:
                import redis

                client = redis.Redis.from_url(self.settings.redis_url)
                self._throttle = RedisThrottle(client, self.settings.calls_per_second)
            else:
                self._throttle = LocalThrottle(self.settings.calls_per_second)
        return self._throttle

    def teacher_callback(
        self, student_id: int, note: str | None = None, connect_to: str | None = None
    ) -> int:
        """Ring a student now (the console's "call back" button), put through to the
        teacher's number `connect_to` if given; the outbound call's id. LookupError for an
        unknown student, ValueError for a number that is not E.164."""
        return self.calls.teacher_callback(student_id, self.now(), note, connect_to)

    def plan(self, now: datetime | None = None) -> list[int]:
        now = now or self.now()
        with self.db.session() as session:
            return plan_day(session, self.calls, self.clock, now, self.due_students)

    def claim(self, now: datetime | None = None) -> list[Claimed]:
        return self.calls.claim_due(now or self.now())

    def place(self, claimed: Claimed) -> bool:
        return self.calls.place(claimed, self.dialer, self.throttle, self.now())

    def place_attempt(self, attempt_id: int) -> bool:
        """Place a claimed try known by its id (a task carries no phone number)."""
        claimed = self.calls.claimed(attempt_id)
        return claimed is not None and self.place(claimed)

    def tick(self, now: datetime | None = None) -> int:
        """Plan (once a minute), then place every due try here, one after the other (the
        embedded scheduler; with Celery each claimed try is a task of its own). Tries
        placed."""
        now = now or self.now()
        if self._planned_at is None or not timedelta(0) <= now - self._planned_at < PLAN_EVERY:
            self.plan(now)
            self._planned_at = now
        placed = 0
        for claimed in self.claim(now):
            placed += self.place(claimed)
        return placed
