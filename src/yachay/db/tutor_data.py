"""Transitional: only ``tutor/serving.py`` (``prepare_students``) and ``tutor/read_ahead.py``
still import this, and the rewrite of the serving path removes both uses. Read answers
through :mod:`yachay.db.answers`; delete this module with them.

Histories come as ``(question id, correct, response_ms)`` triples, what the serving code
hands its model (``mastery.as_answers`` passes them through unchanged).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from yachay.db.answers import answers_of_students, students_active_since

__all__ = ["histories_of", "students_active_since"]


def histories_of(
    session: Session, student_ids: Sequence[int]
) -> dict[int, list[tuple[str, bool, int | None]]]:
    return {
        student_id: [(a.question_id, a.correct, a.response_ms) for a in rows]
        for student_id, rows in answers_of_students(session, student_ids).items()
    }
