"""What the signed-in user may see, enforced on the server: an administrator sees every
class, a teacher only their own. Anything outside answers 404, exactly as an id that does not
exist, so a tampered URL learns nothing. Every view of a student's record is logged."""

from __future__ import annotations

from flask import abort, request
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from yachay.db import models as m
from yachay.db import people as p


def visible_class_ids(session: Session) -> list[int] | None:
    """The classes the user sees; None: all of them (an administrator)."""
    if current_user.role == "admin":
        return None
    if current_user.role != "teacher":
        return []
    query = select(p.SchoolClass.id).where(p.SchoolClass.teacher_id == current_user.id)
    return list(session.scalars(query))


def visible_classes(session: Session) -> list[p.SchoolClass]:
    ids = visible_class_ids(session)
    query = select(p.SchoolClass).order_by(p.SchoolClass.school_id, p.SchoolClass.name)
    if ids is not None:
        query = query.where(p.SchoolClass.id.in_(ids))
    return list(session.scalars(query))


def class_or_404(session: Session, class_id: int) -> p.SchoolClass:
    school_class = session.get(p.SchoolClass, class_id)
    ids = visible_class_ids(session)
    if school_class is None or (ids is not None and class_id not in ids):
        abort(404)
    return school_class


def class_of(session: Session, student_id: int) -> int | None:
    return session.scalar(
        select(p.ClassStudent.class_id).where(p.ClassStudent.student_id == student_id)
    )


def student_or_404(session: Session, student_id: int) -> m.Student:
    student = session.get(m.Student, student_id)
    if student is None:
        abort(404)
    ids = visible_class_ids(session)
    if ids is not None and class_of(session, student_id) not in ids:
        abort(404)
    return student


def question_or_404(session: Session, question_id: int) -> m.TeacherQuestion:
    question = session.get(m.TeacherQuestion, question_id)
    if question is None:
        abort(404)
    student_or_404(session, question.student_id)
    return question


def log_access(session: Session, student_ids: list[int] | int, action: str) -> None:
    """Write who saw which student's record (an admin reads it at /admin/access-log)."""
    ids = [student_ids] if isinstance(student_ids, int) else student_ids
    path = request.path[:300]
    session.add_all(
        p.AccessLog(user_id=current_user.id, student_id=sid, action=action, path=path)
        for sid in ids
    )
