"""The outbound calls we mean to place: asked for (or planned), claimed, dialed, finished.

Every try is an `OutboundAttempt` row, every call an `OutboundCall` row; a call is claimed
by a conditional update, so two schedulers (or a scheduler and a worker) never dial the
same try twice.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yachay.db import models as m
from yachay.db.database import Database
from yachay.monitoring import metrics
from yachay.outreach.dialer import Dialer, DialError
from yachay.outreach.hours import LocalClock
from yachay.outreach.throttle import Throttle

log = logging.getLogger(__name__)

E164 = re.compile(r"^\+[1-9]\d{6,14}$")

KINDS = ("lesson", "review", "teacher_callback", "parent_progress", "missed_call")
#: Calls that run the student's flow when a person answers (the parents' call tells the
#: week's progress instead).
STUDENT_KINDS = frozenset({"lesson", "review", "teacher_callback", "missed_call"})
FINAL_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
#: States of a call whose phone is busy with it: no other call to that phone starts then.
LIVE_STATES = frozenset({"dialing", "ringing", "answered"})
#: A missed call is rung back after this, once the caller's phone has hung up.
RING_BACK_DELAY = timedelta(seconds=5)
#: A try claimed this long ago and never sent to Twilio was lost with its worker.
LOST_BEFORE_DIALING = timedelta(minutes=5)
#: A call with no final status callback this long after it was placed never will have one.
LOST_AFTER_DIALING = timedelta(hours=4)


@dataclass(frozen=True)
class Claimed:
    outbound_call_id: int
    attempt_id: int
    kind: str
    phone: str


class OutboundCalls:
    def __init__(
        self, db: Database, clock: LocalClock, retry_minutes: tuple[int, ...] = (10, 30)
    ) -> None:
        self.db = db
        self.clock = clock
        self.retry_minutes = retry_minutes

    @property
    def max_tries(self) -> int:
        return 1 + len(self.retry_minutes)

    # -- asking for calls ------------------------------------------------------------

    def request(
        self,
        session: Session,
        kind: str,
        phone: str,
        at: datetime,
        student_id: int | None = None,
        not_after: datetime | None = None,
        dedupe_key: str | None = None,
        note: str | None = None,
    ) -> m.OutboundCall:
        """A call to place from `at` on; with a dedupe key, the existing one if any."""
        if kind not in KINDS:
            raise ValueError(f"unknown outbound call kind {kind!r}; one of {', '.join(KINDS)}")
        if dedupe_key is not None:
            existing = session.scalar(
                select(m.OutboundCall).where(m.OutboundCall.dedupe_key == dedupe_key)
            )
            if existing is not None:
                return existing
        row = m.OutboundCall(
            kind=kind,
            phone=phone,
            student_id=student_id,
            dedupe_key=dedupe_key,
            next_try_at=at,
            not_after=not_after,
            note=note,
            created_at=at,
        )
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:  # planned at the same moment by another scheduler
            found = session.scalar(
                select(m.OutboundCall).where(m.OutboundCall.dedupe_key == dedupe_key)
            )
            assert found is not None
            return found
        metrics.count_outbound_requested(kind)
        return row

    def teacher_callback(
        self,
        student_id: int,
        now: datetime,
        note: str | None = None,
        connect_to: str | None = None,
    ) -> int:
        """A teacher asks for a student to be called now (the console calls this); with
        `connect_to`, the student is put through to that number (the teacher's) once they
        answer, else they get their lessons' flow."""
        if connect_to is not None and not E164.match(connect_to):
            raise ValueError(f"{connect_to!r} is not an E.164 number like +51987654321")
        with self.db.session() as session:
            student = session.get(m.Student, student_id)
            if student is None:
                raise LookupError(f"no student with id {student_id}")
            row = self.request(
                session, "teacher_callback", student.phone, now, student.id, note=note
            )
            row.connect_to = connect_to
            session.flush()
            return row.id

    def ring_back(self, phone: str, now: datetime) -> int | None:
        """A missed call from `phone`: ring it back, once however often it rang us. None
        when the number cannot be rung (withheld)."""
        if not phone.startswith("+") or not phone[1:].isdigit():
            return None
        metrics.count_missed_call()
        with self.db.session() as session:
            waiting = session.scalar(
                select(m.OutboundCall.id).where(
                    m.OutboundCall.phone == phone,
                    m.OutboundCall.kind == "missed_call",
                    m.OutboundCall.state.in_(("pending", *LIVE_STATES)),
                )
            )
            if waiting is not None:
                return waiting
            students = session.scalars(
                select(m.Student.id).where(m.Student.phone == phone).order_by(m.Student.id)
            ).all()
            row = self.request(
                session,
                "missed_call",
                phone,
                now + RING_BACK_DELAY,
                students[0] if len(students) == 1 else None,
            )
            session.flush()
            return row.id

    # -- placing them ----------------------------------------------------------------

    def claim_due(self, now: datetime, limit: int = 50) -> list[Claimed]:
        """Tries to place now: each call due, outside quiet hours, inside its window, and
        whose phone is not busy with another of our calls."""
        claimed: list[Claimed] = []
        self.reap_lost(now)
        with self.db.session() as session:
            due = session.scalars(
                select(m.OutboundCall)
                .where(m.OutboundCall.state == "pending", m.OutboundCall.next_try_at <= now)
                .order_by(m.OutboundCall.next_try_at, m.OutboundCall.id)
                .limit(limit)
            ).all()
            busy = set(
                session.scalars(
                    select(m.OutboundCall.phone).where(m.OutboundCall.state.in_(LIVE_STATES))
                )
            )
            for row in due:
                if row.not_after is not None and now > row.not_after:
                    self._finish(row, "gave_up", "window-passed", now)
                    continue
                if self.clock.is_quiet(now):
                    later = self.clock.after_quiet(now)
                    if row.not_after is not None and later > row.not_after:
                        self._finish(row, "gave_up", "quiet-hours", now)
                    else:
                        row.next_try_at = later
                    continue
                if row.phone in busy:
                    continue
                won = session.execute(
                    update(m.OutboundCall)
                    .where(m.OutboundCall.id == row.id, m.OutboundCall.state == "pending")
                    .values(state="dialing", tries=m.OutboundCall.tries + 1, updated_at=now)
                    .execution_options(synchronize_session=False)
                ).rowcount
                if not won:
                    continue
                session.refresh(row)
                attempt = m.OutboundAttempt(
                    outbound_call_id=row.id,
                    try_number=row.tries,
                    phone=row.phone,
                    requested_at=now,
                    local_minute=self.clock.minute_of_day(now),
                )
                session.add(attempt)
                session.flush()
                busy.add(row.phone)
                claimed.append(Claimed(row.id, attempt.id, row.kind, row.phone))
        return claimed

    def claimed(self, attempt_id: int) -> Claimed | None:
        with self.db.read_session() as session:
            found = session.execute(
                select(m.OutboundAttempt, m.OutboundCall)
                .join(m.OutboundCall)
                .where(m.OutboundAttempt.id == attempt_id)
            ).first()
            if found is None:
                return None
            attempt, row = found
            return Claimed(row.id, attempt.id, row.kind, attempt.phone)

    def reap_lost(self, now: datetime) -> int:
        """Tries whose worker died before dialing, or whose final status callback never
        came: ended, so their phone is free again and the call is retried or closed."""
        reaped = 0
        with self.db.session() as session:
            live = session.execute(
                select(m.OutboundAttempt, m.OutboundCall)
                .join(m.OutboundCall)
                .where(
                    m.OutboundAttempt.ended_at.is_(None),
                    m.OutboundCall.state.in_(LIVE_STATES),
                    m.OutboundAttempt.try_number == m.OutboundCall.tries,
                    m.OutboundAttempt.requested_at < now - LOST_BEFORE_DIALING,
                )
            ).all()
            for attempt, row in live:
                if attempt.call_sid is None:
                    attempt.status, attempt.error = "error", "never placed: its worker stopped"
                elif attempt.requested_at < now - LOST_AFTER_DIALING:
                    attempt.status = attempt.status if attempt.status in FINAL_STATUSES else "lost"
                    attempt.error = "no final status callback came"
                else:
                    continue
                attempt.ended_at = now
                self._after_try(session, row, attempt, now)
                reaped += 1
        if reaped:
            log.warning("outreach: %d outbound tries were lost and are closed", reaped)
        return reaped

    def place(self, claimed: Claimed, dialer: Dialer, throttle: Throttle, now: datetime) -> bool:
        """Dial one claimed try, paced by the throttle; False when Twilio refused it (or it
        was dialed already: a task delivered twice)."""
        with self.db.read_session() as session:
            attempt = session.get(m.OutboundAttempt, claimed.attempt_id)
            if attempt is None or attempt.call_sid is not None or attempt.ended_at is not None:
                return False
        throttle.acquire()
        try:
            placed = dialer.place(claimed.phone, claimed.attempt_id)
        except DialError as error:
            log.warning("outbound call %s: Twilio refused the try", claimed.outbound_call_id)
            self._attempt_over(claimed.attempt_id, "error", None, None, now, error=str(error))
            return False
        with self.db.session() as session:
            attempt = session.get(m.OutboundAttempt, claimed.attempt_id)
            assert attempt is not None
            attempt.call_sid = placed.call_sid
            if attempt.status_sequence < 0:
                attempt.status = placed.status
        metrics.count_outbound_placed(claimed.kind)
        return True

    # -- what Twilio tells us ----------------------------------------------------------

    def answered(self, attempt_id: int, call_sid: str, answered_by: str) -> m.OutboundCall | None:
        """Twilio asks what to play: note who answered; the call (kind, student) or None."""
        with self.db.session() as session:
            attempt = session.get(m.OutboundAttempt, attempt_id)
            if attempt is None or (attempt.call_sid and attempt.call_sid != call_sid):
                return None
            attempt.call_sid = call_sid
            attempt.answered_by = answered_by or "unknown"
            row = session.get(m.OutboundCall, attempt.outbound_call_id)
            assert row is not None
            if row.state in ("dialing", "ringing"):
                row.state = "answered"
            return row

    def status(
        self,
        attempt_id: int,
        call_sid: str,
        status: str,
        sequence: int,
        duration: int | None,
        now: datetime,
    ) -> bool:
        """A status callback of a try; False when it is not one of ours."""
        with self.db.session() as session:
            attempt = session.get(m.OutboundAttempt, attempt_id)
            if attempt is None or (attempt.call_sid and attempt.call_sid != call_sid):
                return False
            attempt.call_sid = call_sid
            if duration is not None:
                attempt.duration_seconds = duration
            if attempt.ended_at is not None:
                return True  # already final: a late or repeated callback changes nothing
            if sequence > attempt.status_sequence or status in FINAL_STATUSES:
                attempt.status = status
                attempt.status_sequence = max(sequence, attempt.status_sequence)
            row = session.get(m.OutboundCall, attempt.outbound_call_id)
            assert row is not None
            if status == "ringing" and row.state == "dialing":
                row.state = "ringing"
            if status in FINAL_STATUSES:
                attempt.ended_at = now
                self._after_try(session, row, attempt, now)
            return True

    def _attempt_over(
        self,
        attempt_id: int,
        status: str,
        answered_by: str | None,
        duration: int | None,
        now: datetime,
        error: str | None = None,
    ) -> None:
        with self.db.session() as session:
            attempt = session.get(m.OutboundAttempt, attempt_id)
            assert attempt is not None
            attempt.status = status
            attempt.error = error[:200] if error else None
            attempt.ended_at = now
            row = session.get(m.OutboundCall, attempt.outbound_call_id)
            assert row is not None
            self._after_try(session, row, attempt, now)

    def _after_try(
        self, session: Session, row: m.OutboundCall, attempt: m.OutboundAttempt, now: datetime
    ) -> None:
        outcome = attempt_outcome(attempt)
        # A try that never reached a phone (refused by the API, or its worker stopped first).
        metrics.count_outbound_call(row.kind, "api_error" if outcome == "error" else outcome)
        if outcome == "answered":
            self._finish(row, "done", outcome, now)
        elif row.tries >= self.max_tries:
            self._finish(row, "gave_up", outcome, now)
        else:
            row.state = "pending"
            row.outcome = outcome
            row.next_try_at = now + timedelta(minutes=self.retry_minutes[row.tries - 1])
            row.updated_at = now

    @staticmethod
    def _finish(row: m.OutboundCall, state: str, outcome: str, now: datetime) -> None:
        row.state = state
        row.outcome = outcome
        row.next_try_at = None
        row.updated_at = now


def attempt_outcome(attempt: m.OutboundAttempt) -> str:
    """answered (a person, or nobody we could tell from one), machine, or Twilio's status."""
    if attempt.status == "completed":
        by = attempt.answered_by or "unknown"
        return "machine" if by.startswith("machine") or by == "fax" else "answered"
    return attempt.status
