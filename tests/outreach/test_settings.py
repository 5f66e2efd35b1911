from __future__ import annotations

import pytest

from yachay.config import load_settings


def test_outbound_settings_come_from_the_environment():
    settings = load_settings(
        {
            "TWILIO_ACCOUNT_SID": "AC123",
            "TWILIO_FROM_NUMBER": "+5116401111",
            "TWILIO_API_URL": "http://127.0.0.1:9999/",
            "YACHAY_CALLBACK_NUMBER": "+5116402222",
            "YACHAY_REDIS_URL": "redis://127.0.0.1:6379/0",
            "YACHAY_CALLS_PER_SECOND": "2.5",
            "YACHAY_QUIET_HOURS": "21:00-07:30",
            "YACHAY_RETRY_MINUTES": "5, 15",
        }
    )
    assert settings.twilio_account_sid == "AC123"
    assert settings.twilio_api_url == "http://127.0.0.1:9999"
    assert settings.callback_number == "+5116402222"
    assert settings.calls_per_second == 2.5
    assert settings.quiet_hours == "21:00-07:30"
    assert settings.retry_minutes == (5, 15)
    defaults = load_settings({})
    assert (defaults.calls_per_second, defaults.retry_minutes) == (1.0, (10, 30))
    assert defaults.twilio_api_url == "https://api.twilio.com"
    assert (defaults.quiet_hours, defaults.timezone) == ("20:30-08:00", "America/Lima")


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("YACHAY_CALLS_PER_SECOND", "fast", "must be a number"),
        ("YACHAY_CALLS_PER_SECOND", "0", "above 0"),
        ("YACHAY_RETRY_MINUTES", "10,later", "must look like '10,30'"),
    ],
)
def test_bad_outbound_settings_say_what_is_wrong(name, value, message):
    with pytest.raises(ValueError, match=message):
        load_settings({name: value})


def test_bad_quiet_hours_or_time_zone_stop_the_app_with_the_settings_name(tmp_path):
    from yachay.app import create_app

    with pytest.raises(ValueError, match="YACHAY_QUIET_HOURS: 'de noche' is not a span"):
        create_app({"var_dir": tmp_path, "quiet_hours": "de noche"})
    with pytest.raises(ValueError, match="YACHAY_TIMEZONE: 'Peru/Andes' is not a time zone"):
        create_app({"var_dir": tmp_path, "timezone": "Peru/Andes"})
