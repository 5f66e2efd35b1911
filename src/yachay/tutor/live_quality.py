"""How well the tutor predicts the children it teaches: live AUC and calibration.

Every question the tutor chooses in a call is stored with the probability it gave it and
the model version behind it (:mod:`yachay.db.predictions`), and joined to the answer that
followed. :func:`live_quality` scores those pairs per version over recent days, the way
:mod:`yachay.tutor.model_quality` scores a test set, so the numbers sit beside the
published-data figures (:data:`PUBLISHED`).

A probability is the one the tutor had when it chose the question: for the third question
of a round, that is before the first two were answered. It measures the predictions the
tutor acted on, which is a little harder than next-step prediction on a test set.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from yachay.db.models import utcnow
from yachay.db.predictions import GradedPrediction, graded_predictions
from yachay.tutor import model_quality

__all__ = [
    "PUBLISHED",
    "PUBLISHED_SOURCE",
    "PublishedResult",
    "VersionQuality",
    "live_quality",
    "quality_of",
]


@dataclass(frozen=True)
class PublishedResult:
    model: str
    auc: float
    ece: float


#: Our model on public knowledge-tracing datasets, test AUC and ECE.
PUBLISHED: dict[str, PublishedResult] = {
    "assist2009": PublishedResult("dkt+f", auc=0.828, ece=0.003),
    "synthetic5": PublishedResult("attn+f", auc=0.832, ece=0.006),
}
PUBLISHED_SOURCE = (
    "README.md, 'The tutor on published data': yachay tutor evaluate on ../shared/datasets, "
    "seed 0, next-step protocol"
)


@dataclass(frozen=True)
class VersionQuality:
    """One model version's predictions on real answers."""

    #: None: the cold-start prior (no model yet, or a question new to the model).
    version: int | None
    answers: int
    correct_rate: float
    mean_predicted: float
    #: None when the answers were all right or all wrong (AUC is undefined).
    auc: float | None
    ece: float
    logloss: float

    @property
    def label(self) -> str:
        return "prior" if self.version is None else f"v{self.version}"

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.label, **asdict(self)}


def quality_of(version: int | None, rows: list[GradedPrediction]) -> VersionQuality:
    y = np.array([r.correct for r in rows], dtype=np.float64)
    p = np.array([r.probability for r in rows], dtype=np.float64)
    both = 0 < y.sum() < y.size
    return VersionQuality(
        version=version,
        answers=int(y.size),
        correct_rate=float(y.mean()),
        mean_predicted=float(p.mean()),
        auc=model_quality.auc(y, p) if both else None,
        ece=model_quality.ece(y, p),
        logloss=model_quality.log_loss(y, p),
    )


def live_quality(
    session: Session, days: float = 7, now: datetime | None = None
) -> list[VersionQuality]:
    """AUC, ECE and counts per model version over the answers of the last ``days`` days
    (naive UTC, as stored), newest version first, the prior last; versions with no
    answered prediction in the window are absent."""
    now = now or utcnow()
    by_version: dict[int | None, list[GradedPrediction]] = defaultdict(list)
    for row in graded_predictions(session, now - timedelta(days=days), now):
        by_version[row.model_version].append(row)
    order = sorted(by_version, key=lambda v: (v is None, -(v or 0)))
    return [quality_of(v, by_version[v]) for v in order]
