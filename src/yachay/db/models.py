"""The tables. Every change here needs an Alembic migration (`yachay db revision`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, MetaData, String, Text, UniqueConstraint
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


class Prediction(Base):
    """What the tutor predicted for a question it chose in a call, and the answer that
    followed (NULL until the question is answered, or for good if it never is).

    Measures the model on real traffic: live AUC and calibration per model version."""

    __tablename__ = "predictions"
    __table_args__ = (Index("ix_predictions_call_question", "call_sid", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64))
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"))
    question_id: Mapped[str] = mapped_column(ForeignKey("questions.id"))
    #: P(right) the tutor gave the question when it chose it.
    probability: Mapped[float] = mapped_column(Float)
    #: The model version that scored it; NULL: the cold-start prior.
    model_version: Mapped[int | None]
    #: Its place in the questions chosen together (0: asked next; 2: two answers later).
    position: Mapped[int]
    predicted_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    answer_id: Mapped[int | None] = mapped_column(ForeignKey("answers.id"), unique=True)


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


# --- outreach: calls we place (yachay.outreach) ---------------------------------------


class CallWindow(Base):
    """The daily lesson call's window a household chose for a student (local time)."""

    __tablename__ = "call_windows"

    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), primary_key=True)
    #: Minutes after local midnight; start < end (a window never crosses midnight).
    start_minute: Mapped[int]
    end_minute: Mapped[int]
    #: False: called only when spaced reviews are due, not for every day's lesson.
    every_day: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class OutboundCall(Base):
    """A call we mean to place (a lesson, a review, a callback...) and how it ended."""

    __tablename__ = "outbound_calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: lesson, review, teacher_callback, parent_progress, missed_call
    kind: Mapped[str] = mapped_column(String(24))
    phone: Mapped[str] = mapped_column(String(32), index=True)
    student_id: Mapped[int | None] = mapped_column(ForeignKey("students.id"), index=True)
    #: Makes planning idempotent, e.g. "lesson:12:2026-12-05"; None for one-off calls.
    dedupe_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    #: pending, dialing, ringing, answered, done, gave_up, canceled
    state: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    tries: Mapped[int] = mapped_column(default=0)
    next_try_at: Mapped[datetime | None] = mapped_column(index=True)
    #: No try starts after this (the end of the chosen window); None: no limit.
    not_after: Mapped[datetime | None]
    #: answered, machine, busy, no-answer, failed, quiet-hours, window-passed, error
    outcome: Mapped[str | None] = mapped_column(String(24))
    note: Mapped[str | None] = mapped_column(String(200))
    #: A teacher's number the student is put through to once they answer (a callback).
    connect_to: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class OutboundAttempt(Base):
    """One try of an outbound call: one Twilio call."""

    __tablename__ = "outbound_attempts"
    __table_args__ = (UniqueConstraint("outbound_call_id", "try_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    outbound_call_id: Mapped[int] = mapped_column(ForeignKey("outbound_calls.id"), index=True)
    try_number: Mapped[int]
    call_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    phone: Mapped[str] = mapped_column(String(32), index=True)
    requested_at: Mapped[datetime]
    #: Minutes after local midnight when it was placed: what best-time learning reads.
    local_minute: Mapped[int]
    #: Twilio's CallStatus (queued ... completed, busy, no-answer, failed, canceled), or
    #: "error" when the REST request itself failed.
    status: Mapped[str] = mapped_column(String(16), default="queued")
    status_sequence: Mapped[int] = mapped_column(default=-1)
    #: Twilio's AnsweredBy: human, machine_start, machine_end_beep, fax, unknown...
    answered_by: Mapped[str | None] = mapped_column(String(24))
    duration_seconds: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(String(200))
    ended_at: Mapped[datetime | None]
