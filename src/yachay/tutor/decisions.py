"""What the tutor decides during a call: a practice round, the practice after a lesson.

The caller hands in the turn's database session (the tutor opens none of its own during a
turn) and the answers graded earlier in the same turn, which are not stored yet: a
decision sees every answer the student gave, the last one included.

Practice draws only on questions that stand on their own: a question of a listening lesson
(``QuestionBank.needs_story``) asks about a story, and its lesson asks it right after the
story; practice never does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from yachay.db import models as m
from yachay.db.answers import StoredAnswer, answers_of
from yachay.tutor.bank import QuestionBank
from yachay.tutor.domain import AnswerEvent, Catalog, Predictor
from yachay.tutor.policy import ItemChoice, PolicyConfig, next_items, questions_after_lesson
from yachay.tutor.review import ReviewState

__all__ = [
    "after_lesson",
    "answer_events",
    "answer_history",
    "beyond_grade",
    "practice_round",
]


def answer_events(rows: Iterable[StoredAnswer]) -> list[AnswerEvent]:
    """Stored answers as the tutor's events."""
    return [
        AnswerEvent(r.question_id, r.correct, r.answered_at, r.response_ms, r.call_sid)
        for r in rows
    ]


def answer_history(
    session: Session, student_id: int, graded: Sequence[AnswerEvent] = ()
) -> list[AnswerEvent]:
    """One student's answers, oldest first: the stored ones, then ``graded`` (this turn's)."""
    return [*answer_events(answers_of(session, student_id)), *graded]


def beyond_grade(catalog: Catalog, grade: int) -> set[str]:
    """Items from a later grade's lesson that practise an earlier skill: their numbers and
    settings belong to that later grade, so a younger student is not asked them."""
    return {
        item.id
        for item in catalog.items
        if item.grade > grade
        and any(catalog.skill[s].grade <= grade for s in item.skills if s in catalog.skill)
    }


def practice_round(
    session: Session,
    bank: QuestionBank,
    predictor: Predictor,
    student_id: int,
    now: datetime,
    n: int,
    graded: Sequence[AnswerEvent] = (),
    reviews_first: bool = False,
) -> list[ItemChoice]:
    """Due spaced reviews first, then frontier skills in the productive band; each choice
    with the P(right) the predictor gave it. One confirmation or review a round, or with
    ``reviews_first`` (a call placed for the reviews) every due one the round holds."""
    student = session.get(m.Student, student_id)
    if student is None:
        raise LookupError(f"no student {student_id}")
    catalog = bank.catalog
    history = answer_history(session, student_id, graded)
    due = ReviewState.from_history(history, catalog).due(now) if history else []
    return next_items(
        history,
        catalog,
        predictor,
        now,
        n,
        grade=student.grade,
        due_reviews=due,
        exclude=beyond_grade(catalog, student.grade) | bank.needs_story,
        config=PolicyConfig(max_reviews=None) if reviews_first else None,
    )


def after_lesson(
    session: Session,
    bank: QuestionBank,
    predictor: Predictor,
    student_id: int,
    lesson_id: str,
    now: datetime,
    n: int,
    graded: Sequence[AnswerEvent] = (),
) -> list[ItemChoice]:
    """A few questions on the skills the lesson just taught, beyond the lesson's own."""
    lesson = session.get(m.Lesson, lesson_id)
    if lesson is None:
        return []
    asked = session.scalars(
        select(m.Question.id).where(
            m.Question.lesson_id == lesson.id, m.Question.template_id.is_(None)
        )
    )
    return questions_after_lesson(
        lesson.skills,
        answer_history(session, student_id, graded),
        bank.catalog,
        predictor,
        now,
        n,
        exclude=set(asked) | bank.needs_story,
    )
