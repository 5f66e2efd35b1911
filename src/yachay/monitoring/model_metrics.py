"""The tutor model's gauges, set from the app when Prometheus scrapes a worker.

- the served version: each worker sets its own on every request (a property read), so
  ``livemax`` across the live workers shows each version some worker serves;
- live AUC, ECE and answers per version: :func:`yachay.tutor.live_quality.live_quality`
  over 7 days, at most once per ``live_quality_interval`` per process (it reads the recent
  predictions); every worker reads the same database, so ``mostrecent`` is the answer;
- input drift and the retraining decision: from the retraining check's last decision file
  (:func:`yachay.tutor.auto_retrain.last_retrain_decision`), measured on its schedule.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.exc import SQLAlchemyError

from yachay.db.database import Database
from yachay.monitoring import metrics
from yachay.tutor.auto_retrain import last_retrain_decision
from yachay.tutor.live_quality import live_quality

log = logging.getLogger(__name__)

#: The window of the live AUC and ECE, as `yachay tutor quality` and the alerts read it.
LIVE_DAYS = 7
#: The decision file's drift statistics, by the label the alerts and dashboards use.
DRIFT_STATISTICS = {
    "skill_mix_psi": "skill_mix",
    "correct_rate_shift": "correct_rate",
    "response_time_psi": "response_time",
}
#: A check that fired, by the reason label it gives a decision.
CHECK_REASONS = {
    "answers": "no_model",
    "live_ece": "calibration",
    "live_auc": "auc",
    "skill_mix_psi": "drift",
    "response_time_psi": "drift",
    "correct_rate_shift": "drift",
    "new_answers": "new_answers",
}


class ServedTutor(Protocol):
    """What the metrics read of `yachay.tutor.serving.TutorService`."""

    @property
    def version(self) -> int | None: ...

    @property
    def model_name(self) -> str: ...


def version_label(version: int | None) -> str:
    return "prior" if version is None else str(version)


def decision_labels(decision: Mapping[str, Any]) -> tuple[str, str]:
    """(decision, reason) of a retraining decision's JSON: promoted, retrained (trained,
    not promoted), kept (no retrain needed), waiting (no model yet, too few answers to
    train one), skipped (one was due but none ran)."""
    fired = [c.get("name", "") for c in decision.get("checks") or () if c.get("fired")]
    reason = CHECK_REASONS.get(fired[0], "other") if fired else "none"
    training = decision.get("training")
    if not decision.get("retrain"):
        if decision.get("production_version") is None:
            return "waiting", "no_model"
        return "kept", reason
    if training is None:
        return "skipped", reason
    return ("promoted" if training.get("promoted") else "retrained"), reason


class ModelMetrics:
    def __init__(
        self,
        tutor: ServedTutor,
        db: Database,
        tutor_dir: Path,
        live_quality_interval: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.tutor = tutor
        self.db = db
        self.tutor_dir = tutor_dir
        self.interval = live_quality_interval
        self._clock = clock
        self._next_live = 0.0
        self._lock = threading.Lock()

    def served(self) -> None:
        metrics.set_tutor_model_version(self.tutor.model_name, version_label(self.tutor.version))

    def refresh(self) -> None:
        """Before a scrape: every gauge; a failure is logged, never fails the scrape."""
        for step in (self.served, self._live_quality, self._last_decision):
            try:
                step()
            except Exception:
                log.exception("updating the tutor's metrics failed (%s)", step.__name__)

    def _live_quality(self) -> None:
        now = self._clock()
        # One thread measures; the others scrape the values it set last.
        if now < self._next_live or not self._lock.acquire(blocking=False):
            return
        try:
            self._next_live = now + self.interval
            try:
                with self.db.read_session() as session:
                    measured = live_quality(session, LIVE_DAYS)
            except SQLAlchemyError as exc:  # e.g. not migrated yet: /healthz tells more
                log.warning("live tutor quality not measured: %s", str(exc).splitlines()[0])
                return
            for q in measured:
                metrics.set_live_quality(version_label(q.version), q.auc, q.ece, q.answers)
        finally:
            self._lock.release()

    def _last_decision(self) -> None:
        decision = last_retrain_decision(self.tutor_dir)
        if decision is None:
            return
        name, reason = decision_labels(decision)
        decided = datetime.fromisoformat(decision["decided_at"])
        if decided.tzinfo is None:  # stored as naive UTC
            decided = decided.replace(tzinfo=UTC)
        metrics.set_retraining_decision(name, reason, decided.timestamp())
        for key, statistic in DRIFT_STATISTICS.items():
            value = (decision.get("drift") or {}).get(key)
            if value is not None:
                metrics.set_input_drift(statistic, float(value))
