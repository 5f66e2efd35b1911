"""``yachay tutor ...``: the knowledge-tracing model from the command line.

A plain click group (no Flask app context needed); the console script registers it with
``cli.add_command(tutor)``.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from yachay.tutor.models import DEFAULT_MODEL, MODELS


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
    type=click.Choice(sorted(MODELS)),
    default=(DEFAULT_MODEL,),
    show_default=True,
    help="Model to train; repeat to compare several.",
)
@click.option("--seeds", default=1, show_default=True, type=click.IntRange(min=1),
              help="Train each model with seeds 0..N-1 and report mean and std.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")
@click.option("--checkpoint-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Save each trained model here as NAME-seedK.pt.")
@click.option("--quiet", is_flag=True, help="No progress bars.")
def evaluate(
    dataset: Path,
    models: tuple[str, ...],
    seeds: int,
    as_json: bool,
    checkpoint_dir: Path | None,
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

    table = Table(title=f"Test set of {result['dataset']}")
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
        label = f"{name} ({row['seeds']} seeds)" if row.get("seeds", 1) > 1 else name
        table.add_row(label, *cells)
    Console().print(table)
