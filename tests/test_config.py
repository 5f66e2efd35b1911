from __future__ import annotations

from pathlib import Path

import pytest

from yachay.config import (
    Settings,
    checkout_root,
    default_var_dir,
    development_token,
    load_settings,
    masked_url,
    resolve_auth_token,
)

CHECKOUT = Path(__file__).resolve().parents[1]


def test_the_defaults_are_the_checkouts_var_folder_whatever_the_current_folder(
    tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    settings = load_settings({})
    assert settings.var_dir == CHECKOUT / "var"
    assert settings.database_url == f"sqlite:///{CHECKOUT / 'var' / 'yachay.db'}"
    assert settings.audio_dir == CHECKOUT / "var" / "audio"
    assert settings.tutor_dir == CHECKOUT / "var" / "tutor"
    assert settings.mlflow_tracking_uri == f"sqlite:///{CHECKOUT / 'var' / 'mlflow.db'}"
    assert settings.content_dir == CHECKOUT / "content"
    assert settings.public_url == ""
    assert Settings().var_dir == CHECKOUT / "var"


def test_an_installed_package_keeps_its_files_in_the_users_data_folder(tmp_path):
    installed = tmp_path / "site-packages" / "yachay"
    installed.mkdir(parents=True)
    (tmp_path / "pyproject.toml").write_text("")  # not a src layout: not a checkout
    assert checkout_root(installed) is None
    home = {"HOME": "/home/ana"}
    assert default_var_dir(home, installed) == Path("/home/ana/.local/share/yachay")
    xdg = {**home, "XDG_DATA_HOME": "/data"}
    assert default_var_dir(xdg, installed) == Path("/data/yachay")
    relative_xdg = {**home, "XDG_DATA_HOME": "data"}  # ignored, as the XDG spec says
    assert default_var_dir(relative_xdg, installed) == Path("/home/ana/.local/share/yachay")


def test_relative_paths_are_resolved_once_against_the_folder_they_were_given_in(
    tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    settings = load_settings(
        {
            "YACHAY_VAR_DIR": "run",
            "YACHAY_CONTENT_DIR": "packs-here",
            "YACHAY_MLFLOW_URI": "sqlite:///tracking.db",
        }
    )
    monkeypatch.chdir("/")
    assert settings.var_dir == tmp_path / "run"
    assert settings.database_url == f"sqlite:///{tmp_path / 'run' / 'yachay.db'}"
    assert settings.content_dir == tmp_path / "packs-here"
    assert settings.mlflow_tracking_uri == f"sqlite:///{tmp_path / 'tracking.db'}"
    monkeypatch.chdir(tmp_path)
    given = load_settings({"YACHAY_DATABASE_URL": "sqlite:///data/y.db?timeout=5"})
    assert given.database_url == f"sqlite:///{tmp_path / 'data' / 'y.db'}?timeout=5"
    memory = load_settings({"YACHAY_DATABASE_URL": "sqlite://"})
    assert memory.database_url == "sqlite://"


def test_the_default_database_follows_an_overridden_var_folder(tmp_path):
    settings = load_settings({}).with_overrides({"var_dir": tmp_path})
    assert settings.database_url == f"sqlite:///{tmp_path / 'yachay.db'}"
    chosen = load_settings({"YACHAY_DATABASE_URL": "sqlite:////srv/y.db"})
    assert chosen.with_overrides({"var_dir": tmp_path}).database_url == "sqlite:////srv/y.db"


def test_a_printed_database_url_hides_its_password():
    shown = masked_url("postgresql+psycopg://yachay:s3cret@db.example.org/yachay")
    assert shown == "postgresql+psycopg://yachay:***@db.example.org/yachay"
    assert "s3cret" not in shown


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


def test_grafanas_address_and_the_live_quality_interval():
    settings = load_settings(
        {"YACHAY_GRAFANA_URL": "https://grafana.ie.pe/", "YACHAY_LIVE_QUALITY_INTERVAL": "15"}
    )
    assert (settings.grafana_url, settings.live_quality_interval) == ("https://grafana.ie.pe", 15)
    defaults = load_settings({})
    assert (defaults.grafana_url, defaults.live_quality_interval) == ("", 60)
    for wrong in ("a minute", "-1"):
        with pytest.raises(ValueError, match="YACHAY_LIVE_QUALITY_INTERVAL must be a number"):
            load_settings({"YACHAY_LIVE_QUALITY_INTERVAL": wrong})
