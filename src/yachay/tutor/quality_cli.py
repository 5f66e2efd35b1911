"""``yachay tutor quality``: the model's AUC and calibration on the children it teaches.

A standalone click command; the ``tutor`` group adds it with ``tutor.add_command``.
"""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import with_appcontext

from yachay.tutor.live_quality import PUBLISHED, PUBLISHED_SOURCE, VersionQuality, live_quality


@click.command("quality")
@click.option(
    "--days",
    type=click.FloatRange(min=0, min_open=True),
    default=7,
    show_default=True,
    help="Score the answers of the last N days.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object on stdout.")
@with_appcontext
def quality(days: float, as_json: bool) -> None:
    """Live AUC and expected calibration error of each model version on recent answers.

    Every question the tutor chose in a call was stored with the probability it gave it;
    here those probabilities meet the answers that followed. The published-data figures
    of the README are printed beside them.
    """
    db = current_app.extensions["yachay.db"]
    with db.read_session() as session:
        rows = live_quality(session, days)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "days": days,
                    "versions": [r.to_dict() for r in rows],
                    "published": {
                        name: {"model": p.model, "auc": p.auc, "ece": p.ece}
                        for name, p in PUBLISHED.items()
                    },
                    "published_source": PUBLISHED_SOURCE,
                },
                indent=2,
            )
        )
        return
    _print(rows, days)


def _print(rows: list[VersionQuality], days: float) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not rows:
        console.print(
            f"No answered predictions in the last {days:g} days: the tutor chose no "
            "question that was then answered (practice, or the questions after a lesson).",
            highlight=False,
        )
    table = Table(title=f"Tutor model quality: live (last {days:g} days) and published")
    for column in ("model", "data", "answers", "AUC", "ECE", "right", "predicted"):
        table.add_column(column, justify="left" if column in ("model", "data") else "right")
    for r in rows:
        table.add_row(
            r.label,
            "live",
            f"{r.answers:,}",
            "-" if r.auc is None else f"{r.auc:.3f}",
            f"{r.ece:.3f}",
            f"{r.correct_rate:.1%}",
            f"{r.mean_predicted:.1%}",
        )
    for name, p in PUBLISHED.items():
        table.add_row(p.model, name, "", f"{p.auc:.3f}", f"{p.ece:.3f}", "", "")
    table.caption = (
        "live: the probability the tutor gave each question it chose, against the answer "
        "(AUC '-': all right or all wrong); prior: the cold-start prior. "
        f"Published: {PUBLISHED_SOURCE}."
    )
    console.print(table)


@click.command("retrain-if-needed")
@click.option(
    "--days",
    type=click.FloatRange(min=0, min_open=True),
    default=7,
    show_default=True,
    help="Judge live quality and drift on the answers of the last N days.",
)
@click.option(
    "--epochs",
    type=click.IntRange(min=1),
    default=None,
    help="At most N epochs when it trains (default: as `yachay tutor train`).",
)
@click.option("--dry-run", is_flag=True, help="Decide and log the decision, but do not train.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object on stdout.")
@with_appcontext
def retrain_if_needed_command(
    days: float, epochs: int | None, dry_run: bool, as_json: bool
) -> None:
    """Retrain the tutor model if live quality degraded, the inputs drifted, or enough new
    answers arrived; promote the candidate only if it is not worse than production on the
    same holdout. Every decision, with its reasons and numbers, is logged to MLflow
    (experiment yachay-tutor-retraining). Meant for a schedule (see the README)."""
    from yachay.tutor.auto_retrain import Thresholds, retrain_if_needed

    settings = current_app.config["YACHAY"]
    db = current_app.extensions["yachay.db"]
    decision = retrain_if_needed(
        settings, db, Thresholds(days=days), dry_run=dry_run, epochs=epochs
    )
    if as_json:
        click.echo(json.dumps(decision.to_dict(), indent=2))
        return
    verdict = "Retrain" if decision.retrain else "No retrain"
    click.echo(f"{verdict}: " + "; ".join(decision.reasons) + ".")
    for check in decision.checks:
        mark = "!" if check.fired else "·"
        click.echo(f"  {mark} {check.reason}")
    for note in decision.notes:
        click.echo(f"  · {note}")
    if decision.retrain:
        click.echo(f"Outcome: {decision.outcome}.")
    click.echo(f"MLflow run {decision.decision_run} (experiment yachay-tutor-retraining)")
