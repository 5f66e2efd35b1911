from __future__ import annotations

import pytest

from tests.outreach.conftest import lima
from yachay.outreach.hours import LocalClock, QuietHours, Window


def test_a_window_is_read_from_hours_and_checked():
    assert Window.parse("16:00-18:00") == Window(960, 1080)
    assert str(Window.parse("7:30 - 9:00")) == "07:30-09:00"
    for bad, why in [
        ("18:00-16:00", "start before it ends"),
        ("16:00-16:15", "at least 30 minutes"),
        ("25:00-26:00", "not a time of day"),
        ("tarde", "not a span"),
    ]:
        with pytest.raises(ValueError, match=why):
            Window.parse(bad)


def test_quiet_hours_across_midnight_end_in_the_morning():
    clock = LocalClock("America/Lima", QuietHours.parse("20:30-08:00"))
    assert clock.is_quiet(lima("2026-12-05", "21:00"))
    assert clock.is_quiet(lima("2026-12-05", "03:00"))
    assert not clock.is_quiet(lima("2026-12-05", "08:00"))
    assert not clock.is_quiet(lima("2026-12-05", "20:29"))
    assert clock.after_quiet(lima("2026-12-05", "21:00")) == lima("2026-12-06", "08:00")
    assert clock.after_quiet(lima("2026-12-05", "03:00")) == lima("2026-12-05", "08:00")
    assert clock.after_quiet(lima("2026-12-05", "12:00")) == lima("2026-12-05", "12:00")


def test_empty_quiet_hours_are_never_quiet():
    clock = LocalClock("America/Lima", QuietHours.parse("00:00-00:00"))
    assert not clock.is_quiet(lima("2026-12-05", "03:00"))


def test_local_minutes_and_days_are_lima_time():
    clock = LocalClock("America/Lima", QuietHours.parse("22:00-07:00"))
    at = lima("2026-12-05", "23:30")  # 04:30 UTC the next day
    assert at.day == 6
    assert clock.minute_of_day(at) == 23 * 60 + 30
    assert str(clock.today(at)) == "2026-12-05"
    assert clock.at(clock.today(at), 16 * 60) == lima("2026-12-05", "16:00")
