"""A call without a parent's consent forgets the child's answers when it ends, also when its
final status callback never came (then at the number's next call, a day later)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select

from yachay.calls import CallService, StatusUpdate
from yachay.content.prompts import Prompts
from yachay.db import models as m
from yachay.db.consent import give_consent
from yachay.db.database import Database
from yachay.flows.engine import Timing

from .test_calls import PROMPTS, Phone, db  # noqa: F401 - the fixture

NUMBER = "+51911000077"


def _student(database: Database, consent: bool) -> int:
    with database.session() as session:
        student = m.Student(phone=NUMBER, grade=1, language="es")
        session.add(student)
        session.flush()
        if consent:
            give_consent(session, student.id, "console")
        return student.id


def _answers(database: Database, student_id: int) -> int:
    with database.session() as session:
        return session.scalar(
            select(func.count()).select_from(m.Answer).where(m.Answer.student_id == student_id)
        )


def _lesson_answers(calls: CallService, sid: str, at: datetime) -> Phone:
    phone = Phone(calls, sid, NUMBER, at)
    phone.press("1", "2", "2", "2", "2")  # the lesson, its segment skipped, three answers
    return phone


def test_the_final_status_forgets_only_without_consent(db: Database, tmp_path: Path) -> None:  # noqa: F811
    calls = CallService(db, Prompts.load(PROMPTS), Timing())
    student = _student(db, consent=False)
    phone = _lesson_answers(calls, "CA-forget", datetime(2026, 12, 1, 15, 0))
    assert _answers(db, student) == 3  # kept while the call lasts: the tutor reads them
    calls.status(StatusUpdate("CA-forget", "completed", 2), phone.at)
    assert _answers(db, student) == 0
    with db.session() as session:
        assert session.scalar(
            select(m.LessonProgress.question).where(m.LessonProgress.student_id == student)
        )  # the lesson position stays

    with db.session() as session:
        give_consent(session, student, "keypad")
    phone = _lesson_answers(calls, "CA-keep", datetime(2026, 12, 1, 16, 0))
    calls.status(StatusUpdate("CA-keep", "completed", 2), phone.at)
    assert _answers(db, student) > 0


def test_a_lost_final_status_is_forgotten_at_the_next_call(db: Database) -> None:  # noqa: F811
    calls = CallService(db, Prompts.load(PROMPTS), Timing())
    student = _student(db, consent=False)
    _lesson_answers(calls, "CA-lost", datetime(2026, 12, 1, 15, 0))
    Phone(calls, "CA-same-day", NUMBER, datetime(2026, 12, 1, 18, 0))
    assert _answers(db, student) == 3  # the first call might still be going on
    Phone(calls, "CA-next-day", NUMBER, datetime(2026, 12, 2, 15, 1))
    assert _answers(db, student) == 0
