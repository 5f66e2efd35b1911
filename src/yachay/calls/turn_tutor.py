"""The flows' tutor port (:class:`yachay.flows.ports.Tutor`) for one turn: the tutor's
decisions over the turn's database session, with the answers graded so far in the turn.

Every question the tutor chooses is stored with the probability it gave it and the model
version behind that probability (:mod:`yachay.db.predictions`), in the turn's transaction;
the recorder joins it to the answer when the question is answered. The flows see question
ids only.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from yachay.db import models as m
from yachay.db.answers import answers_of_students
from yachay.db.predictions import NewPrediction, store_predictions
from yachay.flows.events import AnswerGraded
from yachay.flows.ports import NeedReason, SkillReport, StudentNeedView, Texts
from yachay.monitoring import metrics
from yachay.tutor import decisions
from yachay.tutor.bank import QuestionBank, QuestionInfo, question_bank
from yachay.tutor.domain import AnswerEvent, Catalog, Predictor
from yachay.tutor.mastery import attempts_by_skill, skill_mastery
from yachay.tutor.needs_tutor import NeedsTutorConfig, StudentActivity, rank_students
from yachay.tutor.policy import ItemChoice
from yachay.tutor.reports import calls_by_student

__all__ = ["Predictors", "TurnTutor", "VersionedPredictor"]


class VersionedPredictor(Predictor, Protocol):
    def version_of(self, question_id: str) -> int | None:
        """The model version behind the question's latest probability (None: the prior)."""
        ...


class Predictors(Protocol):
    """Where a turn gets its predictor (`yachay.tutor.serving.TutorService`)."""

    def predictor(
        self,
        info: Mapping[str, QuestionInfo],
        catalog: Catalog | None = None,
        grade: int | None = None,
    ) -> VersionedPredictor: ...


class TurnTutor:
    """The flows' `Tutor` port for one turn: the tutor's decisions over the turn's session,
    with the answers the turn graded (not stored yet) added to the stored ones."""

    def __init__(self, session: Session, predictors: Predictors | None, call_sid: str) -> None:
        self.session = session
        self.predictors = predictors
        self.call_sid = call_sid

    def practice_round(
        self,
        student_id: int,
        limit: int,
        now: datetime,
        graded: Sequence[AnswerGraded],
        reviews_first: bool = False,
    ) -> Sequence[str]:
        if self.predictors is None:
            raise RuntimeError("practice needs the tutor: CallService(..., tutor)")
        return self._decide(
            student_id,
            now,
            graded,
            lambda bank, predictor, answers: decisions.practice_round(
                self.session,
                bank,
                predictor,
                student_id,
                now,
                limit,
                answers,
                reviews_first=reviews_first,
            ),
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
        return self._decide(
            student_id,
            now,
            graded,
            lambda bank, predictor, answers: decisions.after_lesson(
                self.session, bank, predictor, student_id, lesson_id, now, limit, answers
            ),
        )

    def _decide(
        self,
        student_id: int,
        now: datetime,
        graded: Sequence[AnswerGraded],
        decide: Callable[[QuestionBank, VersionedPredictor, list[AnswerEvent]], list[ItemChoice]],
    ) -> list[str]:
        """A decision of the tutor, timed, with the chosen questions' predictions stored."""
        assert self.predictors is not None
        bank, predictor = self._bank(self.predictors, self._grades([student_id]))
        started = time.perf_counter()
        choices = decide(bank, predictor, self._events(graded, now))
        metrics.observe_tutor_decision(time.perf_counter() - started)
        return self._chosen(student_id, choices, predictor, now)

    def _chosen(
        self,
        student_id: int,
        choices: Sequence[ItemChoice],
        predictor: VersionedPredictor,
        now: datetime,
    ) -> list[str]:
        store_predictions(
            self.session,
            self.call_sid,
            student_id,
            (
                NewPrediction(c.item_id, c.predicted, predictor.version_of(c.item_id))
                for c in choices
            ),
            now,
        )
        return [c.item_id for c in choices]

    def _bank(
        self, predictors: Predictors, grades: set[int]
    ) -> tuple[QuestionBank, VersionedPredictor]:
        """The bank, and the predictor for students of ``grades`` (the skill filter's priors
        depend on the grade: with several, none is used)."""
        bank = question_bank(self.session)
        grade = next(iter(grades)) if len(grades) == 1 else None
        return bank, predictors.predictor(bank.info, bank.catalog, grade)

    def _grades(self, student_ids: Sequence[int]) -> set[int]:
        if len(student_ids) == 1:
            # by primary key: the decision's own session.get of the student then costs nothing
            student = self.session.get(m.Student, student_ids[0])
            return {student.grade} if student is not None else set()
        return set(
            self.session.scalars(select(m.Student.grade).where(m.Student.id.in_(student_ids)))
        )

    def _events(self, graded: Sequence[AnswerGraded], now: datetime) -> list[AnswerEvent]:
        # As the recorder will store them: at the turn's time, in this call.
        return [
            AnswerEvent(a.question_id, a.correct, now, a.response_ms, self.call_sid) for a in graded
        ]

    def skill_report(self, student_id: int, now: datetime) -> SkillReport:
        history = decisions.answer_history(self.session, student_id)
        if not history:
            return SkillReport(None, None)
        bank = question_bank(self.session)
        if self.predictors is not None:
            bank, predictor = self._bank(self.predictors, self._grades([student_id]))
            estimates = {
                s: k.estimate
                for s, k in skill_mastery(history, bank.catalog, predictor).items()
                if k.attempts
            }
        else:  # no tutor model here: the share of right answers says the same in plain terms
            estimates = {
                s: right / n for s, (n, right) in attempts_by_skill(history, bank.catalog).items()
            }
        if not estimates:
            return SkillReport(None, None)
        ranked = sorted(estimates, key=lambda s: (-estimates[s], s))
        names = self._skill_names([ranked[0], ranked[-1]])
        weakest = names.get(ranked[-1]) if len(ranked) > 1 else None
        return SkillReport(names.get(ranked[0]), weakest)

    def needs_help(
        self, student_ids: Sequence[int], now: datetime, limit: int
    ) -> Sequence[StudentNeedView]:
        if self.predictors is None or not student_ids:
            return []
        ids = list(student_ids)
        bank, predictor = self._bank(self.predictors, self._grades(ids))
        config = NeedsTutorConfig()
        answers = answers_of_students(self.session, ids)
        calls = calls_by_student(self.session, now - timedelta(days=config.calls_window_days), ids)
        activity = [
            StudentActivity(sid, decisions.answer_events(answers.get(sid, ())), calls.get(sid, ()))
            for sid in ids
        ]
        ranked = rank_students(activity, bank.catalog, predictor, now, config, limit)
        names = self._skill_names({s.skill for n in ranked for s in n.signals if s.skill})
        return [
            StudentNeedView(
                int(n.student_id),
                [NeedReason(s.kind, names.get(s.skill) if s.skill else None) for s in n.signals],
            )
            for n in ranked
        ]

    def _skill_names(self, skills: Sequence[str] | set[str]) -> dict[str, Texts]:
        rows = self.session.execute(
            select(m.Skill.id, m.Skill.name).where(m.Skill.id.in_(list(skills)))
        ).all()
        found = {sid: name for sid, name in rows}
        return {s: found.get(s) or {"es": s} for s in skills}
