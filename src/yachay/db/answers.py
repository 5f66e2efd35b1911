"""The one repository that reads students' answers, as plain rows.

Everything that reads answers goes through here: the tutor's decisions and reports, the
training data, a student's progress. Rows come oldest first (time, then insertion order),
so a history is the order the answers were given.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from yachay.db import models as m

__all__ = [
    "StoredAnswer",
    "all_answers",
    "answers_of",
    "answers_of_students",
    "count_since",
    "each_answer",
    "students_active_since",
]


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    """One stored answer. A dataclass, not a tuple: the tutor reads bare tuples as
    ``(question id, correct, response_ms)``, and this row must never pass for one."""

    question_id: str
    correct: bool
    #: Naive UTC, as stored.
    answered_at: datetime
    response_ms: int | None
    call_sid: str


def _rows() -> Select:
    return select(
        m.Answer.student_id,
        m.Answer.question_id,
        m.Answer.correct,
        m.Answer.answered_at,
        m.Answer.response_ms,
        m.Answer.call_sid,
    ).order_by(m.Answer.student_id, m.Answer.answered_at, m.Answer.id)


def _stored(row: tuple) -> tuple[int, StoredAnswer]:
    student_id, question_id, correct, at, ms, sid = row
    return student_id, StoredAnswer(question_id, bool(correct), at, ms, sid)


def answers_of(session: Session, student_id: int) -> list[StoredAnswer]:
    """One student's answers, oldest first."""
    rows = session.execute(_rows().where(m.Answer.student_id == student_id))
    return [_stored(row)[1] for row in rows]


def answers_of_students(
    session: Session, student_ids: Iterable[int]
) -> dict[int, list[StoredAnswer]]:
    """The answers of each of ``student_ids`` (each present, maybe empty), in one query."""
    ids = list(student_ids)
    out: dict[int, list[StoredAnswer]] = {i: [] for i in ids}
    for row in session.execute(_rows().where(m.Answer.student_id.in_(ids))):
        student_id, answer = _stored(row)
        out[student_id].append(answer)
    return out


def all_answers(session: Session) -> dict[int, list[StoredAnswer]]:
    """Every student's answers, by student id (students with none are absent)."""
    out: dict[int, list[StoredAnswer]] = defaultdict(list)
    for student_id, answer in each_answer(session):
        out[student_id].append(answer)
    return dict(out)


def each_answer(session: Session, batch_size: int = 10_000) -> Iterator[tuple[int, StoredAnswer]]:
    """Every answer as ``(student id, answer)``, by student then time, read in batches (the
    whole table can be millions of rows)."""
    for row in session.execute(_rows().execution_options(yield_per=batch_size)):
        yield _stored(row)


def students_active_since(session: Session, since: datetime) -> list[int]:
    """Students who answered at or after ``since`` (naive UTC), by id."""
    return list(
        session.scalars(
            select(m.Answer.student_id)
            .where(m.Answer.answered_at >= since)
            .distinct()
            .order_by(m.Answer.student_id)
        )
    )


def count_since(session: Session, student_id: int, since: datetime) -> tuple[int, int]:
    """(answers, right answers) of one student at or after ``since`` (naive UTC)."""
    answered, right = session.execute(
        select(
            func.count(), func.coalesce(func.sum(case((m.Answer.correct, 1), else_=0)), 0)
        ).where(m.Answer.student_id == student_id, m.Answer.answered_at >= since)
    ).one()
    return int(answered), int(right)
