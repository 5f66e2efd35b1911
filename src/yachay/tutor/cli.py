"""``yachay tutor ...``: the knowledge-tracing model from the command line.

A plain click group (no Flask app context needed); the console script registers it with
``cli.add_command(tutor)``.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import with_appcontext

from yachay.tutor.defaults import (
    DEFAULT_EVALUATION,
    DEFAULT_MODEL,
    MAX_EPOCHS,
    MODEL_NAMES,
    SELECTIONS,
    TRAIN_MINUTES,
)
from yachay.tutor.retrain import AUC_TOLERANCE, MIN_ANSWERS


@click.group("tutor")
def tutor() -> None:
    """Knowledge tracing: the model that predicts a child's next answer."""


@tutor.command("evaluate")
@click.option(
    "--dataset",
    "dataset",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder with train.csv and test.csv in the three-line format.",
)
@click.option(
    "--model",
    "models",
    multiple=True,
    type=click.Choice([*SELECTIONS, *MODEL_NAMES]),
    default=(DEFAULT_EVALUATION,),
    show_default=True,
    help="Model to train, or 'auto' (train "
    + " and ".join(SELECTIONS["auto"])
    + ", keep the better on validation); repeat to compare several.",
)
@click.option(
    "--seeds",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="Train each model with seeds 0..N-1 and report mean and std.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")
@click.option(
    "--checkpoint-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Save each trained model here as NAME-seedK.pt.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="Processes to share the work (default: the CPUs, at most 4).",
)
@click.option(
    "--score-first-answers",
    "score_first",
    is_flag=True,
    help="Also score each student's first answer (no history to trace).",
)
@click.option(
    "--train-minutes",
    type=click.FloatRange(min=0, min_open=True),
    default=TRAIN_MINUTES,
    show_default=True,
    help="Time budget for training each model; the best epoch so far is kept.",
)
@click.option("--quiet", is_flag=True, help="No progress bars.")
def evaluate(
    dataset: Path,
    models: tuple[str, ...],
    seeds: int,
    as_json: bool,
    checkpoint_dir: Path | None,
    workers: int | None,
    score_first: bool,
    train_minutes: float,
    quiet: bool,
) -> None:
    """Train on DATASET/train.csv; report test AUC, accuracy, log loss and ECE.

    Our model(s) and the baselines (BKT via pyBKT, a PFA-like logistic regression) are
    evaluated in the same run on the same test answers. Progress goes to stderr.
    """
    from yachay.tutor.data import DataFormatError
    from yachay.tutor.evaluate import evaluate_dataset

    for name in ("train.csv", "test.csv"):
        if not (dataset / name).is_file():
            raise click.UsageError(f"{dataset} has no {name}")
    try:
        result = evaluate_dataset(
            dataset,
            models=models,
            seeds=seeds,
            checkpoint_dir=checkpoint_dir,
            workers=workers,
            score_first=score_first,
            train_minutes=train_minutes,
            progress=not quiet,
        )
    except DataFormatError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps(result, indent=2))
    else:
        _print_table(result)


def _print_table(result: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    first = "with" if result.get("first_answers_scored") else "after"
    table = Table(
        title=f"Test set of {result['dataset']}",
        caption=f"{result['answers_scored']:,} answers scored ({first} each student's first)",
    )
    table.add_column("model")
    for column in ("AUC", "accuracy", "log loss", "ECE", "train s"):
        table.add_column(column, justify="right")
    for name, row in result["models"].items():
        std = row.get("std")
        cells = []
        for key in ("auc", "acc", "logloss", "ece", "train_seconds"):
            digits = 1 if key == "train_seconds" else 4
            cell = f"{row[key]:.{digits}f}"
            if std and row.get("seeds", 1) > 1:
                cell += f" ± {std[key]:.{digits}f}"
            cells.append(cell)
        label = name
        if "selected" in row:
            label += f" → {row['selected']}"
        if row.get("seeds", 1) > 1:
            label += f" ({row['seeds']} seeds)"
        table.add_row(label, *cells)
    Console().print(table)


# --- the model trained on our own answers: train, list, promote, roll back -----------------
# These need the app (its database and settings): run them as `yachay tutor ...`.


def _app_settings_and_db():  # noqa: ANN202
    from flask import current_app

    return current_app.config["YACHAY"], current_app.extensions["yachay.db"]


def _registry():  # noqa: ANN202
    from yachay.tutor.registry import Registry

    settings, _ = _app_settings_and_db()
    return Registry(settings)


@tutor.command("train")
@click.option(
    "--model",
    "model_name",
    type=click.Choice(sorted(MODEL_NAMES)),
    default=None,
    help=f"Which model to train (default {DEFAULT_MODEL}; with --data-from, the run's).",
)
@click.option(
    "--epochs",
    type=click.IntRange(min=1),
    default=None,
    help=f"At most N epochs (default {MAX_EPOCHS}; training stops early when validation AUC "
    "stops improving).",
)
@click.option(
    "--min-answers",
    type=click.IntRange(min=1),
    default=MIN_ANSWERS,
    show_default=True,
    help="Train only once the database holds this many answers.",
)
@click.option(
    "--tolerance",
    type=click.FloatRange(min=0),
    default=AUC_TOLERANCE,
    show_default=True,
    help="Promote when holdout AUC >= production's minus this.",
)
@click.option("--no-promote", is_flag=True, help="Register the version but do not promote it.")
@click.option(
    "--data-from",
    metavar="RUN_ID",
    help="Train on the answers snapshot an earlier training run logged (with that run's "
    "model and settings), not on the database: reproduces its holdout metrics.",
)
@click.option(
    "--refit-dynamics",
    is_flag=True,
    help="Refit all of the skill filter's numbers; by default a new version keeps the served "
    "filter's learning rate, difficulty step and response-time rule and refits its priors.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")
@click.option("--quiet", is_flag=True, help="No progress bars.")
@with_appcontext
def train_command(
    model_name: str | None,
    epochs: int | None,
    min_answers: int,
    tolerance: float,
    no_promote: bool,
    data_from: str | None,
    refit_dynamics: bool,
    as_json: bool,
    quiet: bool,
) -> None:
    """Train on the answers in the database; promote if not worse than production.

    The new model and the production model are evaluated on the same holdout students
    (never trained on); the run, its metrics, the data fingerprint and the checkpoint go
    to MLflow (YACHAY_MLFLOW_URI, default var/mlflow.db) as a new version of
    `yachay-tutor`. Progress goes to stderr, the result to stdout.

    With too few answers it says so and exits 0: a scheduled retrain on a young
    install has nothing to do yet, which is not a failure (the cold-start prior serves).
    """
    from yachay.tutor.retrain import NotEnoughData, train_from_db
    from yachay.tutor.snapshot import SnapshotError

    settings, db = _app_settings_and_db()

    def stage(message: str) -> None:
        if not quiet:
            click.echo(f"· {message}", err=True)

    try:
        result = train_from_db(
            settings,
            db,
            model_name=model_name,
            epochs=epochs,
            min_answers=min_answers,
            tolerance=tolerance,
            promote=not no_promote,
            progress=not quiet,
            on_stage=stage,
            registry=_registry(),
            data_from=data_from,
            refit_dynamics=refit_dynamics,
        )
    except SnapshotError as exc:
        raise click.ClickException(str(exc)) from None
    except NotEnoughData as exc:
        if as_json:
            click.echo(json.dumps({"trained": False, "reason": str(exc)}))
        else:
            click.echo(f"Not training yet: {exc}")
        return
    if as_json:
        click.echo(json.dumps(_train_json(result), indent=2))
    else:
        _print_train(result)


def _train_json(result) -> dict:  # noqa: ANN001
    return {
        "trained": True,
        "version": result.version.version,
        "promoted": result.promoted,
        "reason": result.reason,
        "model": result.model_name,
        "fingerprint": result.fingerprint,
        "answers": result.answers,
        "students": result.students,
        "holdout": {"students": result.holdout_students, "answers": result.holdout_answers},
        "new": result.new,
        "production": (
            {"version": result.production_version, **result.production}
            if result.production is not None
            else None
        ),
        "prior": result.prior,
        "filter": result.filter,
        "production_filter": result.production_filter,
        "mlflow_run": result.run_id,
        "data_digest": result.data_digest,
    }


def _print_train(result) -> None:  # noqa: ANN001
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=(
            f"Tutor model v{result.version.version} ({result.model_name}): "
            f"{result.answers:,} answers from {result.students} students, "
            f"data {result.fingerprint[:12]}"
        ),
        caption=(
            f"Holdout: {result.holdout_answers:,} answers of {result.holdout_students} "
            "students no model trained on"
        ),
    )
    table.add_column("model")
    for column in ("AUC", "accuracy", "log loss", "ECE"):
        table.add_column(column, justify="right")

    def row(label: str, values: dict[str, float]) -> None:
        table.add_row(label, *(f"{values[k]:.4f}" for k in ("auc", "acc", "logloss", "ece")))

    row(f"new: v{result.version.version}", result.new)
    if result.filter is not None:
        row(f"new: v{result.version.version}'s skill filter (decides)", result.filter)
    if result.production is not None:
        row(f"production: v{result.production_version}", result.production)
        if result.production_filter is not None:
            row(
                f"production: v{result.production_version}'s skill filter", result.production_filter
            )
    elif result.production_version is not None:
        table.add_row(f"production: v{result.production_version}", "n/a", "", "", "")
    row("cold-start prior", result.prior)
    console = Console()
    console.print(table)
    verdict = "Promoted" if result.promoted else "Not promoted"
    console.print(f"{verdict} v{result.version.version}: {result.reason}.", highlight=False)
    console.print(
        f"MLflow run {result.run_id}; data snapshot sha256 {result.data_digest[:16]}",
        style="dim",
        highlight=False,
    )


@tutor.command("models")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@with_appcontext
def models_command(as_json: bool) -> None:
    """List the registered versions of the tutor model, newest first."""
    versions = _registry().versions()
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "version": v.version,
                        "created": v.created.isoformat(timespec="seconds"),
                        "model": v.model_name,
                        "holdout_auc": v.holdout_auc,
                        "filter_holdout_auc": v.filter_holdout_auc,
                        "answers": v.answers,
                        "fingerprint": v.fingerprint,
                        "production": v.production,
                    }
                    for v in versions
                ],
                indent=2,
            )
        )
        return
    if not versions:
        click.echo(
            "No tutor model yet: `yachay tutor train` trains one on the answers in the "
            "database. Until then the tutor uses its cold-start prior."
        )
        return
    from rich import box
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Tutor model versions", pad_edge=False, box=box.SIMPLE_HEAD)
    table.add_column("version", justify="right", no_wrap=True)
    table.add_column("created", no_wrap=True)
    table.add_column("model", no_wrap=True)
    table.add_column("AUC", justify="right", no_wrap=True)
    table.add_column("filter", justify="right", no_wrap=True)
    table.add_column("answers", justify="right", no_wrap=True)
    table.add_column("data", no_wrap=True)
    table.add_column("", no_wrap=True, min_width=10)
    for v in versions:
        table.add_row(
            f"v{v.version}",
            v.created.strftime("%Y-%m-%d"),
            v.model_name,
            "-" if v.holdout_auc is None else f"{v.holdout_auc:.4f}",
            "-" if v.filter_holdout_auc is None else f"{v.filter_holdout_auc:.4f}",
            "-" if v.answers is None else f"{v.answers:,}",
            v.fingerprint[:8],
            "production" if v.production else "",
        )
    table.caption = (
        "created: UTC date (--json: the time); AUC: the model's on its own holdout; filter: "
        "the holdout AUC of the skill filter, which decides; data: fingerprint of its answers"
    )
    Console().print(table)


@tutor.command("promote")
@click.argument("version", type=click.IntRange(min=1), metavar="VERSION")
@with_appcontext
def promote_command(version: int) -> None:
    """Put VERSION in production (serving picks it up within a second of the switch).

    The histories of the students who answered in the last 100 days are first read with
    VERSION, so that their next questions are scored as fast as before the switch.
    """
    from yachay.tutor.registry import RegistryError

    registry = _registry()
    before = registry.production()
    try:
        promoted = registry.promote(version)
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from None
    was = f"v{before.version}" if before else "the cold-start prior"
    click.echo(f"production: {was} -> v{promoted.version}")


@tutor.command("rollback")
@with_appcontext
def rollback_command() -> None:
    """Go back to the version that was in production before the current one."""
    from yachay.tutor.registry import RegistryError

    try:
        old, new = _registry().rollback()
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"production: v{old.version} -> v{new.version}")


@tutor.command("sync")
@with_appcontext
def sync_command() -> None:
    """Point serving at MLflow's production version (after a change made in MLflow itself,
    or on another host)."""
    from yachay.tutor.registry import RegistryError

    try:
        version = _registry().sync()
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from None
    if version is None:
        click.echo("MLflow has no production tutor model; serving uses the cold-start prior.")
    else:
        click.echo(f"production: v{version.version}")
