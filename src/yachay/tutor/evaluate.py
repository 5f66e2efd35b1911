"""Train on a dataset's ``train.csv``, report test metrics for our models and the baselines.

The validation split (for early stopping and the best epoch) is taken from ``train.csv`` by
student; ``test.csv`` is only ever predicted, never used for a choice. Every model and
baseline predicts every test answer from the answers before it, so the numbers compare.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from yachay.tutor import metrics
from yachay.tutor.baselines import BASELINES, labels, run_baseline
from yachay.tutor.checkpoint import save_checkpoint
from yachay.tutor.data import count_ids, read_three_line, split_by_student
from yachay.tutor.models import DEFAULT_MODEL, build_model
from yachay.tutor.train import (
    BestCheckpoint,
    EarlyStopping,
    ProgressBar,
    TrainConfig,
    Trainer,
    predict_sequences,
    seed_everything,
    set_threads,
)

__all__ = ["METRICS", "evaluate_dataset"]

METRICS = ("auc", "acc", "logloss", "ece")


def evaluate_dataset(
    directory: str | Path,
    models: Sequence[str] = (DEFAULT_MODEL,),
    seeds: int = 1,
    baselines: Sequence[str] = tuple(BASELINES),
    train_config: TrainConfig | None = None,
    model_options: dict[str, dict[str, Any]] | None = None,
    baseline_options: dict[str, dict[str, Any]] | None = None,
    checkpoint_dir: str | Path | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """``{"dataset": name, "models": {name: {"auc", "acc", "logloss", "ece", "train_seconds"}}}``.

    Our models are trained ``seeds`` times (seeds 0..N-1) and report the mean of each metric,
    with ``"std"`` (population standard deviation over seeds), ``"seeds"``, and the best
    validation AUC. Baselines are fit once, on the whole training file.
    """
    directory = Path(directory)
    set_threads()
    train = read_three_line(directory / "train.csv")
    test = read_three_line(directory / "test.csv")
    y_test = labels(test)
    base_config = train_config or TrainConfig()
    fit_part, val_part = split_by_student(train, base_config.val_fraction, base_config.split_seed)
    num_items, num_skills = count_ids(train)
    results: dict[str, Any] = {}

    for name in models:
        runs = []
        for seed in range(seeds):
            config = TrainConfig(**{**vars(base_config), "seed": seed})
            seed_everything(seed)
            model = build_model(
                name,
                num_items=num_items,
                num_skills=num_skills,
                **(model_options or {}).get(name, {}),
            )
            label = name if seeds == 1 else f"{name} seed {seed}"
            trainer = Trainer(
                model,
                config,
                [
                    ProgressBar(label, enabled=progress),
                    EarlyStopping(config.patience),
                    BestCheckpoint(),
                ],
            )
            started = time.monotonic()
            best = trainer.fit(fit_part, val_part)
            seconds = time.monotonic() - started
            _, p_test = predict_sequences(model, test, config)
            run = metrics.all_metrics(y_test, p_test)
            run.update(
                train_seconds=seconds, best_val_auc=best["val_auc"], epochs=len(trainer.history)
            )
            runs.append(run)
            if checkpoint_dir is not None:
                save_checkpoint(
                    Path(checkpoint_dir) / f"{name}-seed{seed}.pt",
                    model,
                    train_config=config,
                    best_metric={"val_auc": best["val_auc"]},
                    metadata={"dataset": directory.name},
                )
        results[name] = _summarise(runs)

    for name in baselines:
        if progress:
            tqdm.write(f"fitting baseline {name}", file=sys.stderr)
        p_test, seconds = run_baseline(name, train, test, **(baseline_options or {}).get(name, {}))
        results[name] = {**metrics.all_metrics(y_test, p_test), "train_seconds": seconds}

    return {"dataset": directory.name, "models": results}


def _summarise(runs: list[dict[str, float]]) -> dict[str, Any]:
    keys = (*METRICS, "train_seconds", "best_val_auc")
    out: dict[str, Any] = {k: statistics.fmean(r[k] for r in runs) for k in keys}
    out["std"] = {k: statistics.pstdev(r[k] for r in runs) for k in keys}
    out["seeds"] = len(runs)
    out["epochs"] = [r["epochs"] for r in runs]
    return out
