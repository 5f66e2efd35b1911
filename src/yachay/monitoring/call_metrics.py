"""Call and learning metrics, from the domain events of stored turns and status callbacks.

`CallService.listeners` hands over each event of a turn once the turn is committed. In a
request they are kept until the reply is ready, then counted with what the request says of
the caller's input (the lookups they need, a question's skill or a lesson's length, read
the database on their own). Outside a request (a script) they are counted at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from typing import TYPE_CHECKING, Any

from yachay.db import models as m
from yachay.db.database import Database
from yachay.flows import events as ev
from yachay.monitoring import metrics

if TYPE_CHECKING:  # monitoring sits below calls.py: it is handed the service, never imports it
    from yachay.calls import CallService, StatusUpdate
    from yachay.content.prompts import Prompts

log = logging.getLogger(__name__)

#: Nodes of a lesson, and the part of it each is (for where callers hang up).
LESSON_PARTS = {"segment": "segment", "story_again": "story_again", "question": "question"}
#: Twilio's statuses of a call that is over.
FINAL_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
#: A call whose state rests here ended because Yachay said goodbye.
GOODBYE_NODES = frozenset({"goodbye"})


def direction_label(direction: str) -> str:
    """Twilio's Direction (inbound, outbound-api, outbound-dial) as inbound or outbound."""
    return "outbound" if direction.startswith("outbound") else "inbound"


@dataclass(frozen=True)
class QuestionLabels:
    skill: str
    grade: str


class ContentLabels:
    """Labels read from the content tables, cached: they change only with a content import,
    and then by adding rows (ids are never reused for other content)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._questions: dict[str, QuestionLabels] = {}
        self._segments: dict[str, int] = {}
        self._lesson_grades: dict[str, str] = {}

    def question(self, question_id: str) -> QuestionLabels:
        if question_id not in self._questions:
            with self.db.read_session() as session:
                row = session.get(m.Question, question_id)
                if row is None:
                    return QuestionLabels("unknown", "unknown")
                skill = str(row.skills[0]) if row.skills else "none"
                self._questions[question_id] = QuestionLabels(skill, str(row.grade))
        return self._questions[question_id]

    def segment_count(self, lesson_id: str) -> int:
        self._load_lesson(lesson_id)
        return self._segments.get(lesson_id, 0)

    def lesson_grade(self, lesson_id: str) -> str:
        self._load_lesson(lesson_id)
        return self._lesson_grades.get(lesson_id, "unknown")

    def _load_lesson(self, lesson_id: str) -> None:
        if lesson_id in self._segments:
            return
        with self.db.read_session() as session:
            row = session.get(m.Lesson, lesson_id)
            if row is not None:
                self._segments[lesson_id] = len(row.segments)
                self._lesson_grades[lesson_id] = str(row.grade)


@dataclass(frozen=True)
class TurnInput:
    """What the request that produced a turn tells about it."""

    call_sid: str
    first: bool
    #: The caller pressed no key (silence); None when the turn answers no keypad wait (the
    #: first turn, a recording).
    empty: bool | None
    direction: str = "inbound"


class CallMetrics:
    """Turns a stored turn's events, and the end of a call, into the call and learning
    metrics; `yachay.monitoring.web` hands it both."""

    def __init__(self, calls: CallService, prompts: Prompts) -> None:
        self.calls = calls
        self.labels = ContentLabels(calls.db)
        # The flows tell the caller "that key means nothing here" and "I heard no key" with
        # these prompts and emit no event of their own for either (an InputRejected event
        # would make this exact).
        self._invalid_key = {prompts.text("invalid_key", code) for code in prompts.languages}
        self._no_input = {prompts.text("no_input", code) for code in prompts.languages}

    # -- a turn -------------------------------------------------------------------------

    def count_turn(self, events: Iterable[object], turn: TurnInput | None) -> None:
        events = list(events)
        if turn is not None:
            self._count_input(events, turn)
        for event in events:
            self._count_event(event)

    def _count_input(self, events: list[object], turn: TurnInput) -> None:
        if turn.first:
            identified = any(isinstance(e, ev.StudentIdentified) for e in events)
            role, language = "unknown", "unknown"
            if identified:
                role, language = "student", self._language(turn.call_sid)
            metrics.calls_started.labels(
                direction=turn.direction, role=role, language=language
            ).inc()
            return
        if turn.empty is None:
            return  # a recording, not a key
        said = {e.text for e in events if isinstance(e, ev.Speak)}
        if turn.empty:
            # Silence lets a lesson segment go on: only a prompt asked again counts.
            if said & self._no_input:
                metrics.keypad_inputs.labels(outcome="empty").inc()
            return
        invalid = bool(said & self._invalid_key)
        metrics.keypad_inputs.labels(outcome="invalid" if invalid else "accepted").inc()

    def _count_event(self, event: object) -> None:
        if isinstance(event, ev.LessonPositionReached):
            # A question's position carries the segment count and the question's index.
            if event.segment < self.labels.segment_count(event.lesson_id):
                metrics.lesson_segments_heard.labels(
                    lesson=event.lesson_id, segment=str(event.segment + 1)
                ).inc()
        elif isinstance(event, ev.LessonCompleted):
            metrics.lessons_completed.labels(
                lesson=event.lesson_id, grade=self.labels.lesson_grade(event.lesson_id)
            ).inc()
        elif isinstance(event, ev.AnswerGraded):
            labels = self.labels.question(event.question_id)
            metrics.answers.labels(
                skill=labels.skill,
                grade=labels.grade,
                mode="lesson" if event.lesson_id else "practice",
                correct=str(event.correct).lower(),
            ).inc()
            if event.response_ms is not None:
                metrics.answer_response_seconds.observe(event.response_ms / 1000)

    def _language(self, call_sid: str) -> str:
        # A read session: on SQLite it takes no write lock, so it never queues behind a turn.
        with self.calls.db.read_session() as session:
            row = session.get(m.Call, call_sid)
            return str((row.state or {}).get("language", "es")) if row is not None else "es"

    # -- the end of a call ----------------------------------------------------------------

    def wrap_status(self) -> None:
        """Count each call's end once: `CallService.status` says which callbacks are new.

        (A `CallEnded` event through the listeners would make this wrapper unnecessary.)
        """
        record: Callable[[StatusUpdate, datetime], bool] = self.calls.status

        @wraps(record)
        def status(update: StatusUpdate, now: datetime) -> bool:
            fresh = record(update, now)
            if fresh and update.status in FINAL_STATUSES:
                try:
                    self.count_end(update)
                except Exception:  # a metric must never fail a webhook
                    log.exception("counting the end of a call failed")
            return fresh

        self.calls.status = status  # type: ignore[method-assign]

    def count_end(self, update: StatusUpdate) -> None:
        with self.calls.db.read_session() as session:
            row = session.get(m.Call, update.call_sid)
            state: dict[str, Any] = dict(row.state or {}) if row is not None else {}
            identified = row is not None and row.student_id is not None
            direction = direction_label(row.direction if row is not None else update.direction)
        role = "student" if identified else "unknown"
        language = str(state.get("language", "es")) if identified else "unknown"
        node = str(state.get("node", ""))
        if update.status != "completed":
            outcome = "unanswered"
        elif node in GOODBYE_NODES:
            outcome = "completed"
        else:
            outcome = "dropped"
        metrics.calls_ended.labels(
            direction=direction, role=role, language=language, outcome=outcome
        ).inc()
        if update.status == "completed" and update.duration_seconds is not None:
            metrics.call_duration_seconds.labels(direction=direction, role=role).observe(
                update.duration_seconds
            )
        if outcome == "dropped":
            self._count_lesson_hangup(node, state.get("vars") or {})

    def _count_lesson_hangup(self, node: str, values: dict[str, Any]) -> None:
        part = LESSON_PARTS.get(node)
        lesson = values.get("lesson")
        if part is None or not lesson:
            return  # not inside a lesson (menus, practice)
        position = int(values.get("index", 0)) + 1 if part != "story_again" else 1
        metrics.lesson_hangups.labels(lesson=str(lesson), part=part, position=str(position)).inc()
