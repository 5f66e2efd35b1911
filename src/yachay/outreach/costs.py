"""What calls cost: each call's billed minutes priced from a per-minute rate table, per
child per month and per lesson completed (what an NGO budgets by).

Twilio bills a connected call by the started minute (61 s is 2 minutes); an outbound try
nobody answered costs nothing, one a voicemail took is billed like any other, and
answering-machine detection adds a fee per call it runs on.

The default rates are NOT freshly read: this project's machines cannot reach twilio.com.
They are the author's recollection of Twilio's Peru voice price page
(https://www.twilio.com/en-us/voice/pricing/pe), in US dollars; check them there and put
the current ones in a JSON file named by YACHAY_CALL_RATES_FILE before budgeting with them.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from yachay.db import models as m
from yachay.outreach.hours import LocalClock

DEFAULT_RATES: dict[str, object] = {
    "currency": "USD",
    "source": "Twilio Peru voice pricing (twilio.com/en-us/voice/pricing/pe), recalled, "
    "not re-read: check before budgeting",
    "read_on": "unverified (not read from the page; no internet on this machine on 2026-12-05)",
    #: per minute, by the kind of number on the other end
    "outbound_mobile": 0.0980,
    "outbound_landline_lima": 0.0140,
    "outbound_landline": 0.0420,
    "inbound_local": 0.0085,
    #: per call answering-machine detection ran on
    "machine_detection": 0.0075,
}
REQUIRED = ("outbound_mobile", "outbound_landline_lima", "outbound_landline", "inbound_local")


@dataclass(frozen=True)
class Rates:
    table: dict[str, object]

    @classmethod
    def load(cls, path: str | Path | None) -> Rates:
        if not path:
            return cls(dict(DEFAULT_RATES))
        try:
            table = json.loads(Path(path).read_text())
        except (OSError, ValueError) as error:
            raise ValueError(f"call rates file {path}: {error}") from error
        missing = [k for k in REQUIRED if not isinstance(table.get(k), int | float)]
        if missing:
            raise ValueError(f"call rates file {path}: no number for {', '.join(missing)}")
        return cls({**DEFAULT_RATES, **table})

    def per_minute(self, key: str) -> float:
        return float(self.table[key])  # type: ignore[arg-type]

    def outbound(self, phone: str) -> float:
        """Peru: mobiles are +51 9 and 9 digits; Lima's landlines +51 1."""
        if phone.startswith("+519"):
            return self.per_minute("outbound_mobile")
        if phone.startswith("+511"):
            return self.per_minute("outbound_landline_lima")
        return self.per_minute("outbound_landline")


def billed_minutes(seconds: int | None) -> int:
    return math.ceil(seconds / 60) if seconds else 0


@dataclass
class Bill:
    month: str
    currency: str
    rates_source: str
    rates_read_on: str
    calls: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    minutes: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    cost: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    per_student: dict[int, float] = field(default_factory=lambda: defaultdict(float))
    lessons_completed: int = 0

    @property
    def total(self) -> float:
        return sum(self.cost.values())

    def as_dict(self) -> dict[str, object]:
        children = len(self.per_student)
        return {
            "month": self.month,
            "currency": self.currency,
            "rates_source": self.rates_source,
            "rates_read_on": self.rates_read_on,
            "calls": dict(self.calls),
            "billed_minutes": dict(self.minutes),
            "cost_by_kind": {k: round(v, 4) for k, v in self.cost.items()},
            "total_cost": round(self.total, 4),
            "children": children,
            "cost_by_child": {str(k): round(v, 4) for k, v in sorted(self.per_student.items())},
            "cost_per_child": round(self.total / children, 4) if children else None,
            "lessons_completed": self.lessons_completed,
            "cost_per_lesson_completed": round(self.total / self.lessons_completed, 4)
            if self.lessons_completed
            else None,
        }


def month_bounds(clock: LocalClock, month: str) -> tuple[datetime, datetime]:
    """'2026-12' -> naive UTC of the local month's first moment and the next month's."""
    try:
        year, number = (int(x) for x in month.split("-"))
        first = date(year, number, 1)
    except ValueError:
        raise ValueError(f"{month!r} is not a month like 2026-12") from None
    after = date(year + number // 12, number % 12 + 1, 1)
    return clock.at(first, 0), clock.at(after, 0)


def monthly_bill(session: Session, clock: LocalClock, rates: Rates, month: str) -> Bill:
    start, end = month_bounds(clock, month)
    bill = Bill(
        month,
        str(rates.table.get("currency", "USD")),
        str(rates.table.get("source", "")),
        str(rates.table.get("read_on", "")),
    )
    household: dict[str, list[int]] = defaultdict(list)
    for student_id, phone in session.execute(select(m.Student.id, m.Student.phone)):
        household[phone].append(student_id)

    def charge(kind: str, amount: float, student_id: int | None, phone: str) -> None:
        bill.cost[kind] += amount
        # A call of the whole household (the parents', a missed call from a shared phone)
        # is shared among its children.
        share = [student_id] if student_id is not None else household.get(phone, [])
        for sid in share:
            bill.per_student[sid] += amount / len(share)

    inbound = session.execute(
        select(m.Call.student_id, m.Call.phone, m.Call.duration_seconds).where(
            m.Call.direction == "inbound", m.Call.started_at >= start, m.Call.started_at < end
        )
    )
    for student_id, phone, seconds in inbound:
        minutes = billed_minutes(seconds)
        bill.calls["inbound"] += 1
        bill.minutes["inbound"] += minutes
        charge("inbound", minutes * rates.per_minute("inbound_local"), student_id, phone)
    tries = session.execute(
        select(m.OutboundAttempt, m.OutboundCall.kind, m.OutboundCall.student_id)
        .join(m.OutboundCall)
        .where(m.OutboundAttempt.requested_at >= start, m.OutboundAttempt.requested_at < end)
    )
    amd = float(rates.table.get("machine_detection", 0) or 0)  # type: ignore[arg-type]
    for attempt, kind, student_id in tries:
        minutes = billed_minutes(attempt.duration_seconds) if attempt.status == "completed" else 0
        bill.calls[kind] += 1
        bill.minutes[kind] += minutes
        amount = minutes * rates.outbound(attempt.phone) + (amd if attempt.answered_by else 0)
        charge(kind, amount, student_id, attempt.phone)
    bill.lessons_completed = len(
        session.scalars(
            select(m.LessonProgress.id).where(
                m.LessonProgress.completed_at >= start, m.LessonProgress.completed_at < end
            )
        ).all()
    )
    return bill
