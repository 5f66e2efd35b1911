"""What the tutor's policies read, from the database: items, skills, a student's answers."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from yachay.db import models as m
from yachay.tutor.mastery import AnswerEvent, Catalog, Item, Predictor, SkillNode
from yachay.tutor.policy import next_items, questions_after_lesson
from yachay.tutor.review import ReviewState

#: The catalog, rebuilt only when the imported content changes (keyed by pack fingerprints).
_cache: dict[tuple[tuple[str, str], ...], Catalog] = {}


def tutor_catalog(session: Session) -> Catalog:
    key = tuple(session.execute(select(m.ContentPack.id, m.ContentPack.fingerprint)))
    if key not in _cache:
        questions = session.execute(
            select(m.Question.id, m.Question.skills, m.Question.difficulty, m.Question.grade)
            .join(m.Lesson, m.Lesson.id == m.Question.lesson_id)
            .where(m.Question.retired.is_(False))
            .order_by(m.Lesson.grade, m.Lesson.position, m.Question.position)
        )
        items = [
            Item(qid, tuple(skills), difficulty, grade)
            for qid, skills, difficulty, grade in questions
        ]
        skills = [
            SkillNode(s.id, tuple(s.prerequisites), s.grade, s.name.get("es", s.id))
            for s in session.scalars(
                select(m.Skill).where(m.Skill.retired.is_(False)).order_by(m.Skill.grade)
            )
        ]
        _cache.clear()
        _cache[key] = Catalog.build(items, skills)
    return _cache[key]


def _answers():  # noqa: ANN202
    return select(
        m.Answer.student_id,
        m.Answer.question_id,
        m.Answer.correct,
        m.Answer.answered_at,
        m.Answer.response_ms,
        m.Answer.call_sid,
    ).order_by(m.Answer.student_id, m.Answer.answered_at, m.Answer.id)


def answer_history(session: Session, student_id: int) -> list[AnswerEvent]:
    """One student's answers, oldest first."""
    rows = session.execute(_answers().where(m.Answer.student_id == student_id))
    return [AnswerEvent(q, bool(c), at, ms, sid) for _, q, c, at, ms, sid in rows]


def answer_histories(session: Session) -> dict[int, list[AnswerEvent]]:
    """Every student's answers, oldest first, by student id (one query for all)."""
    out: dict[int, list[AnswerEvent]] = defaultdict(list)
    for student_id, q, c, at, ms, sid in session.execute(_answers()):
        out[student_id].append(AnswerEvent(q, bool(c), at, ms, sid))
    return out


def students_active_since(session: Session, since: datetime) -> list[int]:
    """Students who answered at or after ``since``, by id."""
    return list(
        session.scalars(
            select(m.Answer.student_id)
            .where(m.Answer.answered_at >= since)
            .distinct()
            .order_by(m.Answer.student_id)
        )
    )


def histories_of(session: Session, student_ids: Sequence[int]) -> dict[int, list[AnswerEvent]]:
    """The answers of each of ``student_ids``, oldest first (one query)."""
    out: dict[int, list[AnswerEvent]] = {i: [] for i in student_ids}
    for student_id, q, c, at, ms, sid in session.execute(
        _answers().where(m.Answer.student_id.in_(list(student_ids)))
    ):
        out[student_id].append(AnswerEvent(q, bool(c), at, ms, sid))
    return out


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
    session: Session, student: m.Student, predictor: Predictor, now: datetime, n: int
) -> list[str]:
    """Due spaced reviews first, then frontier skills in the productive band."""
    catalog = tutor_catalog(session)
    history = answer_history(session, student.id)
    due = ReviewState.from_history(history, catalog).due(now) if history else []
    choices = next_items(
        history,
        catalog,
        predictor,
        now,
        n,
        grade=student.grade,
        due_reviews=due,
        exclude=beyond_grade(catalog, student.grade),
    )
    return [c.item_id for c in choices]


def after_lesson(
    session: Session,
    student_id: int,
    lesson: m.Lesson,
    predictor: Predictor,
    now: datetime,
    n: int,
) -> list[str]:
    """A few questions on the skills the lesson just taught, beyond the lesson's own."""
    catalog = tutor_catalog(session)
    asked = session.scalars(
        select(m.Question.id).where(
            m.Question.lesson_id == lesson.id, m.Question.template_id.is_(None)
        )
    )
    choices = questions_after_lesson(
        lesson.skills,
        answer_history(session, student_id),
        catalog,
        predictor,
        now,
        n,
        exclude=set(asked),
    )
    return [c.item_id for c in choices]
