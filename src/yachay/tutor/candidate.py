"""A candidate version of the tutor, and the gate it must pass: what `yachay tutor train`
does between reading the answers and logging the run, and exactly what the simulation's
production row (`yachay.tutor.simulation.production`) runs on simulated answers.

:func:`train_candidate` holds out 20% of the students (by a hash of their id, stable as
data grows), trains the knowledge-tracing model on the rest (early stopping on a
validation split of those), fits the skill filter that decides practice
(:mod:`yachay.tutor.decider`) on the same students (keeping the served filter's dynamics
when given them: only its priors are refitted), and predicts every holdout answer
from the answers before it with both. :func:`judge` scores production's model and filter
on the same holdout answers and applies the gate: a candidate goes out when there is no
production version, when production cannot be evaluated, or when its model's holdout AUC
is at least production's minus :data:`AUC_TOLERANCE`, and so is its filter's against
production's filter when both carry one.

Why a tolerance: the AUC of a few thousand holdout answers moves by about 0.01 between
retrainings on the same data, so "not worse" is judged within 0.002. A retrain that ties
(and knows the questions and students added since) goes out; one that is clearly worse does
not. The comparison is always with the current production version on today's holdout,
never with the number logged when it was trained.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from yachay.tutor import model_quality
from yachay.tutor.answer_log import HOLDOUT_FRACTION, AnswerLog, Vocabulary
from yachay.tutor.decider import filter_metrics, fit_version_filter
from yachay.tutor.domain import Catalog

__all__ = [
    "AUC_TOLERANCE",
    "MIN_ANSWERS",
    "Candidate",
    "Judgement",
    "NotEnoughData",
    "Served",
    "check_data",
    "judge",
    "predict",
    "train_candidate",
]

#: A candidate is promoted if its holdout AUC >= production's - this (see the module doc).
AUC_TOLERANCE = 0.002
#: Fewer answers than this, and `yachay tutor train` waits for more (the prior serves).
MIN_ANSWERS = 1000


class NotEnoughData(Exception):
    """Too few answers (or students) to train and compare a model; the message says which."""


@dataclass
class Candidate:
    """A trained model and a fitted filter, with their holdout predictions' metrics."""

    model_name: str
    model: Any  # a KTModel (torch is imported only when training)
    vocabulary: Vocabulary
    train_config: Any  # TrainConfig
    #: The skill filter's numbers (None: no answer on a question of the bank).
    fitted: dict[str, float] | None
    train_log: AnswerLog
    holdout: AnswerLog
    #: The holdout answers, in the order the model predicted them.
    y: np.ndarray
    new: dict[str, float]
    filter: dict[str, float] | None
    trainer: Any
    train_seconds: float


@dataclass(frozen=True)
class Served:
    """What the gate reads of the production version: its model and filter."""

    version: int
    model: Any
    vocabulary: Vocabulary
    train_config: Any
    fitted: Mapping[str, float] | None


@dataclass(frozen=True)
class Judgement:
    """Production's holdout metrics beside the candidate's, and the gate's decision."""

    production: dict[str, float] | None
    production_filter: dict[str, float] | None
    production_error: str | None
    promoted: bool
    reason: str


def check_data(log: AnswerLog, min_answers: int) -> tuple[AnswerLog, AnswerLog]:
    """(training students, holdout students), or :class:`NotEnoughData` saying why not."""
    if log.num_answers < min_answers:
        raise NotEnoughData(
            f"{log.num_answers} answers in the database; training needs at least "
            f"{min_answers} (--min-answers). Until then the tutor uses its cold-start prior."
        )
    train, holdout = log.split()
    if len(train.students) < 2:
        raise NotEnoughData(
            f"only {len(train.students)} student(s) to train on; training needs at least 2 "
            f"outside the holdout ({HOLDOUT_FRACTION:.0%} of students, chosen by id)"
        )
    labels = {c for s in holdout.students for c in s.correct}
    if labels != {True, False}:
        raise NotEnoughData(
            f"the holdout ({len(holdout.students)} student(s), {holdout.num_answers} answers) "
            "needs both right and wrong answers to compare models; wait for more students"
        )
    return train, holdout


def train_candidate(
    log: AnswerLog,
    grades: Mapping[int, int],
    catalog: Catalog,
    model_name: str,
    config: Any,
    *,
    min_answers: int = MIN_ANSWERS,
    options: Mapping[str, Any] | None = None,
    progress: bool = False,
    callbacks: tuple = (),
    on_stage: Any = None,
    keep: Mapping[str, float] | None = None,
) -> Candidate:
    """Train the model and fit the filter on ``log``'s training students; predict its
    holdout students with both. ``callbacks``: the trainer's (e.g. MLflow's epoch logger).
    ``keep``: the served filter's numbers, whose dynamics the new filter keeps (refitting
    only its priors; `filter_fit.fit_filter`)."""
    stage = on_stage or (lambda _message: None)
    train_log, holdout = check_data(log, min_answers)
    vocab = Vocabulary.build(train_log)
    stage(f"training {model_name}")
    model, trainer, seconds = _train(
        model_name, vocab, train_log, config, dict(options or {}), progress, callbacks
    )
    stage("evaluating on the holdout")
    y, p = predict(model, vocab, holdout, config)
    stage("fitting the skill filter")
    fitted = fit_version_filter(train_log, grades, catalog, keep)
    return Candidate(
        model_name=model_name,
        model=model,
        vocabulary=vocab,
        train_config=config,
        fitted=fitted,
        train_log=train_log,
        holdout=holdout,
        y=y,
        new=model_quality.all_metrics(y, p),
        filter=None if fitted is None else filter_metrics(holdout, grades, catalog, fitted),
        trainer=trainer,
        train_seconds=seconds,
    )


def judge(
    candidate: Candidate,
    production: Served | None,
    grades: Mapping[int, int],
    catalog: Catalog,
    *,
    production_version: int | None = None,
    production_error: str | None = None,
    tolerance: float = AUC_TOLERANCE,
    promote: bool = True,
) -> Judgement:
    """Score ``production`` on the candidate's holdout and apply the gate. A production
    version that could not be loaded is ``production_version`` with ``production_error``."""
    metrics, by_filter = None, None
    if production is not None:
        production_version = production.version
        y, p = predict(
            production.model, production.vocabulary, candidate.holdout, production.train_config
        )
        if np.array_equal(y, candidate.y):  # the same answers in the same order, or none
            metrics = model_quality.all_metrics(y, p)
            if production.fitted:
                by_filter = filter_metrics(candidate.holdout, grades, catalog, production.fitted)
        else:
            production_error = "its predictions do not line up with the holdout answers"
    promoted, reason = _decide(
        candidate.new, metrics, production_version, production_error, tolerance
    )
    if candidate.filter is not None and by_filter is not None:
        ok, why = _decide(candidate.filter, by_filter, production_version, None, tolerance)
        promoted, reason = promoted and ok, f"{reason}; skill filter: {why}"
    if not promote:
        promoted, reason = False, f"not promoted (--no-promote); would have: {reason}"
    return Judgement(metrics, by_filter, production_error, promoted, reason)


def predict(
    model: Any, vocab: Vocabulary, log: AnswerLog, config: Any
) -> tuple[np.ndarray, np.ndarray]:
    """``(right, P(right))`` of ``log``'s answers as evaluation scores them, each from the
    answers before it, by ``model`` through its own question mapping (``vocab``)."""
    from yachay.tutor.train import predict_sequences

    return predict_sequences(model, vocab.sequences(log), config)


def _train(model_name, vocab, train_log, config, options, progress, callbacks):  # noqa: ANN001, ANN202
    from yachay.tutor.data import split_by_student
    from yachay.tutor.features import feature_count
    from yachay.tutor.models import build_model
    from yachay.tutor.train import (
        BestCheckpoint,
        EarlyStopping,
        ProgressBar,
        Trainer,
        seed_everything,
        set_threads,
    )

    set_threads()
    seed_everything(config.seed)
    sequences = vocab.sequences(train_log)
    fit, val = split_by_student(sequences, config.val_fraction, config.split_seed)
    model = build_model(
        model_name,
        num_items=len(vocab.questions),
        num_skills=len(vocab.skills),
        **{"num_features": feature_count(sequences), **options},
    )
    trainer = Trainer(
        model,
        config,
        [
            ProgressBar(model_name, enabled=progress),
            EarlyStopping(config.patience),
            BestCheckpoint(),
            *callbacks,
        ],
    )
    started = time.monotonic()
    trainer.fit(fit, val)
    return model, trainer, time.monotonic() - started


def _decide(
    new: dict[str, float],
    production: dict[str, float] | None,
    production_version: int | None,
    production_error: str | None,
    tolerance: float,
) -> tuple[bool, str]:
    if production_version is None:
        return True, "no model in production yet"
    v = production_version
    if production is None:
        return True, f"the production model v{v} cannot be evaluated: {production_error}"
    ours, theirs = new["auc"], production["auc"]
    if ours >= theirs - tolerance:
        return True, (
            f"holdout AUC {ours:.4f} is not worse than v{v}'s {theirs:.4f} (tolerance {tolerance})"
        )
    return False, (
        f"holdout AUC {ours:.4f} is worse than v{v}'s {theirs:.4f} by more than "
        f"{tolerance}; v{v} stays in production"
    )
