"""Train the tutor on the answers in our database, and promote the new version only if
it is not worse than production.

:func:`train_from_db`:

1. reads every answer (:mod:`yachay.tutor.answer_log`) and its fingerprint, the students'
   grades and the question bank;
2. trains a candidate and judges it against production on the same holdout answers
   (:mod:`yachay.tutor.candidate`: the model, the skill filter that decides practice, the
   gate and its tolerance), and scores the cold-start prior on them too;
3. logs the run to MLflow — parameters (the filter's numbers as ``filter.*``), per-epoch
   and holdout metrics, the data fingerprint, the exact answers as a content-addressed
   snapshot (:mod:`yachay.tutor.snapshot`; a run can be retrained from it with
   ``data_from``), the checkpoint carrying the filter — and registers it as a new version
   of ``yachay-tutor``;
4. promotes it if the gate says so.
"""

from __future__ import annotations

import dataclasses
import tempfile
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
from yachay.tutor.candidate import (
    AUC_TOLERANCE,
    MIN_ANSWERS,
    NotEnoughData,
    Served,
    check_data,
    judge,
    train_candidate,
)
from yachay.tutor.decider import FILTER_KEY, student_grades, version_filter
from yachay.tutor.prior import DEFAULT_QUESTION, RecentAnswers
from yachay.tutor.registry import (
    CHECKPOINT_ARTIFACT,
    CHECKPOINT_FILE,
    Registry,
    TutorVersion,
)

__all__ = ["AUC_TOLERANCE", "MIN_ANSWERS", "NotEnoughData", "TrainResult", "train_from_db"]


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
    refit_dynamics: bool = False,
) -> TrainResult:
    """Train, evaluate against production, log, register, maybe promote (see module doc).

    ``data_from``: the id of an earlier training run; train on the answers snapshot it
    logged (:mod:`yachay.tutor.snapshot`) instead of the database, with its model and
    training settings unless given here, which reproduces its holdout metrics.

    The skill filter keeps the served version's dynamics (how fast children learn, what a
    quick answer says) and refits its priors (`filter_fit.fit_filter` says why), unless
    ``refit_dynamics`` or no version with a filter is served.

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
    check_data(log, min_answers)  # before a run is created

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
        production_version = registry.production()
        served, production_error = None, None
        if production_version is not None:
            served, production_error = _load_version(registry, production_version)
        keep = None if refit_dynamics or served is None else served.fitted
        candidate = train_candidate(
            log,
            grades,
            catalog,
            model_name,
            config,
            min_answers=min_answers,
            options=model_options,
            progress=progress,
            callbacks=(EpochLogger(client, run_id),),
            on_stage=stage,
            keep=keep,
        )
        model, vocab, trainer, seconds = (
            candidate.model,
            candidate.vocabulary,
            candidate.trainer,
            candidate.train_seconds,
        )
        train_log, holdout, y = candidate.train_log, candidate.holdout, candidate.y
        new, fitted, new_filter = candidate.new, candidate.fitted, candidate.filter
        prior = model_quality.all_metrics(y, _prior_predictions(holdout, questions))
        judgement = judge(
            candidate,
            served,
            grades,
            catalog,
            production_version=production_version.version if production_version else None,
            production_error=production_error,
            tolerance=tolerance,
            promote=promote,
        )
        production, production_filter = judgement.production, judgement.production_filter
        production_error = judgement.production_error
        promoted, reason = judgement.promoted, judgement.reason
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
                    # whose learning rate, step and quick rule the filter has
                    "filter.dynamics_from": (
                        f"v{served.version}" if keep and served else "this run's answers"
                    ),
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


def _load_version(registry: Registry, version: TutorVersion) -> tuple[Served | None, str | None]:
    """The production version as the gate reads it, or why it cannot be loaded."""
    from yachay.tutor.checkpoint import CheckpointError, load_checkpoint

    try:
        checkpoint = load_checkpoint(registry.ensure_checkpoint(version))
        vocab = Vocabulary.from_metadata(checkpoint.metadata)
    except (CheckpointError, ValueError, OSError) as exc:
        return None, str(exc)
    except Exception as exc:  # e.g. MLflow cannot fetch it
        return None, f"{type(exc).__name__}: {exc}"
    return Served(
        version.version,
        checkpoint.model,
        vocab,
        checkpoint.train_config,
        version_filter(checkpoint.metadata),
    ), None


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
