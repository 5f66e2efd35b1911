"""Local time for outbound calls: the household's window, quiet hours, minutes of the day.

Times are stored naive UTC (as everywhere in Yachay); windows and quiet hours are local
(Lima by default). Peru keeps no daylight saving, but nothing here assumes that.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
DAY_MINUTES = 24 * 60


def _minute(hours: str, minutes: str, text: str) -> int:
    h, m = int(hours), int(minutes)
    if h > 24 or m > 59 or (h == 24 and m):
        raise ValueError(f"{text!r}: {hours}:{minutes} is not a time of day")
    return h * 60 + m


def parse_span(text: str) -> tuple[int, int]:
    """'16:00-18:00' -> (960, 1080), minutes after midnight."""
    match = _SPAN.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a span of the day like 16:00-18:00")
    return _minute(*match.group(1, 2), text), _minute(*match.group(3, 4), text)


def format_minute(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


@dataclass(frozen=True)
class Window:
    """A daily window inside one day, [start, end) in minutes after local midnight."""

    start: int
    end: int

    @classmethod
    def parse(cls, text: str) -> Window:
        start, end = parse_span(text)
        if not start < end:
            raise ValueError(f"{text!r}: a call window must start before it ends, within a day")
        if end - start < 30:
            raise ValueError(f"{text!r}: a call window must be at least 30 minutes long")
        return cls(start, end)

    def __str__(self) -> str:
        return f"{format_minute(self.start)}-{format_minute(self.end)}"


@dataclass(frozen=True)
class QuietHours:
    """Local hours with no outbound call; may cross midnight (20:30-08:00)."""

    start: int
    end: int

    @classmethod
    def parse(cls, text: str) -> QuietHours:
        start, end = parse_span(text)
        return cls(start, end)

    def contains(self, minute: int) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= minute < self.end
        return minute >= self.start or minute < self.end

    def __str__(self) -> str:
        return f"{format_minute(self.start)}-{format_minute(self.end)}"


class LocalClock:
    """Converts between stored naive UTC and the service's local time."""

    def __init__(self, timezone: str, quiet: QuietHours) -> None:
        self.zone = ZoneInfo(timezone)
        self.quiet = quiet

    def local(self, utc_naive: datetime) -> datetime:
        return utc_naive.replace(tzinfo=UTC).astimezone(self.zone)

    def minute_of_day(self, utc_naive: datetime) -> int:
        local = self.local(utc_naive)
        return local.hour * 60 + local.minute

    def today(self, utc_naive: datetime) -> date:
        return self.local(utc_naive).date()

    def at(self, day: date, minute: int) -> datetime:
        """Naive UTC of local `day` at `minute` after midnight."""
        local = datetime.combine(day, time(), self.zone) + timedelta(minutes=minute)
        return local.astimezone(UTC).replace(tzinfo=None)

    def is_quiet(self, utc_naive: datetime) -> bool:
        return self.quiet.contains(self.minute_of_day(utc_naive))

    def after_quiet(self, utc_naive: datetime) -> datetime:
        """`utc_naive` itself outside quiet hours, else the moment quiet hours end."""
        if not self.is_quiet(utc_naive):
            return utc_naive
        local = self.local(utc_naive)
        minute = local.hour * 60 + local.minute
        day = local.date() if minute < self.quiet.end else local.date() + timedelta(days=1)
        return self.at(day, self.quiet.end)
