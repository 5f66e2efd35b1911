"""The catalog's answers about parents and teachers (flows.ports.Catalog), over the
console's people (`yachay.db.people`) and the phone roles' tables (`yachay.db.phone_roles`).
Mixed into `SqlCatalog`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from yachay.calls.weeks import week_start
from yachay.db import models as m
from yachay.db import people as p
from yachay.db import phone_roles as pr
from yachay.flows.ports import (
    AdultView,
    ClassMessage,
    ClassView,
    PinLock,
    RecordedQuestion,
    StudentView,
)

#: Roles that call Yachay by phone besides students.
PHONE_ROLES = ("parent", "teacher")


class UnknownAdult(LookupError):
    pass


def _adult_view(user: p.User) -> AdultView:
    return AdultView(user.id, user.role, user.name, user.pin_hash is not None, user.language)


class AdultCatalog:
    session: Session

    def adults_on(self, phone: str) -> Sequence[AdultView]:
        rows = self.session.scalars(
            select(p.User)
            .where(p.User.phone == phone, p.User.active.is_(True), p.User.role.in_(PHONE_ROLES))
            .order_by(p.User.id)
        )
        return [_adult_view(u) for u in rows]

    def adult(self, user_id: int) -> AdultView:
        user = self.session.get(p.User, user_id)
        if user is None:
            raise UnknownAdult(f"no user {user_id}")
        return _adult_view(user)

    def pin_matches(self, user_id: int, pin: str) -> bool:
        user = self.session.get(p.User, user_id)
        return user is not None and pr.pin_matches(user.pin_hash, pin)

    def pin_lock(self, phone: str) -> PinLock:
        row = self.session.get(pr.PinLockout, phone)
        if row is None:
            return PinLock(0)
        return PinLock(row.failures, row.locked_until)

    def children_of(self, parent_id: int) -> Sequence[StudentView]:
        rows = self.session.scalars(
            select(m.Student)
            .join(p.ParentChild, p.ParentChild.student_id == m.Student.id)
            .where(p.ParentChild.parent_id == parent_id)
            .order_by(m.Student.id)
        )
        return [StudentView(s.id, s.language, s.grade, s.name) for s in rows]

    def minutes_this_week(self, student_id: int, now: datetime) -> int:
        seconds = self.session.scalar(
            select(func.coalesce(func.sum(m.Call.duration_seconds), 0)).where(
                m.Call.student_id == student_id, m.Call.started_at >= week_start(now)
            )
        )
        return round((seconds or 0) / 60)

    def classes_of(self, teacher_id: int) -> Sequence[ClassView]:
        classes = self.session.scalars(
            select(p.SchoolClass)
            .where(p.SchoolClass.teacher_id == teacher_id)
            .order_by(p.SchoolClass.id)
        ).all()
        out = []
        for c in classes:
            ids = self.session.scalars(
                select(p.ClassStudent.student_id)
                .where(p.ClassStudent.class_id == c.id)
                .order_by(p.ClassStudent.student_id)
            ).all()
            out.append(ClassView(c.id, c.name, list(ids)))
        return out

    def active_this_week(self, student_ids: Sequence[int], now: datetime) -> int:
        if not student_ids:
            return 0
        return (
            self.session.scalar(
                select(func.count(func.distinct(m.Call.student_id))).where(
                    m.Call.student_id.in_(student_ids),
                    m.Call.started_at >= week_start(now),
                )
            )
            or 0
        )

    def callback_requests(self, teacher_id: int) -> Sequence[int]:
        return self.session.scalars(
            select(pr.CallbackRequest.student_id)
            .where(pr.CallbackRequest.teacher_id == teacher_id, pr.CallbackRequest.status == "new")
            .order_by(pr.CallbackRequest.created_at, pr.CallbackRequest.id)
        ).all()

    def next_question(self, teacher_id: int, after: int) -> RecordedQuestion | None:
        row = self.session.scalars(
            select(m.TeacherQuestion)
            .join(p.ClassStudent, p.ClassStudent.student_id == m.TeacherQuestion.student_id)
            .join(p.SchoolClass, p.SchoolClass.id == p.ClassStudent.class_id)
            .where(
                p.SchoolClass.teacher_id == teacher_id,
                m.TeacherQuestion.status == "new",
                m.TeacherQuestion.id > after,
            )
            .order_by(m.TeacherQuestion.id)
            .limit(1)
        ).first()
        if row is None:
            return None
        return RecordedQuestion(row.id, row.student_id, row.recording_url)

    def phone_of(self, student_id: int) -> str:
        student = self.session.get(m.Student, student_id)
        if student is None:
            raise UnknownAdult(f"no student {student_id}")
        return student.phone

    def class_messages(self, student_id: int, limit: int) -> Sequence[ClassMessage]:
        heard = exists().where(
            pr.RecordingHeard.student_id == student_id,
            pr.RecordingHeard.recording_id == pr.ClassRecording.id,
        )
        rows = self.session.scalars(
            select(pr.ClassRecording)
            .join(p.ClassStudent, p.ClassStudent.class_id == pr.ClassRecording.class_id)
            .where(
                p.ClassStudent.student_id == student_id,
                pr.ClassRecording.status == "approved",
                ~heard,
            )
            .order_by(pr.ClassRecording.created_at.desc(), pr.ClassRecording.id.desc())
            .limit(limit)
        )
        return [ClassMessage(r.id, r.recording_url) for r in rows]
