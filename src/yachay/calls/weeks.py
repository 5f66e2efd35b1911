"""Weeks as a family in Peru counts them: Monday to Sunday, in Lima time."""

from __future__ import annotations

from datetime import datetime, timedelta

#: Peru keeps UTC-5 all year; "this week" starts on Monday in Lima.
LIMA_OFFSET = timedelta(hours=-5)


def week_start(now_utc: datetime) -> datetime:
    """Monday 00:00 in Lima, as naive UTC."""
    lima = now_utc.replace(tzinfo=None) + LIMA_OFFSET
    monday = (lima - timedelta(days=lima.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    return monday - LIMA_OFFSET
