"""The tutor's predictions in calls, and the answers that followed them.

A prediction is stored when the tutor chooses a question (:func:`store_predictions`) and
joined to the answer when that question is answered in the same call
(:func:`link_answer`); :func:`graded_predictions` reads the joined pairs back for live
model quality.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from yachay.db import models as m

__all__ = [
    "GradedPrediction",
    "NewPrediction",
    "graded_predictions",
    "link_answer",
    "store_predictions",
]


#: Longer than any call: a prediction is answered within it, or never.
_CALL_SPAN = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class NewPrediction:
    question_id: str
    probability: float
    #: None: the cold-start prior.
    model_version: int | None


@dataclass(frozen=True, slots=True)
class GradedPrediction:
    probability: float
    model_version: int | None
    correct: bool
    answered_at: datetime


def store_predictions(
    session: Session,
    call_sid: str,
    student_id: int,
    predictions: Iterable[NewPrediction],
    at: datetime,
) -> None:
    """The questions chosen together, in the order they will be asked."""
    for position, p in enumerate(predictions):
        session.add(
            m.Prediction(
                call_sid=call_sid,
                student_id=student_id,
                question_id=p.question_id,
                probability=float(p.probability),
                model_version=p.model_version,
                position=position,
                predicted_at=at,
            )
        )
    session.flush()


def link_answer(session: Session, answer: m.Answer) -> bool:
    """Join a stored answer to the prediction made for its question in its call.

    The newest unanswered one: a question chosen in an earlier round but never reached
    (the caller went back to the menu) and chosen again was answered on the newer
    prediction. False when the tutor did not choose the question (a lesson's own)."""
    prediction = session.scalar(
        select(m.Prediction)
        .where(
            m.Prediction.call_sid == answer.call_sid,
            m.Prediction.question_id == answer.question_id,
            m.Prediction.answer_id.is_(None),
        )
        .order_by(m.Prediction.id.desc())
        .limit(1)
    )
    if prediction is None:
        return False
    prediction.answer_id = answer.id
    return True


def graded_predictions(
    session: Session, since: datetime, until: datetime | None = None
) -> list[GradedPrediction]:
    """Predictions whose question was answered in ``[since, until)``, oldest first."""
    query = (
        select(
            m.Prediction.probability,
            m.Prediction.model_version,
            m.Answer.correct,
            m.Answer.answered_at,
        )
        .join(m.Answer, m.Answer.id == m.Prediction.answer_id)
        # The prediction is made in the same call, minutes before: its index narrows the scan.
        .where(m.Prediction.predicted_at >= since - _CALL_SPAN, m.Answer.answered_at >= since)
        .order_by(m.Answer.answered_at, m.Answer.id)
    )
    if until is not None:
        query = query.where(m.Answer.answered_at < until)
    return [GradedPrediction(p, v, bool(c), at) for p, v, c, at in session.execute(query)]
