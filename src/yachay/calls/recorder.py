"""Storage side of the domain events: each event of a turn becomes rows, exactly once."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import singledispatchmethod

from sqlalchemy import select
from sqlalchemy.orm import Session

from yachay.db import models as m
from yachay.db import people as p
from yachay.db import phone_roles as pr
from yachay.db.consent import give_consent
from yachay.db.predictions import link_answer
from yachay.db.upsert import insert_if_absent
from yachay.flows import events as ev
from yachay.flows.adults import LOCK_MINUTES, MAX_PIN_FAILURES
from yachay.flows.state import CallState

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TurnContext:
    call_sid: str
    step: int
    now: datetime


#: How long the daily lesson call's window is after the time a parent chose by keypad.
PARENT_WINDOW_MINUTES = 60


class EventRecorder:
    """Writes a turn's domain events inside the turn's transaction.

    The turn's unique (call_sid, step) makes a replayed request fail on the answer's unique
    constraint rather than store an answer twice.
    """

    def __init__(self, session: Session, ctx: TurnContext) -> None:
        self.session = session
        self.ctx = ctx

    def record(self, events: Iterable[ev.Event], state: CallState) -> CallState:
        for event in events:
            state = self.apply(event, state)
        return state

    def _add_recording_once(self, model: type, recording_sid: str, **values: object) -> None:
        # Twilio retries its recording callback; one recording is one row.
        exists = self.session.scalar(select(model.id).where(model.recording_sid == recording_sid))
        if exists is None:
            self.session.add(model(recording_sid=recording_sid, **values))

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
    def _(self, event: ev.AdultLanguageChanged, state: CallState) -> CallState:
        user = self.session.get(p.User, event.user_id)
        if user is not None:
            user.language = event.language
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
        answer = m.Answer(
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
        self.session.add(answer)
        if event.lesson_id is not None:
            progress = self._progress(event.student_id, event.lesson_id)
            # Counted in SQL, not from the value read: another call of the same student may
            # be answering in this lesson at this moment.
            progress.answered = m.LessonProgress.answered + 1
            progress.right = m.LessonProgress.right + int(event.correct)
        self.session.flush()
        # What the tutor predicted for this question, when it chose it, meets the answer.
        link_answer(self.session, answer)
        return state

    @apply.register
    def _(self, event: ev.LessonCompleted, state: CallState) -> CallState:
        progress = self._progress(event.student_id, event.lesson_id)
        progress.completed_at = self.ctx.now
        return state

    @apply.register
    def _(self, event: ev.TeacherQuestionRecorded, state: CallState) -> CallState:
        self._add_recording_once(
            m.TeacherQuestion,
            event.recording_sid,
            student_id=event.student_id,
            call_sid=self.ctx.call_sid,
            recording_url=event.recording_url,
            duration_seconds=event.duration_seconds,
            created_at=self.ctx.now,
        )
        return state

    @apply.register
    def _(self, event: ev.ConsentGiven, state: CallState) -> CallState:
        give_consent(self.session, event.student_id, "keypad")
        return state

    @apply.register
    def _(self, event: ev.PinRejected, state: CallState) -> CallState:
        row = self._lockout(event.phone)
        row.failures += 1
        row.updated_at = self.ctx.now
        if row.failures >= MAX_PIN_FAILURES:
            row.failures = 0
            row.locked_until = self.ctx.now + timedelta(minutes=LOCK_MINUTES)
            log.warning(
                "PIN lock: number %s locked until %s UTC after %d wrong PINs (call %s)",
                pr.mask_phone(event.phone),
                row.locked_until.isoformat(timespec="seconds"),
                MAX_PIN_FAILURES,
                self.ctx.call_sid,
            )
        return state

    @apply.register
    def _(self, event: ev.PinAccepted, state: CallState) -> CallState:
        row = self.session.get(pr.PinLockout, event.phone)
        if row is not None:
            row.failures = 0
            row.updated_at = self.ctx.now
        return state

    @apply.register
    def _(self, event: ev.DailyCallTimeSet, state: CallState) -> CallState:
        # The outbound calls ring inside the household's window: an hour from the time the
        # parent chose (yachay.outreach learns which part of it answers best).
        start = event.hour * 60 + event.minute
        for student_id in event.student_ids:
            row = self.session.get(m.CallWindow, student_id)
            if row is None:
                row = m.CallWindow(student_id=student_id)
                self.session.add(row)
            row.start_minute = start
            row.end_minute = min(start + PARENT_WINDOW_MINUTES, 24 * 60 - 1)
            row.updated_at = self.ctx.now
        return state

    @apply.register
    def _(self, event: ev.CallbackRequested, state: CallState) -> CallState:
        for student_id in event.student_ids:
            teacher = self.session.scalar(
                select(p.SchoolClass.teacher_id)
                .join(p.ClassStudent, p.ClassStudent.class_id == p.SchoolClass.id)
                .where(p.ClassStudent.student_id == student_id)
            )
            pending = self.session.scalar(
                select(pr.CallbackRequest.id).where(
                    pr.CallbackRequest.student_id == student_id,
                    pr.CallbackRequest.parent_id == event.parent_id,
                    pr.CallbackRequest.status == "new",
                )
            )
            if pending is None:  # asked twice before the teacher called: one request
                self.session.add(
                    pr.CallbackRequest(
                        parent_id=event.parent_id,
                        student_id=student_id,
                        teacher_id=teacher,
                        call_sid=self.ctx.call_sid,
                        created_at=self.ctx.now,
                    )
                )
        return state

    @apply.register
    def _(self, event: ev.TeacherQuestionAnswered, state: CallState) -> CallState:
        question = self.session.get(m.TeacherQuestion, event.question_id)
        if question is not None:
            question.status = "answered"
        return state

    @apply.register
    def _(self, event: ev.ClassRecordingMade, state: CallState) -> CallState:
        self._add_recording_once(
            pr.ClassRecording,
            event.recording_sid,
            teacher_id=event.teacher_id,
            class_id=event.class_id,
            recording_url=event.recording_url,
            duration_seconds=event.duration_seconds,
            call_sid=self.ctx.call_sid,
            status="pending",
            created_at=self.ctx.now,
        )
        return state

    @apply.register
    def _(self, event: ev.ClassRecordingHeard, state: CallState) -> CallState:
        # Once per student and recording: a replayed request finds the row already there.
        if self.session.get(pr.RecordingHeard, (event.student_id, event.recording_id)) is None:
            self.session.add(
                pr.RecordingHeard(
                    student_id=event.student_id,
                    recording_id=event.recording_id,
                    skipped=event.skipped,
                    call_sid=self.ctx.call_sid,
                    heard_at=self.ctx.now,
                )
            )
        return state

    def _lockout(self, phone: str) -> pr.PinLockout:
        row = self.session.get(pr.PinLockout, phone)
        if row is None:
            row = pr.PinLockout(phone=phone, failures=0, updated_at=self.ctx.now)
            self.session.add(row)
            self.session.flush()
        return row

    def _call(self) -> m.Call:
        call = self.session.get(m.Call, self.ctx.call_sid)
        assert call is not None, "events are recorded inside a known call"
        return call

    def _progress(self, student_id: int, lesson_id: str) -> m.LessonProgress:
        # Two calls of one student may start the lesson at once: the second insert waits for
        # the first and does nothing, rather than failing the turn on the unique row.
        insert_if_absent(
            self.session,
            m.LessonProgress,
            {
                "student_id": student_id,
                "lesson_id": lesson_id,
                "segment": 0,
                "question": 0,
                "answered": 0,
                "right": 0,
                "started_at": self.ctx.now,
                "updated_at": self.ctx.now,
            },
            ["student_id", "lesson_id"],
        )
        progress = self.session.scalar(
            select(m.LessonProgress).where(
                m.LessonProgress.student_id == student_id, m.LessonProgress.lesson_id == lesson_id
            )
        )
        assert progress is not None, "inserted or found just above"
        return progress
