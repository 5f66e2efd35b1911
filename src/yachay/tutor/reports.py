"""Who to call back: students due for spaced reviews (outbound review calls) and students
who need a human tutor (the teacher's list), each with the reason.

The decisions are `yachay.tutor.review` and `yachay.tutor.needs_tutor`; this module reads
answers (through `yachay.db.answers`) and calls, and hands them over.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from yachay.db import models as m
from yachay.db.answers import all_answers
from yachay.tutor.bank import question_bank
from yachay.tutor.decisions import answer_events
from yachay.tutor.domain import Predictor, as_utc
from yachay.tutor.needs_tutor import (
    CallRecord,
    NeedsTutorConfig,
    StudentActivity,
    rank_students,
)
from yachay.tutor.review import ReviewState, students_due_for_review

__all__ = [
    "DueStudent",
    "LESSON_NODES",
    "StudentNeed",
    "calls_by_student",
    "due_for_review",
    "needs_a_tutor",
]

#: Nodes of the student call that are part of a lesson or a practice round: a call that
#: ended waiting at one of them was hung up mid-lesson, not after the goodbye.
LESSON_NODES = frozenset({"lesson", "segment", "story_again", "question", "practice"})


@dataclass(frozen=True)
class DueStudent:
    student_id: int
    name: str | None
    phone: str
    language: str
    #: Skills due for review, most overdue first, and their names.
    skills: tuple[str, ...]
    skill_names: tuple[str, ...]
    #: Days the most overdue review is past due.
    overdue_days: float


@dataclass(frozen=True)
class StudentNeed:
    student_id: int
    name: str | None
    phone: str
    grade: int
    score: float
    #: Sentences for the teacher, most important first.
    reasons: tuple[str, ...]


def due_for_review(
    session: Session, now: datetime, min_skills: int = 1, limit: int | None = None
) -> list[DueStudent]:
    """Students with at least ``min_skills`` skills due for review at ``now``: who an
    outbound review call should ring, in `review.students_due_for_review`'s order."""
    catalog = question_bank(session).catalog
    students = {s.id: s for s in session.scalars(select(m.Student))}
    states = {
        student_id: ReviewState.from_history(answer_events(rows), catalog)
        for student_id, rows in all_answers(session).items()
        if student_id in students
    }
    ranked = students_due_for_review(states, now, min_skills=min_skills)
    return [
        DueStudent(
            due.student_id,
            students[due.student_id].name,
            students[due.student_id].phone,
            students[due.student_id].language,
            due.skills,
            tuple(catalog.skill[s].name if s in catalog.skill else s for s in due.skills),
            round(due.overdue_days, 2),
        )
        for due in ranked[:limit]
    ]


def needs_a_tutor(
    session: Session,
    predictor: Predictor,
    now: datetime,
    limit: int | None = None,
    config: NeedsTutorConfig | None = None,
) -> list[StudentNeed]:
    """Students a teacher should call back, highest need first, each with the reasons."""
    config = config or NeedsTutorConfig()
    catalog = question_bank(session).catalog
    students = {s.id: s for s in session.scalars(select(m.Student))}
    answers = all_answers(session)
    calls = calls_by_student(session, now - timedelta(days=config.calls_window_days))
    activity = [
        StudentActivity(
            student_id, answer_events(answers.get(student_id, ())), calls.get(student_id, ())
        )
        for student_id in students
    ]
    ranked = rank_students(activity, catalog, predictor, now, config=config, limit=limit)
    return [
        StudentNeed(
            int(need.student_id),
            students[need.student_id].name,
            students[need.student_id].phone,
            students[need.student_id].grade,
            need.score,
            tuple(need.reasons),
        )
        for need in ranked
    ]


def calls_by_student(
    session: Session, since: datetime, student_ids: Iterable[int] | None = None
) -> dict[int, list[CallRecord]]:
    """Finished calls since ``since`` (of ``student_ids``, or of every student): when, how
    long, and whether a lesson was cut off."""
    query = (
        select(
            m.Call.sid, m.Call.student_id, m.Call.started_at, m.Call.duration_seconds, m.Call.state
        )
        .where(
            m.Call.student_id.is_not(None),
            m.Call.ended_at.is_not(None),
            m.Call.started_at >= as_utc(since).replace(tzinfo=None),  # stored as naive UTC
        )
        .order_by(m.Call.started_at)
    )
    if student_ids is not None:
        query = query.where(m.Call.student_id.in_(list(student_ids)))
    out: dict[int, list[CallRecord]] = defaultdict(list)
    for sid, student_id, started, duration, state in session.execute(query):
        node = (state or {}).get("node", "")
        out[student_id].append(CallRecord(sid, started, duration, node in LESSON_NODES))
    return out
