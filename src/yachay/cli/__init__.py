"""The `yachay` console script: a click group whose commands get the app from `create_app`
(through Flask's `ScriptInfo`, so `with_appcontext` works as in any Flask command line)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import ScriptInfo, with_appcontext

from yachay.app import create_app, db
from yachay.cli.content_import import import_command
from yachay.cli.students import student
from yachay.cli.users import users
from yachay.config import Settings, masked_url
from yachay.content.audio import INSTALL_COMMAND, missing_tools
from yachay.content.audio_cli import audio
from yachay.content.cli import content
from yachay.db import backup, migrate
from yachay.db.starter import load_starter_content
from yachay.flows.callers import LANGUAGE_KEYS
from yachay.outreach import start_scheduler
from yachay.outreach.cli import outreach, worker
from yachay.phone.cli import call
from yachay.tutor.cli import tutor
from yachay.tutor.quality_cli import quality, retrain_if_needed_command
from yachay.tutor.reports_cli import due, needs_tutor
from yachay.tutor.simulate_cli import simulate


def _settings() -> Settings:
    return current_app.config["YACHAY"]


class YachayGroup(click.Group):
    """Builds the app only for a command that needs it (`with_appcontext`).

    Not Flask's `FlaskGroup`: that one builds the app to list commands (so `--help` wrote
    the development token into the current folder), reads `.env` files from it, and adds
    `run`, `shell`, `routes`, `--app` and `--env-file`, which would serve or load an app
    other than the one `yachay serve` sets up."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        if "obj" not in extra and "obj" not in self.context_settings:
            extra["obj"] = ScriptInfo(
                create_app=create_app, set_debug_flag=False, load_dotenv_defaults=False
            )
        return super().make_context(info_name, args, parent=parent, **extra)


@click.group(cls=YachayGroup, help="Yachay: lessons and practice over any phone.")
@click.version_option(package_name="yachay", message="yachay %(version)s")
def cli() -> None:
    pass


#: Languages in the order the language menu offers them.
KEYPAD_ORDER = {code: position for position, code in enumerate(LANGUAGE_KEYS.values())}


def describe(settings: Settings, offered: Mapping[str, str], silent: Mapping[str, str]) -> str:
    """What a started server uses and offers, and once, what it cannot offer and how to
    fix that (language code -> name in each mapping)."""

    def named(languages: Mapping[str, str]) -> str:
        in_menu_order = sorted(
            languages, key=lambda code: KEYPAD_ORDER.get(code, len(KEYPAD_ORDER))
        )
        return ", ".join(f"{code} ({languages[code]})" for code in in_menu_order)

    lines = [
        f"Database:      {masked_url(settings.database_url)}",
        f"Content:       {settings.content_dir}",
        f"Runtime files: {settings.var_dir}",
        f"Languages:     {named(offered)}",
    ]
    if silent:
        missing = missing_tools() or ["espeak-ng or sox"]
        verb = "are" if len(missing) > 1 else "is"
        lines.append(
            f"Not offered:   {named(silent)}: {' and '.join(missing)}, which render their "
            f"audio, {verb} not installed. To offer them: {INSTALL_COMMAND}, then restart."
        )
    return "\n".join(lines)


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="gunicorn worker processes (default: deploy/gunicorn.conf.py's, YACHAY_WORKERS or 4)",
)
@click.option("--dev", is_flag=True, help="Flask's development server (one process) instead")
@with_appcontext
def serve(host: str, port: int, workers: int | None, dev: bool) -> None:
    """Apply migrations, load the starter content if there is none, and serve (gunicorn)."""
    from werkzeug.serving import run_simple

    from yachay.cli.gunicorn_server import serve_with_gunicorn

    settings = _settings()
    offered = {
        code: lang.name for code, lang in current_app.extensions["yachay.prompts"].languages.items()
    }
    click.echo(describe(settings, offered, current_app.extensions["yachay.silent_languages"]))
    migrate.upgrade(settings.database_url)
    loaded = load_starter_content(db, settings.content_dir / "packs")
    if loaded:
        click.echo(f"Loaded the starter content: {', '.join(loaded)}")
    if outbound := start_scheduler(current_app):
        click.echo(outbound)
    base = f"http://{host}:{port}"
    click.echo(
        f"Yachay is answering calls at {base}/voice\n"
        f"The console is at {base}/ (the first admin: yachay users add --role admin ...)\n"
        f"Call it with the phone simulator:  yachay call --url {base}\n"
        f"  (or scripted: yachay call --url {base} --keys 1,3,1 --json)"
    )
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if dev:
        run_simple(host, port, app, threaded=True, use_reloader=False)
        return
    # The workers fork from this process: none may inherit its database connections.
    db.dispose()
    serve_with_gunicorn(app, host, port, workers)


@cli.group("db")
def db_group() -> None:
    """Database migrations (Alembic)."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION."""
    url = _settings().database_url
    migrate.upgrade(url, revision)
    click.echo(f"database {masked_url(url)} at {revision}")


@db_group.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str) -> None:
    """Undo migrations down to REVISION (use 'base' for an empty database)."""
    migrate.downgrade(_settings().database_url, revision)


@db_group.command("revision")
@click.option("-m", "--message", required=True)
@with_appcontext
def db_revision(message: str) -> None:
    """Write a new migration from the difference between the models and the database."""
    migrate.revision(_settings().database_url, message)


@db_group.command("backup")
@click.argument("destination", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def db_backup(destination: Path) -> None:
    """Write a consistent copy of the database to DESTINATION, also while it serves
    (SQLite: its online backup; PostgreSQL: pg_dump's custom format)."""
    try:
        backup.backup(_settings().database_url, destination)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"backed up {masked_url(_settings().database_url)} to {destination}")


@db_group.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace the database's contents without asking")
@with_appcontext
def db_restore(source: Path, yes: bool) -> None:
    """Replace the database's contents with the backup SOURCE. Stop the server first."""
    url = _settings().database_url
    if not yes:
        click.confirm(f"Replace everything in {masked_url(url)} with {source}?", abort=True)
    try:
        backup.restore(url, source)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"restored {source} into {masked_url(url)}")


cli.add_command(call)
content.add_command(import_command)
cli.add_command(content)
cli.add_command(audio)
cli.add_command(student)
cli.add_command(users)
tutor.add_command(simulate)
tutor.add_command(due)
tutor.add_command(needs_tutor)
tutor.add_command(quality)
tutor.add_command(retrain_if_needed_command)
cli.add_command(tutor)
cli.add_command(outreach)
cli.add_command(worker)


def main() -> None:
    cli()
