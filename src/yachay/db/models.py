"""The tables. Every change here needs an Alembic migration (`yachay db revision`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, MetaData, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Naive UTC, the same on SQLite and PostgreSQL."""
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


# --- people ---------------------------------------------------------------------------


class Student(Base):
    __tablename__ = "students"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str | None] = mapped_column(String(80))
    language: Mapped[str] = mapped_column(String(8))
    grade: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- calls ----------------------------------------------------------------------------


class Call(Base):
    __tablename__ = "calls"

    sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    phone: Mapped[str] = mapped_column(String(32), index=True)
    direction: Mapped[str] = mapped_column(String(16), default="inbound")
    student_id: Mapped[int | None] = mapped_column(ForeignKey("students.id"), index=True)
    #: The conversation state (flows.state.CallState) between turns.
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: The turn the call waits for; resume URLs carry it, so a retried request is recognised.
    step: Mapped[int] = mapped_column(default=0)
    #: The TwiML answered for the last turn, replayed when Twilio retries that request.
    last_reply: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="ringing")
    #: SequenceNumber of the status callback the status came from (-1: none yet).
    status_sequence: Mapped[int] = mapped_column(default=-1)
    duration_seconds: Mapped[int | None]
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CallStatusEvent(Base):
    """Each status callback once, however often Twilio sends it."""

    __tablename__ = "call_status_events"
    __table_args__ = (UniqueConstraint("call_sid", "sequence_number", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64), index=True)
    sequence_number: Mapped[int]
    status: Mapped[str] = mapped_column(String(16))
    duration_seconds: Mapped[int | None]
    timestamp: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- learning -------------------------------------------------------------------------


class LessonProgress(Base):
    __tablename__ = "lesson_progress"
    __table_args__ = (UniqueConstraint("student_id", "lesson_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"))
    lesson_id: Mapped[str] = mapped_column(ForeignKey("lessons.id"))
    segment: Mapped[int] = mapped_column(default=0)
    question: Mapped[int] = mapped_column(default=0)
    answered: Mapped[int] = mapped_column(default=0)
    right: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    completed_at: Mapped[datetime | None]


class Answer(Base):
    """One answer, one row: a turn of a call grades at most one answer."""

    __tablename__ = "answers"
    __table_args__ = (
        UniqueConstraint("call_sid", "step"),
        Index("ix_answers_student_time", "student_id", "answered_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"))
    question_id: Mapped[str] = mapped_column(ForeignKey("questions.id"), index=True)
    lesson_id: Mapped[str | None] = mapped_column(ForeignKey("lessons.id"))
    choice: Mapped[int]
    correct: Mapped[bool]
    #: From when the question's last choice had been heard to the key (flows.speech).
    response_ms: Mapped[int | None]
    #: From when the reply was sent to the key: listening included (before 0008, the only
    #: time measured, and stored in response_ms).
    raw_response_ms: Mapped[int | None]
    call_sid: Mapped[str] = mapped_column(String(64))
    step: Mapped[int]
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)


class TeacherQuestion(Base):
    """A question a student recorded for their teacher."""

    __tablename__ = "teacher_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), index=True)
    call_sid: Mapped[str] = mapped_column(String(64))
    recording_sid: Mapped[str] = mapped_column(String(64), unique=True)
    recording_url: Mapped[str] = mapped_column(String(500))
    duration_seconds: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default="new")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- content (imported from packs; retired, never deleted, so answers keep their item) --


class ContentPack(Base):
    __tablename__ = "content_packs"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    title: Mapped[dict[str, Any]]
    languages: Mapped[list[Any]]
    fingerprint: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)


class Skill(Base):
    __tablename__ = "skills"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    pack_id: Mapped[str] = mapped_column(ForeignKey("content_packs.id"))
    name: Mapped[dict[str, Any]]
    grade: Mapped[int]
    prerequisites: Mapped[list[Any]]
    retired: Mapped[bool] = mapped_column(default=False)


class Lesson(Base):
    __tablename__ = "lessons"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    pack_id: Mapped[str] = mapped_column(ForeignKey("content_packs.id"))
    unit_id: Mapped[str] = mapped_column(String(80))
    #: Teaching order within the pack.
    position: Mapped[int]
    grade: Mapped[int] = mapped_column(index=True)
    title: Mapped[dict[str, Any]]
    skills: Mapped[list[Any]]
    #: [{"text": {lang: text}, "audio": {lang: path}}, ...]
    segments: Mapped[list[Any]]
    retired: Mapped[bool] = mapped_column(default=False)
    #: "lesson", or "listening": the segments are a story, offered again before the questions.
    kind: Mapped[str] = mapped_column(String(16), default="lesson", server_default="lesson")
    #: Languages every text of the lesson is in: the pack's, then the lesson's translations.
    languages: Mapped[list[Any]] = mapped_column(default=list, server_default="[]")
    #: Declared translations, language -> {"reviewed_by_native_speaker": bool, "note": str}.
    translations: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")


class Question(Base):
    __tablename__ = "questions"

    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    lesson_id: Mapped[str] = mapped_column(ForeignKey("lessons.id"), index=True)
    position: Mapped[int]
    stem: Mapped[dict[str, Any]]
    choices: Mapped[list[Any]]
    answer: Mapped[int]
    explanation: Mapped[dict[str, Any]]
    skills: Mapped[list[Any]]
    difficulty: Mapped[int]
    grade: Mapped[int] = mapped_column(index=True)
    retired: Mapped[bool] = mapped_column(default=False)
    #: The template a generated practice item comes from; None for a hand-written question
    #: (only those are asked in the lesson itself).
    template_id: Mapped[str | None] = mapped_column(String(80), index=True)
