from __future__ import annotations

from pathlib import Path

import pytest

from yachay.config import development_token, load_settings, resolve_auth_token


def test_defaults_point_at_var():
    settings = load_settings({})
    assert settings.database_url == "sqlite:///var/yachay.db"
    assert settings.var_dir == Path("var") and settings.public_url == ""


def test_environment_overrides():
    settings = load_settings(
        {
            "YACHAY_DATABASE_URL": "postgresql+psycopg://u@db/yachay",
            "TWILIO_AUTH_TOKEN": "tok",
            "TWILIO_SHARED_KEYS": "k1:s1, k2:s2",
            "YACHAY_PUBLIC_URL": "https://yachay.example.org/",
            "YACHAY_VAR_DIR": "/srv/yachay",
        }
    )
    assert settings.database_url == "postgresql+psycopg://u@db/yachay"
    assert settings.twilio_shared_keys == {"k1": "s1", "k2": "s2"}
    assert settings.public_url == "https://yachay.example.org"
    assert settings.audio_dir == Path("/srv/yachay/audio")
    # The database follows the var folder unless it is set itself.
    assert load_settings({"YACHAY_VAR_DIR": "/srv/y"}).database_url == "sqlite:////srv/y/yachay.db"


def test_a_malformed_shared_key_list_is_explained():
    with pytest.raises(ValueError, match="keyid:secret"):
        load_settings({"TWILIO_SHARED_KEYS": "just-a-secret"})


def test_unknown_overrides_are_refused():
    with pytest.raises(ValueError, match="unknown setting.*databse_url"):
        load_settings({}).with_overrides({"databse_url": "x"})


def test_the_development_token_is_created_once_and_kept_private(tmp_path):
    first = development_token(tmp_path)
    assert len(first) == 32
    assert development_token(tmp_path) == first
    assert oct((tmp_path / "twilio_auth_token").stat().st_mode)[-3:] == "600"
    settings = resolve_auth_token(load_settings({"YACHAY_VAR_DIR": str(tmp_path)}))
    assert settings.twilio_auth_token == first
    real = resolve_auth_token(load_settings({"TWILIO_AUTH_TOKEN": "real"}))
    assert real.twilio_auth_token == "real"
