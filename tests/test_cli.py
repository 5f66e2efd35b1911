"""The `yachay` command line itself: no surprises on disk, no Flask commands, a version."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

from click.testing import CliRunner

from tests.checkout import copy_checkout, default_env, yachay
from yachay.cli import cli, describe
from yachay.config import load_settings


def files_under(*folders: Path) -> set[Path]:
    return {path for folder in folders for path in folder.rglob("*")}


def test_help_creates_nothing_on_disk(tmp_path: Path):
    checkout = copy_checkout(tmp_path / "checkout")
    cwd, home = tmp_path / "empty", tmp_path / "home"
    cwd.mkdir()
    home.mkdir()
    before = files_under(tmp_path)
    env = default_env(checkout, home)
    for args in (["--help"], ["serve", "--help"]):
        done = yachay(*args, cwd=cwd, env=env)
        assert done.returncode == 0, done.stderr
    # Neither the current folder, nor HOME, nor the checkout's var/ (no token, no database).
    assert files_under(tmp_path) == before


def test_flasks_own_commands_and_options_are_not_offered():
    runner = CliRunner()
    shown = runner.invoke(cli, ["--help"])
    assert shown.exit_code == 0
    commands = shown.output.split("Commands:")[1].split()
    for flask_command in ("run", "shell", "routes"):
        assert flask_command not in commands
    for option in ("--env-file", "--app", "--debug"):
        assert option not in shown.output
    assert "No such command 'run'" in runner.invoke(cli, ["run"]).output
    assert "No such option '--env-file'" in runner.invoke(cli, ["--env-file", "x", "db"]).output


def test_version_is_yachays():
    shown = CliRunner().invoke(cli, ["--version"])
    assert shown.exit_code == 0
    assert shown.output == f"yachay {version('yachay')}\n"


def test_serve_says_which_database_and_content_and_hides_the_password(tmp_path: Path):
    settings = load_settings(
        {
            "YACHAY_DATABASE_URL": "postgresql+psycopg://yachay:s3cret@db.example.org/yachay",
            "YACHAY_VAR_DIR": str(tmp_path / "var"),
            "YACHAY_CONTENT_DIR": str(tmp_path / "content"),
        }
    )
    text = describe(settings, {"es": "español"}, {})
    assert "s3cret" not in text
    assert "Database:      postgresql+psycopg://yachay:***@db.example.org/yachay" in text
    assert f"Content:       {tmp_path / 'content'}" in text
    assert f"Runtime files: {tmp_path / 'var'}" in text
    assert "Languages:     es (español)" in text
    assert "Not offered" not in text
