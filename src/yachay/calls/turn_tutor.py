"""The flows' tutor port (:class:`yachay.flows.ports.Tutor`) for one turn: the tutor's
decisions over the turn's database session, with the answers graded so far in the turn."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from yachay.flows.events import AnswerGraded
from yachay.tutor import decisions
from yachay.tutor.bank import QuestionBank, QuestionInfo, question_bank
from yachay.tutor.domain import AnswerEvent, Predictor

__all__ = ["Predictors", "TurnTutor"]


class Predictors(Protocol):
    """Where a turn gets its predictor (`yachay.tutor.serving.TutorService`)."""

    def predictor(self, info: Mapping[str, QuestionInfo]) -> Predictor: ...


class TurnTutor:
    """The flows' `Tutor` port for one turn: the tutor's decisions over the turn's session,
    with the answers the turn graded (not stored yet) added to the stored ones."""

    def __init__(self, session: Session, predictors: Predictors | None, call_sid: str) -> None:
        self.session = session
        self.predictors = predictors
        self.call_sid = call_sid

    def practice_round(
        self, student_id: int, limit: int, now: datetime, graded: Sequence[AnswerGraded]
    ) -> Sequence[str]:
        if self.predictors is None:
            raise RuntimeError("practice needs the tutor: CallService(..., tutor)")
        bank, predictor = self._bank(self.predictors)
        answers = self._events(graded, now)
        return decisions.practice_round(
            self.session, bank, predictor, student_id, now, limit, answers
        )

    def after_lesson(
        self,
        student_id: int,
        lesson_id: str,
        limit: int,
        now: datetime,
        graded: Sequence[AnswerGraded],
    ) -> Sequence[str]:
        if self.predictors is None:
            return []
        bank, predictor = self._bank(self.predictors)
        answers = self._events(graded, now)
        return decisions.after_lesson(
            self.session, bank, predictor, student_id, lesson_id, now, limit, answers
        )

    def _bank(self, predictors: Predictors) -> tuple[QuestionBank, Predictor]:
        bank = question_bank(self.session)
        return bank, predictors.predictor(bank.info)

    def _events(self, graded: Sequence[AnswerGraded], now: datetime) -> list[AnswerEvent]:
        # As the recorder will store them: at the turn's time, in this call.
        return [
            AnswerEvent(a.question_id, a.correct, now, a.response_ms, self.call_sid) for a in graded
        ]
