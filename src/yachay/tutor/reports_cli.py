"""``yachay tutor due`` and ``yachay tutor needs-tutor``: who to call back, and why.

``due`` lists the students an outbound review call should ring (FSRS reviews due);
``needs-tutor`` the students a teacher should call (stuck, falling mastery, calls cut
short), with the reasons in the teacher's words. Both read the database of the app.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import with_appcontext


def _now(at: datetime | None) -> datetime:
    return at.replace(tzinfo=UTC) if at is not None else datetime.now(UTC)


_AT = click.option(
    "--at",
    type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M"]),
    help="The moment to decide for, in UTC (default: now).",
)
_LIMIT = click.option("--limit", type=click.IntRange(min=1), help="Show at most this many.")
_JSON = click.option("--json", "as_json", is_flag=True, help="One JSON object on stdout.")


@click.command("due")
@_AT
@_LIMIT
@click.option(
    "--min-skills",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Only students with at least this many skills due.",
)
@_JSON
@with_appcontext
def due(at: datetime | None, limit: int | None, min_skills: int, as_json: bool) -> None:
    """Students due for spaced reviews: who an outbound review call should ring."""
    from yachay.tutor.reports import due_for_review

    now = _now(at)
    with current_app.extensions["yachay.db"].read_session() as session:
        rows = due_for_review(session, now, min_skills=min_skills, limit=limit)
    if as_json:
        _echo_json(now, rows)
        return
    if not rows:
        click.echo("Nobody is due for a review.")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Due for a review call at {now:%Y-%m-%d %H:%M} UTC")
    for column in ("student", "phone", "language", "overdue (days)", "skills due"):
        table.add_column(column, justify="right" if column.startswith("overdue") else "left")
    for r in rows:
        table.add_row(
            _who(r.student_id, r.name),
            r.phone,
            r.language,
            f"{r.overdue_days:.1f}",
            ", ".join(r.skill_names),
        )
    Console().print(table)


@click.command("needs-tutor")
@_AT
@_LIMIT
@_JSON
@with_appcontext
def needs_tutor(at: datetime | None, limit: int | None, as_json: bool) -> None:
    """Students who need a call from a teacher, with the reasons."""
    from yachay.tutor.bank import question_bank
    from yachay.tutor.reports import needs_a_tutor

    now = _now(at)
    tutor = current_app.extensions["yachay.tutor"]
    with current_app.extensions["yachay.db"].read_session() as session:
        # The bank tells the prior about questions the model does not know, and the skill
        # filter about difficulty levels; students of every grade: no grade's priors.
        bank = question_bank(session)
        predictor = tutor.predictor(bank.info, bank.catalog)
        rows = needs_a_tutor(session, predictor, now, limit=limit)
    if as_json:
        _echo_json(now, rows)
        return
    if not rows:
        click.echo("No student needs a tutor's call right now.")
        return
    for r in rows:
        click.echo(f"{_who(r.student_id, r.name)} ({r.phone}, {r.grade}.º grado):")
        for reason in r.reasons:
            click.echo(f"  - {reason}")


def _echo_json(now: datetime, rows: list) -> None:
    payload = {"at": now.isoformat(), "students": [asdict(r) for r in rows]}
    click.echo(json.dumps(payload, ensure_ascii=False, indent=2))


def _who(student_id: int, name: str | None) -> str:
    return f"{name} (#{student_id})" if name else f"#{student_id}"
