"""`yachay content import PATH`: the packs into the database, all or nothing; safe to run
again. (The other content commands need no database: :mod:`yachay.content.cli`.)"""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from yachay.app import db
from yachay.content.cli import PACK_PATH, load_or_exit


@click.command("import")
@click.argument("path", type=PACK_PATH)
@with_appcontext
def import_command(path: Path) -> None:
    """Import the pack(s) in PATH into the database: new items are added, changed ones
    updated in place, and items no longer in a pack retired (never deleted), so every
    student's progress and answers are kept. Safe to run again.

    Nothing is imported if any pack has a problem: they are printed as by validate."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    from yachay.db import migrate
    from yachay.db.content_import import conflicts, import_packs

    packs = load_or_exit(path)
    settings = current_app.config["YACHAY"]

    where = make_url(settings.database_url).render_as_string(hide_password=True)
    try:
        migrate.upgrade(settings.database_url)
        with db.session() as session:
            refused = conflicts(session, packs)
            if refused:
                for line in refused:
                    click.echo(line)
                raise SystemExit(1)
            reports = import_packs(session, packs)
    except OperationalError as exc:
        raise click.ClickException(f"cannot use the database {where}: {exc.orig}") from exc
    for report in reports:
        click.echo(report.summary())
    changed = [report for report in reports if report.changed]
    noun = "pack" if len(reports) == 1 else "packs"
    if not changed:
        click.echo(f"imported {len(reports)} {noun} into {where}: nothing changed")
        return
    added, updated, retired = (
        sum(sum(getattr(report, name).values()) for report in reports)
        for name in ("added", "updated", "retired")
    )
    click.echo(
        f"imported {len(reports)} {noun} into {where}: "
        f"{added} added, {updated} updated, {retired} retired"
    )
