"""Train on a dataset's ``train.csv``, report test metrics for our models and the baselines.

The validation split (early stopping, best epoch, and the choice among candidates) is taken
from ``train.csv`` by student; ``test.csv`` is only ever predicted, never used for a choice.
Every model and baseline predicts every test answer from the answers before it, so the
numbers compare.

Which answers are scored: by default each student's answers after their first, the usual
next-step protocol of knowledge tracing (DKT, SAKT, pyKT): a first answer has no history to
trace, and every model can only give it the item's base rate. ``score_first=True`` scores
first answers too; on synthetic5, where every student starts with the same item, that
lowers our models' AUC by about 0.003 (attn+f 0.832 -> 0.829) and moves the baselines'
by less than that.

Work is spread over processes, one torch thread each: small sequence models gain little
from two intra-op threads and lose badly when the cores are shared, while a second process
trains another candidate, or fits the (pure Python) BKT baseline, at full speed.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from yachay.tutor import model_quality
from yachay.tutor.baselines import BASELINES, labels, run_baseline
from yachay.tutor.checkpoint import save_checkpoint
from yachay.tutor.data import StudentSequence, count_ids, read_three_line, split_by_student
from yachay.tutor.defaults import TRAIN_MINUTES
from yachay.tutor.features import feature_count
from yachay.tutor.models import DEFAULT_EVALUATION, SELECTIONS, build_model
from yachay.tutor.train import (
    BestCheckpoint,
    EarlyStopping,
    ProgressBar,
    Trainer,
    predict_sequences,
    seed_everything,
    set_threads,
)
from yachay.tutor.train_config import TrainConfig

__all__ = ["METRICS", "TRAIN_MINUTES", "evaluate_dataset", "train_model"]

METRICS = ("auc", "acc", "logloss", "ece")


@dataclass
class TrainedModel:
    """What one training run leaves: test predictions, its validation AUC, a checkpoint."""

    name: str
    seed: int
    val_auc: float
    epochs: int
    train_seconds: float
    test_probabilities: np.ndarray
    checkpoint: Path
    stopped_by: str = ""
    history: list[dict[str, float]] = field(default_factory=list)


def train_model(
    name: str,
    seed: int,
    config: TrainConfig,
    fit_part: Sequence[StudentSequence],
    val_part: Sequence[StudentSequence],
    test: Sequence[StudentSequence],
    sizes: tuple[int, int],
    checkpoint: Path,
    model_options: dict[str, Any] | None = None,
    progress: bool = True,
    metadata: dict[str, Any] | None = None,
    position: int | None = None,
) -> TrainedModel:
    """Train model ``name`` with ``seed``, save its best checkpoint, predict ``test``."""
    config = TrainConfig(**{**asdict(config), "seed": seed})
    seed_everything(seed)
    options = {"num_features": feature_count(fit_part), **(model_options or {})}
    model = build_model(name, num_items=sizes[0], num_skills=sizes[1], **options)
    trainer = Trainer(
        model,
        config,
        [
            ProgressBar(f"{name} seed {seed}", enabled=progress, position=position),
            EarlyStopping(config.patience),
            BestCheckpoint(),
        ],
    )
    started = time.monotonic()
    best = trainer.fit(fit_part, val_part)
    seconds = time.monotonic() - started
    save_checkpoint(
        checkpoint,
        model,
        train_config=config,
        best_metric={"val_auc": best["val_auc"]},
        metadata=metadata,
    )
    _, probabilities = predict_sequences(model, test, config)
    return TrainedModel(
        name=name,
        seed=seed,
        val_auc=best["val_auc"],
        epochs=len(trainer.history),
        train_seconds=seconds,
        test_probabilities=probabilities,
        checkpoint=checkpoint,
        stopped_by=trainer.stopped_by,
        history=trainer.history,
    )


class _InProcess(Executor):
    """Runs each job when submitted: ``workers=1``, and no process start-up cost."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # handed to the caller through the future
            future.set_exception(exc)
        return future


def evaluate_dataset(
    directory: str | Path,
    models: Sequence[str] = (DEFAULT_EVALUATION,),
    seeds: int = 1,
    baselines: Sequence[str] = tuple(BASELINES),
    train_config: TrainConfig | None = None,
    model_options: dict[str, dict[str, Any]] | None = None,
    baseline_options: dict[str, dict[str, Any]] | None = None,
    checkpoint_dir: str | Path | None = None,
    workers: int | None = None,
    score_first: bool = False,
    train_minutes: float | None = TRAIN_MINUTES,
    progress: bool = True,
) -> dict[str, Any]:
    """``{"dataset": name, "models": {name: {"auc", "acc", "logloss", "ece", "train_seconds"}}}``.

    ``models`` are registry names or selections (``SELECTIONS``, e.g. ``"auto"``): a
    selection trains each of its candidates and reports the one with the best validation
    AUC, as ``"selected"``, with every candidate's metrics under ``"candidates"`` (for the
    record); its ``train_seconds`` add up all candidates. Each is trained ``seeds`` times (seeds
    0..N-1); metrics are means over seeds, with ``"std"`` (population) and ``"seeds"``.
    Baselines are fit once, on the whole training file. ``workers`` processes share the
    work (default: the CPUs available, at most 4; 1 runs everything in this process).
    ``train_minutes`` caps each training run (no epoch starts that would end past it; the
    best epoch so far is kept), unless ``train_config`` sets its own ``max_seconds``.
    """
    directory = Path(directory)
    train = read_three_line(directory / "train.csv")
    test = read_three_line(directory / "test.csv")
    scored = np.concatenate([np.arange(len(s)) >= (0 if score_first else 1) for s in test])
    y_test = labels(test)[scored]
    config = train_config or TrainConfig()
    if config.max_seconds is None and train_minutes is not None:
        config = replace(config, max_seconds=60 * train_minutes)
    fit_part, val_part = split_by_student(train, config.val_fraction, config.split_seed)
    sizes = count_ids(train)
    workers = workers if workers is not None else min(4, _available_cpus())
    scratch = Path(tempfile.mkdtemp(prefix="yachay-tutor-"))
    executor: Executor
    threads = torch.get_num_threads()
    if workers > 1:
        executor = ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=set_threads,
            initargs=(1,),
        )
    else:
        set_threads(1)
        executor = _InProcess()
    # Each (model, seed) is trained once, whichever selections ask for it.
    wanted = {name: SELECTIONS.get(name, (name,)) for name in models}
    to_train = sorted(
        {(c, seed) for names in wanted.values() for c in names for seed in range(seeds)}
    )
    try:
        with executor:
            jobs = {
                (candidate, seed): executor.submit(
                    train_model,
                    candidate,
                    seed,
                    config,
                    fit_part,
                    val_part,
                    test,
                    sizes,
                    scratch / f"{candidate}-seed{seed}.pt",
                    (model_options or {}).get(candidate),
                    progress,
                    {"dataset": directory.name},
                    index % workers if workers > 1 else None,
                )
                for index, (candidate, seed) in enumerate(to_train)
            }
            baseline_jobs = {
                name: executor.submit(
                    run_baseline, name, train, test, **(baseline_options or {}).get(name, {})
                )
                for name in baselines
            }
            trained = {key: job.result() for key, job in jobs.items()}
            results: dict[str, Any] = {}
            for name, candidates in wanted.items():
                runs = {key: run for key, run in trained.items() if key[0] in candidates}
                results[name] = _summarise(name, runs, y_test, scored, checkpoint_dir)
            for name, job in baseline_jobs.items():
                p_test, seconds = job.result()
                results[name] = {
                    **model_quality.all_metrics(y_test, p_test[scored]),
                    "train_seconds": seconds,
                }
                if progress:
                    tqdm.write(f"baseline {name}: fit in {seconds:.0f} s", file=sys.stderr)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        torch.set_num_threads(threads)
    return {
        "dataset": directory.name,
        "models": results,
        "answers_scored": int(scored.sum()),
        "first_answers_scored": score_first,
    }


def _summarise(
    name: str,
    runs: dict[tuple[str, int], TrainedModel],
    y_test: np.ndarray,
    scored: np.ndarray,
    checkpoint_dir: str | Path | None,
) -> dict[str, Any]:
    candidates = sorted({candidate for candidate, _ in runs})
    summaries = {
        c: _over_seeds([r for (k, _), r in sorted(runs.items()) if k == c], y_test, scored)
        for c in candidates
    }
    # Chosen by validation AUC only (ties: the first name in sort order).
    chosen = max(candidates, key=lambda c: summaries[c]["best_val_auc"])
    out = dict(summaries[chosen])  # a copy: its candidate entry keeps its own seconds
    # A selection costs every candidate it trained.
    out["train_seconds"] = sum(summaries[c]["train_seconds"] for c in candidates)
    if len(candidates) > 1:
        out["selected"] = chosen
        # For the record; the choice above never looks at the test model_quality.
        out["candidates"] = {
            c: {k: summaries[c][k] for k in (*METRICS, "best_val_auc", "train_seconds")}
            for c in candidates
        }
    if checkpoint_dir is not None:
        for (candidate, seed), run in runs.items():
            if candidate == chosen:
                target = Path(checkpoint_dir) / f"{name}-seed{seed}.pt"
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(run.checkpoint, target)
    return out


def _over_seeds(runs: list[TrainedModel], y_test: np.ndarray, scored: np.ndarray) -> dict[str, Any]:
    """Mean metrics over the seeds of one model, their std, seeds and epochs."""
    per_seed = []
    for run in runs:
        row = model_quality.all_metrics(y_test, run.test_probabilities[scored])
        row["best_val_auc"] = run.val_auc
        row["train_seconds"] = run.train_seconds
        per_seed.append(row)
    keys = (*METRICS, "train_seconds", "best_val_auc")
    out: dict[str, Any] = {k: statistics.fmean(r[k] for r in per_seed) for k in keys}
    out["std"] = {k: statistics.pstdev(r[k] for r in per_seed) for k in keys}
    out["seeds"] = len(per_seed)
    out["epochs"] = [run.epochs for run in runs]
    out["stopped_by"] = [run.stopped_by for run in runs]
    return out


def _available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return multiprocessing.cpu_count()
