"""Train the tutor model on the answers in our database, and promote it only if it is not
worse than the production model.

:func:`train_from_db`:

1. reads every answer (:mod:`yachay.tutor.answer_log`) and its fingerprint;
2. holds out 20% of the students, chosen by a hash of their id (stable as data grows), and
   trains on the rest (early stopping on a validation split of those);
3. predicts every holdout answer from the answers before it with the new model, with the
   production model (through its own question mapping, so questions it never saw count as
   unknown to it) and with the cold-start prior, so the three compare on the same answers;
4. logs the run to MLflow — parameters, per-epoch and holdout metrics, the data fingerprint,
   the exact answers as a content-addressed snapshot (:mod:`yachay.tutor.snapshot`; a run
   can be retrained from it with ``data_from``), the checkpoint — and registers it as a new
   version of ``yachay-tutor``;
5. fits the skill filter that decides practice (:mod:`yachay.tutor.decider`) on the same
   training students, with their grades and the bank's difficulty levels, and carries it
   in the checkpoint;
6. promotes it when there is no production model, when the production model cannot be
   evaluated (e.g. its checkpoint schema is too old), or when its holdout AUC is at least
   the production model's minus :data:`AUC_TOLERANCE` and so is its skill filter's
   (what decides) against production's filter, when both carry one.

Why a tolerance: the AUC of a few thousand holdout answers moves by about 0.01 between
retrainings on the same data, so "not worse" is judged within 0.002. A retrain that ties
(and knows the questions and students added since) goes out; one that is clearly worse does
not. The comparison is always with the current production model on today's holdout, never
with the number logged when that model was trained.
"""

from __future__ import annotations

import dataclasses
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from yachay.config import Settings
from yachay.db.database import Database
from yachay.tutor import model_quality
from yachay.tutor.answer_log import HOLDOUT_FRACTION, AnswerLog, Vocabulary, read_answer_log
from yachay.tutor.bank import QuestionInfo, question_bank, read_questions
from yachay.tutor.decider import (
    FILTER_KEY,
    filter_metrics,
    fit_version_filter,
    student_grades,
    version_filter,
)
from yachay.tutor.domain import Catalog
from yachay.tutor.prior import DEFAULT_QUESTION, RecentAnswers
from yachay.tutor.registry import (
    CHECKPOINT_ARTIFACT,
    CHECKPOINT_FILE,
    Registry,
    TutorVersion,
)

__all__ = ["AUC_TOLERANCE", "MIN_ANSWERS", "NotEnoughData", "TrainResult", "train_from_db"]

#: A new model is promoted if its holdout AUC >= production's - this (see the module doc).
AUC_TOLERANCE = 0.002
#: Fewer answers than this, and `yachay tutor train` waits for more (the prior serves).
MIN_ANSWERS = 1000


class NotEnoughData(Exception):
    """Too few answers (or students) to train and compare a model; the message says which."""


@dataclass
class TrainResult:
    version: TutorVersion
    promoted: bool
    reason: str
    #: Holdout metrics (auc, acc, logloss, ece) of the new model, the production model and
    #: the cold-start prior, on the same answers.
    new: dict[str, float]
    production: dict[str, float] | None
    production_version: int | None
    prior: dict[str, float]
    answers: int
    students: int
    holdout_students: int
    holdout_answers: int
    fingerprint: str
    run_id: str
    model_name: str
    epochs: int
    train_seconds: float
    production_error: str | None = None
    #: SHA-256 of the answers snapshot logged with the run (:mod:`yachay.tutor.snapshot`).
    data_digest: str = ""
    #: Holdout metrics of the skill filter fitted with the new version (what decides), and
    #: of production's filter (None: it carries none); the gate compared these.
    filter: dict[str, float] | None = None
    production_filter: dict[str, float] | None = None


def train_from_db(
    settings: Settings,
    db: Database,
    *,
    model_name: str | None = None,
    epochs: int | None = None,
    min_answers: int = MIN_ANSWERS,
    tolerance: float = AUC_TOLERANCE,
    promote: bool = True,
    train_config: Any = None,
    model_options: dict[str, Any] | None = None,
    progress: bool = True,
    registry: Registry | None = None,
    on_stage: Callable[[str], None] | None = None,
    data_from: str | None = None,
) -> TrainResult:
    """Train, evaluate against production, log, register, maybe promote (see module doc).

    ``data_from``: the id of an earlier training run; train on the answers snapshot it
    logged (:mod:`yachay.tutor.snapshot`) instead of the database, with its model and
    training settings unless given here, which reproduces its holdout metrics.

    Raises :class:`NotEnoughData` before touching MLflow when the data cannot support a
    training run and a fair comparison.
    """
    from yachay.tutor.models import DEFAULT_MODEL
    from yachay.tutor.snapshot import load_snapshot, log_snapshot, settings_of_run
    from yachay.tutor.train_config import TrainConfig

    stage = on_stage or (lambda _message: None)
    registry = registry or Registry(settings)
    client = registry.client
    stage("reading answers")
    with db.session() as session:
        log = None if data_from else read_answer_log(session)
        questions = read_questions(session)
        grades = student_grades(session)
        catalog = question_bank(session).catalog
    if data_from:
        log, _ = load_snapshot(client, data_from)
        model_name, train_config, model_options = settings_of_run(
            client, data_from, model_name, train_config, model_options
        )
        min_answers = 1  # it was enough once
    assert log is not None
    model_name = model_name or DEFAULT_MODEL
    config = train_config or TrainConfig()
    if epochs is not None:
        config = dataclasses.replace(config, max_epochs=epochs)
    train_log, holdout = _check_data(log, min_answers)
    vocab = Vocabulary.build(train_log)

    from yachay.tutor.tracking import EpochLogger, experiment_id, log_values

    run = client.create_run(
        experiment_id(client, settings),
        run_name=f"{model_name} on {log.num_answers} answers",
        tags={
            "fingerprint": log.fingerprint,
            "model_name": model_name,
            **({"data_from": data_from} if data_from else {}),
        },
    )
    run_id = run.info.run_id
    try:
        digest = log_snapshot(client, run_id, log)
        stage(f"training {model_name}")
        model, trainer, seconds = _train(
            model_name,
            vocab,
            train_log,
            config,
            model_options or {},
            progress,
            EpochLogger(client, run_id),
        )
        stage("evaluating on the holdout")
        y, new_p = _predict(model, vocab, holdout, config)
        new = model_quality.all_metrics(y, new_p)
        prior = model_quality.all_metrics(y, _prior_predictions(holdout, questions))
        stage("fitting the skill filter")
        fitted = fit_version_filter(train_log, grades, catalog)
        new_filter = None if fitted is None else filter_metrics(holdout, grades, catalog, fitted)
        production_version = registry.production()
        production, production_filter, production_error = None, None, None
        if production_version is not None:
            production, production_filter, production_error = _evaluate_version(
                registry, production_version, holdout, y, grades, catalog
            )

        promoted, reason = _gate(
            (new, production),
            (new_filter, production_filter),
            production_version,
            production_error,
            tolerance,
            promote,
        )
        best_val = trainer.best_metric
        with tempfile.TemporaryDirectory() as tmp:
            from yachay.tutor.checkpoint import save_checkpoint

            path = save_checkpoint(
                Path(tmp) / CHECKPOINT_FILE,
                model,
                train_config=config,
                best_metric={"val_auc": best_val, "holdout_auc": new["auc"]},
                metadata={
                    **vocab.to_metadata(),
                    "fingerprint": log.fingerprint,
                    "answers": log.num_answers,
                    "students": len(log.students),
                    "holdout": {
                        "fraction": HOLDOUT_FRACTION,
                        "students": len(holdout.students),
                        "answers": holdout.num_answers,
                        "auc": new["auc"],
                    },
                    "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    **({FILTER_KEY: fitted} if fitted else {}),
                },
            )
            log_values(
                client,
                run_id,
                params={
                    "model": model_name,
                    **{f"model.{k}": v for k, v in dataclasses.asdict(model.config).items()},
                    **{f"train.{k}": v for k, v in dataclasses.asdict(config).items()},
                    "data.answers": log.num_answers,
                    "data.students": len(log.students),
                    "data.train_students": len(train_log.students),
                    "data.holdout_students": len(holdout.students),
                    "data.holdout_answers": holdout.num_answers,
                    "data.questions": len(vocab.questions),
                    "data.skills": len(vocab.skills),
                    "data.fingerprint": log.fingerprint,
                    "holdout.fraction": HOLDOUT_FRACTION,
                    "promotion.tolerance": tolerance,
                    **{f"filter.{k}": v for k, v in (fitted or {}).items()},
                },
                metrics={
                    **{f"holdout_{k}": v for k, v in new.items()},
                    **{f"prior_holdout_{k}": v for k, v in prior.items()},
                    **{f"production_holdout_{k}": v for k, v in (production or {}).items()},
                    **{f"filter_holdout_{k}": v for k, v in (new_filter or {}).items()},
                    **{
                        f"production_filter_holdout_{k}": v
                        for k, v in (production_filter or {}).items()
                    },
                    "best_val_auc": best_val,
                    "epochs": len(trainer.history),
                    "train_seconds": seconds,
                },
            )
            stage("registering")
            client.log_artifact(run_id, str(path), CHECKPOINT_ARTIFACT)
            version = registry.register(
                path,
                run_id,
                f"{run.info.artifact_uri}/{CHECKPOINT_ARTIFACT}",
                tags={
                    "model_name": model_name,
                    "fingerprint": log.fingerprint,
                    "answers": log.num_answers,
                    "students": len(log.students),
                    "holdout_auc": f"{new['auc']:.6f}",
                    **({"filter_holdout_auc": f"{new_filter['auc']:.6f}"} if new_filter else {}),
                    "holdout_answers": holdout.num_answers,
                },
                description=reason,
            )
        if promoted:
            stage(f"promoting v{version.version}")
            version = registry.promote(version.version)
        log_values(
            client,
            run_id,
            tags={
                "promoted": str(promoted).lower(),
                "decision": reason,
                "registered_version": version.version,
            },
        )
        client.set_terminated(run_id, "FINISHED")
    except BaseException:
        client.set_terminated(run_id, "FAILED")
        raise
    return TrainResult(
        version=version,
        promoted=promoted,
        reason=reason,
        new=new,
        production=production,
        production_version=production_version.version if production_version else None,
        prior=prior,
        answers=log.num_answers,
        students=len(log.students),
        holdout_students=len(holdout.students),
        holdout_answers=holdout.num_answers,
        fingerprint=log.fingerprint,
        run_id=run_id,
        model_name=model_name,
        epochs=len(trainer.history),
        train_seconds=seconds,
        production_error=production_error,
        data_digest=digest,
        filter=new_filter,
        production_filter=production_filter,
    )


def _check_data(log: AnswerLog, min_answers: int) -> tuple[AnswerLog, AnswerLog]:
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


def _train(model_name, vocab, train_log, config, options, progress, logger):  # noqa: ANN001, ANN202
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
            logger,
        ],
    )
    started = time.monotonic()
    trainer.fit(fit, val)
    return model, trainer, time.monotonic() - started


def _predict(model, vocab: Vocabulary, holdout: AnswerLog, config) -> tuple[np.ndarray, np.ndarray]:  # noqa: ANN001
    from yachay.tutor.train import predict_sequences

    return predict_sequences(model, vocab.sequences(holdout), config)


def _evaluate_version(
    registry: Registry,
    version: TutorVersion,
    holdout: AnswerLog,
    y: np.ndarray,
    grades: dict[int, int],
    catalog: Catalog,
) -> tuple[dict[str, float] | None, dict[str, float] | None, str | None]:
    """The production model's and its filter's holdout metrics (None: it carries no
    filter), or why it could not be evaluated."""
    from yachay.tutor.checkpoint import CheckpointError, load_checkpoint

    try:
        checkpoint = load_checkpoint(registry.ensure_checkpoint(version))
        vocab = Vocabulary.from_metadata(checkpoint.metadata)
    except (CheckpointError, ValueError, OSError) as exc:
        return None, None, str(exc)
    except Exception as exc:  # e.g. MLflow cannot fetch it
        return None, None, f"{type(exc).__name__}: {exc}"
    y_prod, p = _predict(checkpoint.model, vocab, holdout, checkpoint.train_config)
    if not np.array_equal(y_prod, y):  # the same answers in the same order, or no comparison
        return None, None, "its predictions do not line up with the holdout answers"
    fitted = version_filter(checkpoint.metadata)
    by_filter = None if fitted is None else filter_metrics(holdout, grades, catalog, fitted)
    return model_quality.all_metrics(y, p), by_filter, None


def _prior_predictions(holdout: AnswerLog, questions: dict[str, QuestionInfo]) -> np.ndarray:
    """The cold-start prior's prediction of each holdout answer from the ones before it."""
    out = []
    for student in holdout.students:
        recent = RecentAnswers()
        for question, skill, correct in zip(
            student.questions, student.skills, student.correct, strict=True
        ):
            out.append(recent.prior(questions.get(question, DEFAULT_QUESTION)))
            recent.add(skill, correct)
    return np.array(out)


def _gate(
    models: tuple[dict[str, float], dict[str, float] | None],
    filters: tuple[dict[str, float] | None, dict[str, float] | None],
    production_version: TutorVersion | None,
    production_error: str | None,
    tolerance: float,
    promote: bool,
) -> tuple[bool, str]:
    """The promotion gate: the model, and the skill filter that decides when both the new
    version and production carry one, each not worse than production's (see module doc)."""
    promoted, reason = _decide(*models, production_version, production_error, tolerance, True)
    new_filter, production_filter = filters
    if new_filter is not None and production_filter is not None:
        ok, why = _decide(new_filter, production_filter, production_version, None, tolerance, True)
        promoted, reason = promoted and ok, f"{reason}; skill filter: {why}"
    if not promote:
        return False, f"not promoted (--no-promote); would have: {reason}"
    return promoted, reason


def _decide(
    new: dict[str, float],
    production: dict[str, float] | None,
    production_version: TutorVersion | None,
    production_error: str | None,
    tolerance: float,
    promote: bool,
) -> tuple[bool, str]:
    if production_version is None:
        decision = True, "no model in production yet"
    elif production is None:
        decision = (
            True,
            (
                f"the production model v{production_version.version} cannot be evaluated: "
                f"{production_error}"
            ),
        )
    else:
        ours, theirs = new["auc"], production["auc"]
        v = production_version.version
        if ours >= theirs - tolerance:
            decision = (
                True,
                (
                    f"holdout AUC {ours:.4f} is not worse than v{v}'s {theirs:.4f} "
                    f"(tolerance {tolerance})"
                ),
            )
        else:
            decision = (
                False,
                (
                    f"holdout AUC {ours:.4f} is worse than v{v}'s {theirs:.4f} by more than "
                    f"{tolerance}; v{v} stays in production"
                ),
            )
    if not promote:
        return False, f"not promoted (--no-promote); would have: {decision[1]}"
    return decision
