"""The console's people: schools, classes, users of every role but student, the parent to
child link, and the log of who looked at which student's record.

Students stay in `models.Student` (the phone registers them); a class holds students through
`ClassStudent`, one class per student. Every change here needs an Alembic migration.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from yachay.db.models import Base, utcnow

#: Roles a console or phone user can have (students are `models.Student`, not users).
ROLES = ("admin", "teacher", "creator", "parent")


class School(Base):
    __tablename__ = "schools"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    #: The number callbacks show (a teacher's own number is never shown to a family).
    phone: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    role: Mapped[str] = mapped_column(String(16), index=True)
    name: Mapped[str] = mapped_column(String(80))
    phone: Mapped[str | None] = mapped_column(String(32), index=True)
    #: Signs in to the console (with the phone number, the other way to sign in).
    email: Mapped[str | None] = mapped_column(String(200), unique=True)
    #: argon2id; None: this user cannot sign in to the console.
    password_hash: Mapped[str | None] = mapped_column(String(200))
    #: argon2id of the keypad PIN (a teacher's "clave", a household PIN).
    pin_hash: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    #: What a parent's or teacher's call speaks: "es", "qu" or "ay" (9 in their menu changes
    #: it). A parent created with children starts in the first child's language.
    language: Mapped[str] = mapped_column(String(8), default="es", server_default="es")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    #: Wrong console passwords in a row; at `web.auth.MAX_FAILED` the account waits.
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]


class SchoolClass(Base):
    __tablename__ = "classes"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    grade: Mapped[int | None]
    teacher_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ClassStudent(Base):
    """A student's class: one at a time (the primary key is the student)."""

    __tablename__ = "class_students"

    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("classes.id"), index=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class ParentChild(Base):
    __tablename__ = "parent_children"

    parent_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), primary_key=True)


class AccessLog(Base):
    """Who saw which student's record, and when. ``student_id`` is no foreign key: the entry
    outlives a deleted student, as the law's audit trail must."""

    __tablename__ = "access_log"
    __table_args__ = (Index("ix_access_log_student_time", "student_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    student_id: Mapped[int]
    #: What was seen: "student page", "class export", "recording", ...
    action: Mapped[str] = mapped_column(String(40))
    path: Mapped[str] = mapped_column(String(300))
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Consent(Base):
    """A parent's consent to keep a child's answers and recordings beyond the call (Peru's
    Ley 29733), given by keypad on a call or recorded in the console. Withdrawn, never
    edited: the row says when it was given and, once withdrawn, when that happened."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: "keypad" or "console".
    via: Mapped[str] = mapped_column(String(16))
    #: The console user who recorded it (None by keypad).
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    given_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None]
