"""A student's data as the law lets a family ask for it (Peru's Ley 29733): everything kept
about the child, exported as JSON or CSV, and deleted on request, with a list of what went.

The access log is kept on deletion: it records who saw the child's data, not the data, and
is the audit trail the law asks for."""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from yachay.db import models as m
from yachay.db import people as p
from yachay.db.phone_roles import CallbackRequest, RecordingHeard


class NoSuchStudent(LookupError):
    pass


def _when(value: Any) -> str | None:
    return value.isoformat(timespec="seconds") if value is not None else None


def export_student(session: Session, student_id: int) -> dict[str, Any]:
    """Every row about the student, as plain JSON-ready data."""
    student = session.get(m.Student, student_id)
    if student is None:
        raise NoSuchStudent(f"no student with id {student_id}")
    parents = session.scalars(
        select(p.User)
        .join(p.ParentChild, p.ParentChild.parent_id == p.User.id)
        .where(p.ParentChild.student_id == student_id)
        .order_by(p.User.id)
    )
    return {
        "student": {
            "id": student.id,
            "name": student.name,
            "phone": student.phone,
            "grade": student.grade,
            "language": student.language,
            "created_at": _when(student.created_at),
            "class_id": session.scalar(
                select(p.ClassStudent.class_id).where(p.ClassStudent.student_id == student_id)
            ),
        },
        "parents": [{"id": u.id, "name": u.name, "phone": u.phone} for u in parents],
        "answers": [
            {
                "question_id": a.question_id,
                "lesson_id": a.lesson_id,
                "choice": a.choice,
                "correct": a.correct,
                "response_ms": a.response_ms,
                "call_sid": a.call_sid,
                "answered_at": _when(a.answered_at),
            }
            for a in session.scalars(
                select(m.Answer).where(m.Answer.student_id == student_id).order_by(m.Answer.id)
            )
        ],
        "lessons": [
            {
                "lesson_id": lp.lesson_id,
                "answered": lp.answered,
                "right": lp.right,
                "started_at": _when(lp.started_at),
                "completed_at": _when(lp.completed_at),
            }
            for lp in session.scalars(
                select(m.LessonProgress).where(m.LessonProgress.student_id == student_id)
            )
        ],
        "calls": [
            {
                "sid": c.sid,
                "direction": c.direction,
                "status": c.status,
                "duration_seconds": c.duration_seconds,
                "started_at": _when(c.started_at),
            }
            for c in session.scalars(
                select(m.Call).where(m.Call.student_id == student_id).order_by(m.Call.started_at)
            )
        ],
        "consents": [
            {
                "parent_id": c.parent_id,
                "via": c.via,
                "given_at": _when(c.given_at),
                "withdrawn_at": _when(c.withdrawn_at),
            }
            for c in session.scalars(
                select(p.Consent).where(p.Consent.student_id == student_id).order_by(p.Consent.id)
            )
        ],
        "callback_requests": [
            {"parent_id": c.parent_id, "status": c.status, "created_at": _when(c.created_at)}
            for c in session.scalars(
                select(CallbackRequest)
                .where(CallbackRequest.student_id == student_id)
                .order_by(CallbackRequest.id)
            )
        ],
        "recorded_questions": [
            {
                "recording_url": q.recording_url,
                "duration_seconds": q.duration_seconds,
                "status": q.status,
                "created_at": _when(q.created_at),
            }
            for q in session.scalars(
                select(m.TeacherQuestion).where(m.TeacherQuestion.student_id == student_id)
            )
        ],
        "class_recordings_heard": [
            {"recording_id": h.recording_id, "skipped": h.skipped, "heard_at": _when(h.heard_at)}
            for h in session.scalars(
                select(RecordingHeard)
                .where(RecordingHeard.student_id == student_id)
                .order_by(RecordingHeard.heard_at)
            )
        ],
    }


def answers_csv(record: dict[str, Any]) -> str:
    """The answers of an export as CSV, one row per answer (the part a spreadsheet wants)."""
    out = io.StringIO()
    columns = ["question_id", "lesson_id", "choice", "correct", "response_ms", "answered_at"]
    writer = csv.DictWriter(out, columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(record["answers"])
    return out.getvalue()


def delete_student(session: Session, student_id: int) -> dict[str, int]:
    """Delete the student and everything kept about them; how many rows of each went."""
    if session.get(m.Student, student_id) is None:
        raise NoSuchStudent(f"no student with id {student_id}")
    sids = list(session.scalars(select(m.Call.sid).where(m.Call.student_id == student_id)))
    deleted: dict[str, int] = {}

    def gone(name: str, statement: Any) -> None:
        deleted[name] = session.execute(statement).rowcount or 0

    # The tutor's predictions point at the answers: they go first.
    gone("tutor predictions", delete(m.Prediction).where(m.Prediction.student_id == student_id))
    gone("answers", delete(m.Answer).where(m.Answer.student_id == student_id))
    gone(
        "lesson progress", delete(m.LessonProgress).where(m.LessonProgress.student_id == student_id)
    )
    gone(
        "recorded questions (recording URLs)",
        delete(m.TeacherQuestion).where(m.TeacherQuestion.student_id == student_id),
    )
    gone(
        "call status events", delete(m.CallStatusEvent).where(m.CallStatusEvent.call_sid.in_(sids))
    )
    # A call's saved state (its transcript of the conversation) names the child.
    gone("calls (with their conversation state)", delete(m.Call).where(m.Call.sid.in_(sids)))
    gone(
        "parents' callback requests",
        delete(CallbackRequest).where(CallbackRequest.student_id == student_id),
    )
    gone(
        "class recordings heard",
        delete(RecordingHeard).where(RecordingHeard.student_id == student_id),
    )
    gone("consents", delete(p.Consent).where(p.Consent.student_id == student_id))
    gone("parent links", delete(p.ParentChild).where(p.ParentChild.student_id == student_id))
    gone("class membership", delete(p.ClassStudent).where(p.ClassStudent.student_id == student_id))
    gone("student", delete(m.Student).where(m.Student.id == student_id))
    return deleted
