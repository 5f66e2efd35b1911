"""Storage side of the domain events: each event of a turn becomes rows, exactly once."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import singledispatchmethod

from sqlalchemy import select
from sqlalchemy.orm import Session

from yachay.db import models as m
from yachay.flows import events as ev
from yachay.flows.state import CallState


@dataclass(frozen=True)
class TurnContext:
    call_sid: str
    step: int
    now: datetime


class EventRecorder:
    """Writes a turn's domain events inside the turn's transaction.

    The turn's unique (call_sid, step) makes a replayed request fail on the answer's unique
    constraint rather than store an answer twice.
    """

    def __init__(self, session: Session, ctx: TurnContext) -> None:
        self.session = session
        self.ctx = ctx
        self.listeners: list[Callable[[object], None]] = []

    def record(self, events: Iterable[ev.Event], state: CallState) -> CallState:
        for event in events:
            state = self.apply(event, state)
            for listener in self.listeners:
                listener(event)
        return state

    @singledispatchmethod
    def apply(self, event: object, state: CallState) -> CallState:
        return state  # what the caller hears needs no storage

    @apply.register
    def _(self, event: ev.StudentRegistered, state: CallState) -> CallState:
        student = m.Student(
            phone=event.phone, language=event.language, grade=event.grade, created_at=self.ctx.now
        )
        self.session.add(student)
        self.session.flush()
        self._call().student_id = student.id
        state.student_id = student.id
        return state

    @apply.register
    def _(self, event: ev.StudentIdentified, state: CallState) -> CallState:
        self._call().student_id = event.student_id
        return state

    @apply.register
    def _(self, event: ev.LanguageChanged, state: CallState) -> CallState:
        student = self.session.get(m.Student, event.student_id)
        if student is not None:
            student.language = event.language
        return state

    @apply.register
    def _(self, event: ev.LessonPositionReached, state: CallState) -> CallState:
        progress = self._progress(event.student_id, event.lesson_id)
        progress.segment = event.segment
        progress.question = event.question
        progress.updated_at = self.ctx.now
        return state

    @apply.register
    def _(self, event: ev.AnswerGraded, state: CallState) -> CallState:
        self.session.add(
            m.Answer(
                student_id=event.student_id,
                question_id=event.question_id,
                lesson_id=event.lesson_id,
                choice=event.choice,
                correct=event.correct,
                response_ms=event.response_ms,
                raw_response_ms=event.raw_response_ms,
                call_sid=self.ctx.call_sid,
                step=self.ctx.step,
                answered_at=self.ctx.now,
            )
        )
        if event.lesson_id is not None:
            progress = self._progress(event.student_id, event.lesson_id)
            progress.answered += 1
            progress.right += int(event.correct)
        self.session.flush()
        return state

    @apply.register
    def _(self, event: ev.LessonCompleted, state: CallState) -> CallState:
        progress = self._progress(event.student_id, event.lesson_id)
        progress.completed_at = self.ctx.now
        return state

    @apply.register
    def _(self, event: ev.TeacherQuestionRecorded, state: CallState) -> CallState:
        exists = self.session.scalar(
            select(m.TeacherQuestion.id).where(
                m.TeacherQuestion.recording_sid == event.recording_sid
            )
        )
        if exists is None:
            self.session.add(
                m.TeacherQuestion(
                    student_id=event.student_id,
                    call_sid=self.ctx.call_sid,
                    recording_sid=event.recording_sid,
                    recording_url=event.recording_url,
                    duration_seconds=event.duration_seconds,
                    created_at=self.ctx.now,
                )
            )
        return state

    def _call(self) -> m.Call:
        call = self.session.get(m.Call, self.ctx.call_sid)
        assert call is not None, "events are recorded inside a known call"
        return call

    def _progress(self, student_id: int, lesson_id: str) -> m.LessonProgress:
        progress = self.session.scalar(
            select(m.LessonProgress).where(
                m.LessonProgress.student_id == student_id, m.LessonProgress.lesson_id == lesson_id
            )
        )
        if progress is None:
            progress = m.LessonProgress(
                student_id=student_id,
                lesson_id=lesson_id,
                segment=0,
                question=0,
                answered=0,
                right=0,
                started_at=self.ctx.now,
                updated_at=self.ctx.now,
            )
            self.session.add(progress)
            self.session.flush()
        return progress
