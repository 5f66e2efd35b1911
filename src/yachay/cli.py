"""The `yachay` console script. A FlaskGroup, so `yachay ...` and `flask ...` share one app."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from yachay.app import create_app, db
from yachay.config import Settings
from yachay.content.audio_cli import audio
from yachay.content.cli import content
from yachay.db import migrate
from yachay.db.starter import load_starter_content
from yachay.phone.cli import call
from yachay.students_cli import student
from yachay.tutor.cli import tutor
from yachay.tutor.outreach_cli import due, needs_tutor
from yachay.tutor.simulate_cli import simulate
from yachay.users_cli import users


def _settings() -> Settings:
    return current_app.config["YACHAY"]


@click.group(
    cls=FlaskGroup,
    create_app=create_app,
    add_default_commands=True,
    help="Yachay: lessons and practice over any phone.",
)
def cli() -> None:
    pass


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def serve(host: str, port: int) -> None:
    """Apply migrations, load the starter content if there is none, and serve."""
    from werkzeug.serving import run_simple

    settings = _settings()
    migrate.upgrade(settings.database_url)
    loaded = load_starter_content(db, settings.content_dir / "packs")
    if loaded:
        click.echo(f"Loaded the starter content: {', '.join(loaded)}")
    base = f"http://{host}:{port}"
    click.echo(
        f"Yachay is answering calls at {base}/voice\n"
        f"The console is at {base}/ (the first admin: yachay users add --role admin ...)\n"
        f"Call it with the phone simulator:  yachay call --url {base}\n"
        f"  (or scripted: yachay call --url {base} --keys 1,3,1 --json)"
    )
    run_simple(
        host,
        port,
        current_app._get_current_object(),
        threaded=True,  # type: ignore[attr-defined]
        use_reloader=False,
    )


@cli.group("db")
def db_group() -> None:
    """Database migrations (Alembic)."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION."""
    migrate.upgrade(_settings().database_url, revision)
    click.echo(f"database at {revision}")


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


cli.add_command(call)
cli.add_command(content)
cli.add_command(audio)
cli.add_command(student)
cli.add_command(users)
tutor.add_command(simulate)
tutor.add_command(due)
tutor.add_command(needs_tutor)
cli.add_command(tutor)


def main() -> None:
    cli()
