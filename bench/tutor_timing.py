"""Does reading response times make the tutor model predict better? A benchmark.

Our answers carry how long each took (``answers.response_ms``), and a model trained on them
reads two features of it (:data:`yachay.tutor.features.FEATURE_NAMES`: the previous answer's
and the skill's last answer's log seconds). This trains the served model (``dkt+f``,
through the real trainer, the same seed) on the same logs three ways and compares the
predictions of held-out students' answers:

- ``untimed``: the answers without times (the model reads the 12 untimed features), the
  baseline;
- ``timed``: with their response times, as `yachay tutor train` trains;
- ``times shuffled``: each student's times permuted among their answers — the same
  features and parameters with the information about *this* answer removed, a control
  that a gain comes from what the times say, not from the model's larger input;
- ``raw: listening included``: each time as the phone measured it before migration 0008,
  from when the reply left the server: plus the time to hear the question and its choices
  (each question's own length, 5-15 s) and, after a wrong answer, the explanation said
  before the next question (3-8 s);
- ``from the end, estimated``: that raw time minus the spoken length as the server
  estimates it (`yachay.flows.speech`: the text at the voice's rate, here within 10% of
  the truth), floored at 0 — what `response_ms` now holds.

The logs are simulated (`yachay.tutor.simulation`): children of grades 1-6 answering random
questions of their grade and below in short daily calls, their response times shorter
when they are competent (right or wrong). Real children's times are noisier, so this
measures that the model uses the signal, not how strong the signal is in a real school.

    .venv/bin/python bench/tutor_timing.py [--students 300] [--days 30] [--train-minutes 3]
        [--epochs N]

Several minutes on 2 cores; a progress bar per training run.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from yachay.tutor import model_quality as metrics
from yachay.tutor.baselines import labels
from yachay.tutor.data import StudentSequence, count_ids, split_by_student
from yachay.tutor.evaluate import train_model
from yachay.tutor.simulation import SimConfig, World, synthetic_curriculum
from yachay.tutor.simulation.run import warmup_histories
from yachay.tutor.train import TrainConfig, set_threads


def simulated_logs(students: int, days: int, seed: int) -> list[StudentSequence]:
    """Timed answer sequences of simulated children practising random questions."""
    config = replace(SimConfig(), seed=seed, warmup_students=students, warmup_days=days)
    curriculum = synthetic_curriculum(seed)
    world = World(curriculum, config.model, seed)
    catalog = curriculum.catalog
    items = {item.id: n for n, item in enumerate(catalog.items, start=1)}
    skills = {skill.id: n for n, skill in enumerate(catalog.skills, start=1)}
    sequences = []
    for _, history in warmup_histories(world, config):
        if len(history) < 2:
            continue
        sequences.append(
            StudentSequence.from_lists(
                [items[a[0]] for a in history],
                [int(a[1]) for a in history],
                [skills[catalog.item[a[0]].skills[0]] for a in history],
                [a[2] for a in history],
            )
        )
    return sequences


def without_times(sequences: list[StudentSequence]) -> list[StudentSequence]:
    return [StudentSequence(s.questions, s.skills, s.responses) for s in sequences]


def shuffled_times(sequences: list[StudentSequence], seed: int) -> list[StudentSequence]:
    rng = np.random.default_rng(seed)
    return [
        StudentSequence(s.questions, s.skills, s.responses, rng.permutation(s.ms))
        for s in sequences
    ]


def with_listening(
    sequences: list[StudentSequence], seed: int, estimated: bool, length: np.ndarray
) -> list[StudentSequence]:
    """Times as measured from when the reply was sent (listening included), or that minus
    an estimate of the spoken length (``estimated``): see the module doc. ``length``: how
    long each question (by id) and its choices take to say, in ms."""
    rng = np.random.default_rng(seed)
    out = []
    for s in sequences:
        heard = length[s.questions].copy()
        wrong_before = np.concatenate([[False], s.responses[:-1] == 0])
        heard += np.where(wrong_before, rng.uniform(3000, 8000, len(s)), 0.0)
        raw = s.ms + heard
        ms = np.maximum(0, raw - heard * rng.uniform(0.9, 1.1, len(s))) if estimated else raw
        out.append(StudentSequence(s.questions, s.skills, s.responses, ms.astype(np.int64)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--train-minutes", type=float, default=3.0)
    parser.add_argument(
        "--epochs",
        type=int,
        default=None,
        help="train every variant for at most this many epochs instead of a time budget "
        "(the same training whatever the machine's load)",
    )
    parser.add_argument("--model", default="dkt+f")
    args = parser.parse_args()
    set_threads()

    started = time.monotonic()
    sequences = simulated_logs(args.students, args.days, args.seed)
    rest, test = split_by_student(sequences, 0.2, seed=args.seed)
    fit, val = split_by_student(rest, 0.125, seed=args.seed)
    sizes = count_ids(sequences)
    answers = sum(len(s) for s in sequences)
    print(
        f"{len(sequences)} simulated students, {answers} answers "
        f"({time.monotonic() - started:.0f} s); training {args.model} on {len(fit)}, "
        f"validating on {len(val)}, testing on {len(test)}",
        file=sys.stderr,
    )
    config = (
        TrainConfig(max_seconds=args.train_minutes * 60)
        if args.epochs is None
        else TrainConfig(max_epochs=args.epochs)
    )
    # each question's spoken length (stem and choices), 5-15 s
    length = np.random.default_rng(0).uniform(5000, 15000, sizes[0] + 2)
    y = labels(test)
    scored = np.concatenate([np.arange(len(s)) >= 1 for s in test])
    variants = {
        "untimed": (without_times(fit), without_times(val), without_times(test)),
        "timed": (fit, val, test),
        "times shuffled": (
            shuffled_times(fit, 1),
            shuffled_times(val, 2),
            shuffled_times(test, 3),
        ),
        "raw: listening included": tuple(
            with_listening(part, n, False, length) for n, part in enumerate((fit, val, test))
        ),
        "from the end, estimated": tuple(
            with_listening(part, n, True, length) for n, part in enumerate((fit, val, test))
        ),
    }
    rows = {}
    with tempfile.TemporaryDirectory() as folder:
        for name, (f, v, t) in variants.items():
            run = train_model(
                args.model, args.seed, config, f, v, t, sizes, Path(folder) / f"{name}.pt"
            )
            p = run.test_probabilities[scored]
            rows[name] = {
                "features": run_features(Path(folder) / f"{name}.pt"),
                "auc": metrics.auc(y[scored], p),
                "logloss": metrics.log_loss(y[scored], p),
                "val_auc": run.val_auc,
                "minutes": run.train_seconds / 60,
            }

    base = rows["untimed"]
    table = Table(
        title=f"{args.model} on simulated logs: held-out students' next answers "
        f"({int(scored.sum())} answers)"
    )
    for column in ("variant", "features", "test AUC", "x AUC", "log loss", "x log loss"):
        table.add_column(column, justify="left" if column == "variant" else "right")
    table.add_column("val AUC", justify="right")
    table.add_column("train min", justify="right")
    for name, row in rows.items():
        table.add_row(
            name,
            str(row["features"]),
            f"{row['auc']:.4f}",
            f"{row['auc'] / base['auc']:.3f}",
            f"{row['logloss']:.4f}",
            f"{row['logloss'] / base['logloss']:.3f}",
            f"{row['val_auc']:.4f}",
            f"{row['minutes']:.1f}",
        )
    console = Console(width=110)
    console.print(table)
    console.print("x: ratio to the untimed model of the same run (AUC: higher is better)")


def run_features(checkpoint: Path) -> int:
    from yachay.tutor.checkpoint import load_checkpoint

    return load_checkpoint(checkpoint).model.config.num_features


if __name__ == "__main__":
    main()
