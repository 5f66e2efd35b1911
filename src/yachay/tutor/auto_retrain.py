"""Retrain when it is needed: ``yachay tutor retrain-if-needed``, run on a schedule.

:func:`assess` looks at the production model's situation and fires a retrain when any of:

- **no model yet** and the database holds enough answers to train one;
- **live calibration degraded**: the production version's expected calibration error on
  the answers of the last ``days`` days is above ``max_ece`` (with at least
  ``min_live_answers`` answered predictions, :mod:`yachay.tutor.live_quality`);
- **live AUC degraded**: its live AUC is below its own holdout AUC minus ``max_auc_drop``;
- **input drift** (:mod:`yachay.tutor.drift`), recent answers against those given before
  the model was trained: skill mix PSI above ``max_skill_mix_psi``, response time PSI
  above ``max_response_time_psi``, or the correct rate moved by more than
  ``max_correct_rate_shift`` (with at least ``min_drift_answers`` recent answers);
- **enough new answers**: at least ``new_answers_fraction`` of what the model trained on
  (and at least ``min_new_answers``) arrived since.

:func:`retrain_if_needed` then trains on the database with
:func:`yachay.tutor.retrain.train_from_db`, which evaluates the candidate and the
production model on the same holdout and promotes it only if it is not worse. Every
decision, a retrain or not, is a run of the MLflow experiment ``yachay-tutor-retraining``:
its checks as metrics, the thresholds as parameters, and tags ``decision`` (``retrain`` or
``wait``), ``reasons``, ``outcome`` and the training run and version when there was one.
The latest decision is also written to ``var/tutor/retrain_decision.json``
(:func:`last_retrain_decision`), for the metrics.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yachay.config import Settings
from yachay.db import models as m
from yachay.db.database import Database
from yachay.tutor.drift import DriftReport, compare, input_profile
from yachay.tutor.live_quality import VersionQuality, live_quality
from yachay.tutor.registry import Registry, TutorVersion
from yachay.tutor.retrain import MIN_ANSWERS, NotEnoughData, TrainResult, train_from_db

__all__ = [
    "DECISIONS_EXPERIMENT",
    "Check",
    "RetrainDecision",
    "Thresholds",
    "assess",
    "input_drift",
    "last_retrain_decision",
    "retrain_if_needed",
]

DECISIONS_EXPERIMENT = "yachay-tutor-retraining"


@dataclass(frozen=True)
class Thresholds:
    """When to retrain (see the module doc). The defaults suit a few hundred children."""

    days: float = 7
    min_live_answers: int = 200
    max_ece: float = 0.10
    max_auc_drop: float = 0.05
    min_drift_answers: int = 200
    max_skill_mix_psi: float = 0.25
    max_response_time_psi: float = 0.25
    max_correct_rate_shift: float = 0.10
    new_answers_fraction: float = 0.25
    min_new_answers: int = 500
    min_answers: int = MIN_ANSWERS


@dataclass(frozen=True)
class Check:
    """One reason to retrain, measured: ``fired`` when ``value`` is past ``threshold``."""

    name: str
    value: float
    threshold: float
    fired: bool
    reason: str


@dataclass
class RetrainDecision:
    retrain: bool
    #: The checks that fired, in words with their numbers; or why there is nothing to do.
    reasons: list[str]
    checks: list[Check]
    production_version: int | None
    live: VersionQuality | None
    drift: DriftReport | None
    new_answers: int
    decided_at: datetime
    outcome: str = ""
    training: TrainResult | None = None
    decision_run: str = ""
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        t = self.training
        return {
            "retrain": self.retrain,
            "reasons": self.reasons,
            "outcome": self.outcome,
            "checks": [dataclasses.asdict(c) for c in self.checks],
            "notes": self.notes,
            "production_version": self.production_version,
            "live": self.live.to_dict() if self.live else None,
            "drift": self.drift.to_dict() if self.drift else None,
            "new_answers": self.new_answers,
            "decided_at": self.decided_at.isoformat(timespec="seconds"),
            "training": None
            if t is None
            else {
                "version": t.version.version,
                "promoted": t.promoted,
                "reason": t.reason,
                "new": t.new,
                "production": t.production,
                "mlflow_run": t.run_id,
            },
            "mlflow_run": self.decision_run,
        }


def _naive(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo else at


def _count(session: Session, since: datetime | None = None) -> int:
    query = select(func.count()).select_from(m.Answer)
    if since is not None:
        query = query.where(m.Answer.answered_at >= since)
    return int(session.scalar(query) or 0)


def input_drift(
    session: Session, trained_until: datetime, days: float = 7, now: datetime | None = None
) -> DriftReport:
    """Recent answers (the last ``days`` days, and after ``trained_until``) against the ones
    given before ``trained_until``, when the production model was trained (naive UTC)."""
    now = _naive(now or datetime.now(UTC))
    trained_until = _naive(trained_until)
    baseline = input_profile(session, None, trained_until)
    recent = input_profile(session, max(trained_until, now - timedelta(days=days)), now)
    return compare(baseline, recent)


def assess(
    session: Session,
    production: TutorVersion | None,
    thresholds: Thresholds = Thresholds(),  # noqa: B008 - frozen
    now: datetime | None = None,
) -> RetrainDecision:
    """Whether to retrain now, and why, from the database alone (no training here)."""
    t = thresholds
    now = _naive(now or datetime.now(UTC))
    if production is None:
        total = _count(session)
        enough = total >= t.min_answers
        check = Check(
            "answers",
            total,
            t.min_answers,
            enough,
            f"no model in production yet and {total} answers "
            + (f"(training needs {t.min_answers})" if enough else f"(fewer than {t.min_answers})"),
        )
        return RetrainDecision(
            enough,
            [check.reason] if enough else [f"waiting: {check.reason}"],
            [check],
            None,
            None,
            None,
            total,
            now,
        )

    checks: list[Check] = []
    notes: list[str] = []
    v = production.version
    live = next((q for q in live_quality(session, t.days, now) if q.version == v), None)
    if live is None or live.answers < t.min_live_answers:
        notes.append(
            f"live quality of v{v} not judged: {live.answers if live else 0} answered "
            f"predictions in {t.days:g} days (needs {t.min_live_answers})"
        )
    else:
        checks.append(
            Check(
                "live_ece",
                live.ece,
                t.max_ece,
                live.ece > t.max_ece,
                f"live ECE of v{v} is {live.ece:.3f} on {live.answers} answers (limit {t.max_ece})",
            )
        )
        if live.auc is not None and production.deciding_auc is not None:
            floor = production.deciding_auc - t.max_auc_drop
            checks.append(
                Check(
                    "live_auc",
                    live.auc,
                    floor,
                    live.auc < floor,
                    f"live AUC of v{v} is {live.auc:.3f} on {live.answers} answers, its "
                    f"holdout AUC {production.deciding_auc:.3f} (limit: {t.max_auc_drop} below)",
                )
            )

    trained_until = _naive(production.created)
    drift = input_drift(session, trained_until, t.days, now)
    if drift.recent_answers < t.min_drift_answers or drift.baseline_answers == 0:
        notes.append(
            f"drift not judged: {drift.recent_answers} recent answers "
            f"(needs {t.min_drift_answers}), {drift.baseline_answers} before v{v}"
        )
    else:
        checks.append(
            Check(
                "skill_mix_psi",
                drift.skill_mix_psi,
                t.max_skill_mix_psi,
                drift.skill_mix_psi > t.max_skill_mix_psi,
                f"skill mix PSI {drift.skill_mix_psi:.3f} (limit {t.max_skill_mix_psi})",
            )
        )
        checks.append(
            Check(
                "response_time_psi",
                drift.response_time_psi,
                t.max_response_time_psi,
                drift.response_time_psi > t.max_response_time_psi,
                f"response time PSI {drift.response_time_psi:.3f} "
                f"(limit {t.max_response_time_psi})",
            )
        )
        if drift.correct_rate_shift is not None:
            checks.append(
                Check(
                    "correct_rate_shift",
                    drift.correct_rate_shift,
                    t.max_correct_rate_shift,
                    drift.correct_rate_shift > t.max_correct_rate_shift,
                    f"correct rate {drift.correct_rate_recent:.1%} against "
                    f"{drift.correct_rate_baseline:.1%} when v{v} was trained "
                    f"(limit {t.max_correct_rate_shift:.0%} apart)",
                )
            )

    new = _count(session, trained_until)
    trained_on = production.answers or drift.baseline_answers
    needed = max(t.min_new_answers, int(t.new_answers_fraction * trained_on))
    checks.append(
        Check(
            "new_answers",
            new,
            needed,
            new >= needed,
            f"{new} answers since v{v} was trained on {trained_on} (retrain at {needed})",
        )
    )
    fired = [c.reason for c in checks if c.fired]
    return RetrainDecision(
        bool(fired),
        fired or [f"v{v} is fine: nothing past its limits"],
        checks,
        v,
        live,
        drift,
        new,
        now,
        notes=notes,
    )


def retrain_if_needed(
    settings: Settings,
    db: Database,
    thresholds: Thresholds = Thresholds(),  # noqa: B008 - frozen
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    registry: Registry | None = None,
    **train_options: Any,
) -> RetrainDecision:
    """:func:`assess`, then train (the promotion gate decides) unless ``dry_run``; the
    decision is logged to MLflow either way. ``train_options`` go to ``train_from_db``."""
    registry = registry or Registry(settings)
    production = registry.production()
    with db.read_session() as session:
        decision = assess(session, production, thresholds, now)
    if not decision.retrain:
        decision.outcome = "not needed"
    elif dry_run:
        decision.outcome = "would retrain (--dry-run)"
    else:
        try:
            decision.training = train_from_db(
                settings,
                db,
                registry=registry,
                min_answers=thresholds.min_answers,
                **{"progress": False, **train_options},
            )
        except NotEnoughData as exc:
            decision.outcome = f"not enough data: {exc}"
        else:
            t = decision.training
            decision.outcome = (
                f"trained v{t.version.version}, "
                + ("promoted" if t.promoted else "not promoted")
                + f": {t.reason}"
            )
    decision.decision_run = _log_decision(registry, settings, decision, thresholds)
    _write_last(settings.tutor_dir, decision)
    return decision


def last_decision_path(tutor_dir: Path) -> Path:
    return tutor_dir / "retrain_decision.json"


def last_retrain_decision(tutor_dir: Path) -> dict[str, Any] | None:
    """The latest decision of :func:`retrain_if_needed` as its JSON (``to_dict``), or None.

    A file rather than MLflow, like the production pointer: the web workers' metrics read
    it without importing MLflow, and the drift it holds was measured once, on schedule,
    not on every scrape (it scans the answers)."""
    try:
        return json.loads(last_decision_path(tutor_dir).read_text())
    except (OSError, ValueError):
        return None


def _write_last(tutor_dir: Path, decision: RetrainDecision) -> None:
    tutor_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=tutor_dir, prefix=".retrain_decision.", suffix=".json")
    with os.fdopen(fd, "w") as out:
        json.dump(decision.to_dict(), out, indent=2)
    os.chmod(tmp, 0o644)  # read by web workers, maybe as another user
    os.replace(tmp, last_decision_path(tutor_dir))


def _log_decision(
    registry: Registry, settings: Settings, decision: RetrainDecision, thresholds: Thresholds
) -> str:
    from yachay.tutor.tracking import experiment_id, log_values

    client = registry.client
    run = client.create_run(
        experiment_id(client, settings, DECISIONS_EXPERIMENT),
        run_name=("retrain" if decision.retrain else "wait")
        + f" {decision.decided_at:%Y-%m-%d %H:%M}",
    )
    metrics: dict[str, float] = {c.name: c.value for c in decision.checks}
    metrics["retrain"] = float(decision.retrain)
    if decision.live is not None:
        metrics |= {"live_answers": decision.live.answers, "live_ece": decision.live.ece}
        if decision.live.auc is not None:
            metrics["live_auc"] = decision.live.auc
    if decision.drift is not None:
        metrics |= {f"drift_{k}": v for k, v in decision.drift.to_dict().items() if v is not None}
    t = decision.training
    tags: dict[str, Any] = {
        "decision": "retrain" if decision.retrain else "wait",
        "reasons": "; ".join(decision.reasons),
        "outcome": decision.outcome,
        "notes": "; ".join(decision.notes),
        "production_version": decision.production_version or "",
    }
    if t is not None:
        metrics |= {"candidate_holdout_auc": t.new["auc"]}
        if t.production is not None:
            metrics["production_holdout_auc"] = t.production["auc"]
        tags |= {
            "training_run": t.run_id,
            "registered_version": t.version.version,
            "promoted": str(t.promoted).lower(),
        }
    log_values(
        client,
        run.info.run_id,
        params={f"threshold.{k}": v for k, v in dataclasses.asdict(thresholds).items()},
        metrics=metrics,
        tags=tags,
    )
    client.set_terminated(run.info.run_id, "FINISHED")
    return run.info.run_id
