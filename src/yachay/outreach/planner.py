"""Which calls each day brings: the daily lesson (or review) call inside each household's
window, at the slot best-time learning picks, and the parents' weekly progress call.

Planning is idempotent (each planned call has a dedupe key), so it runs on every tick of
the scheduler, on any number of machines.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from yachay.db import models as m
from yachay.outreach.best_time import Observation, choose_minute
from yachay.outreach.calls import FINAL_STATUSES, OutboundCalls, attempt_outcome
from yachay.outreach.hours import LocalClock, Window

#: Students due for reviews at a moment (tutor.reports.due_for_review's ids).
DueStudents = Callable[[Session, datetime], set[int]]
#: Day of the week of the parents' progress call (Monday is 0): Sunday, when parents are
#: home.
PROGRESS_WEEKDAY = 6
#: How far back the hours a household answers at are learned from: habits change with
#: the seasons (harvest, school terms).
HISTORY = timedelta(days=60)


def observations(
    session: Session, clock: LocalClock, since: datetime | None = None
) -> dict[str, list[Observation]]:
    """phone -> what its finished tries and its own calls to us since `since` say about
    its hours."""
    out: dict[str, list[Observation]] = defaultdict(list)
    since = since or datetime.min
    tries = session.scalars(
        select(m.OutboundAttempt).where(
            m.OutboundAttempt.status.in_(FINAL_STATUSES), m.OutboundAttempt.requested_at >= since
        )
    )
    for attempt in tries:
        outcome = attempt_outcome(attempt)
        if outcome == "failed":  # a number Twilio could not reach says nothing of the hour
            continue
        out[attempt.phone].append(Observation(attempt.local_minute, outcome == "answered"))
    inbound = session.execute(
        select(m.Call.phone, m.Call.started_at).where(
            m.Call.direction == "inbound", m.Call.started_at >= since
        )
    )
    for phone, started in inbound:
        out[phone].append(Observation(clock.minute_of_day(started), True))
    return out


def _not_quiet(clock: LocalClock) -> Callable[[int], bool]:
    return lambda minute: not clock.quiet.contains(minute)


def _rng(*parts: object) -> random.Random:
    """The same draw for the same household and day, whichever worker plans it."""
    return random.Random("|".join(map(str, parts)))


def plan_day(
    session: Session,
    calls: OutboundCalls,
    clock: LocalClock,
    now: datetime,
    due_students: DueStudents,
) -> list[int]:
    """Plan today's calls that are not planned yet; the ids of those added."""
    today = clock.today(now)
    windows = session.execute(select(m.CallWindow, m.Student).join(m.Student)).all()
    planned = set(
        session.scalars(
            select(m.OutboundCall.dedupe_key).where(
                m.OutboundCall.dedupe_key.like(f"daily:%:{today}")
            )
        )
    )
    # Reading every household's calls and every student's reviews is the costly part:
    # only when some call of today is still to plan.
    open_windows = [
        (window_row, student)
        for window_row, student in windows
        if f"daily:{student.id}:{today}" not in planned
        and now < clock.at(today, window_row.end_minute)
    ]
    sunday = today.weekday() == PROGRESS_WEEKDAY
    if not open_windows and not sunday:
        return []
    seen = observations(session, clock, now - HISTORY)
    due = due_students(session, now) if open_windows else set()
    added: list[int] = []
    for window_row, student in open_windows:
        window = Window(window_row.start_minute, window_row.end_minute)
        end = clock.at(today, window.end)
        kind = "review" if student.id in due else "lesson"
        if kind == "lesson" and not window_row.every_day:
            continue
        minute = choose_minute(
            seen.get(student.phone, []), window, _rng(student.id, today), _not_quiet(clock)
        )
        if minute is None:  # the whole window is in quiet hours
            continue
        at = max(now, clock.at(today, minute))
        row = calls.request(
            session,
            kind,
            student.phone,
            at,
            student.id,
            not_after=end,
            dedupe_key=f"daily:{student.id}:{today}",
        )
        session.flush()
        added.append(row.id)
    if sunday:
        added.extend(_plan_progress_calls(session, calls, clock, now, today, windows, seen))
    return added


def _plan_progress_calls(
    session: Session,
    calls: OutboundCalls,
    clock: LocalClock,
    now: datetime,
    today: date,
    windows: list,  # type: ignore[type-arg]
    seen: dict[str, list[Observation]],
) -> list[int]:
    """One call a week to each household phone with a window, inside its earliest window."""
    by_phone: dict[str, Window] = {}
    for window_row, student in windows:
        window = Window(window_row.start_minute, window_row.end_minute)
        if student.phone not in by_phone or window.start < by_phone[student.phone].start:
            by_phone[student.phone] = window
    added = []
    week = today.isocalendar()
    for phone, window in sorted(by_phone.items()):
        end = clock.at(today, window.end)
        key = f"progress:{phone}:{week.year}-{week.week}"
        if now >= end or _existing(session, key) is not None:
            continue
        minute = choose_minute(
            seen.get(phone, []), window, _rng(phone, today, "progress"), _not_quiet(clock)
        )
        if minute is None:
            continue
        row = calls.request(
            session,
            "parent_progress",
            phone,
            max(now, clock.at(today, minute)),
            not_after=end,
            dedupe_key=key,
        )
        session.flush()
        added.append(row.id)
    return added


def _existing(session: Session, key: str) -> int | None:
    return session.scalar(select(m.OutboundCall.id).where(m.OutboundCall.dedupe_key == key))
