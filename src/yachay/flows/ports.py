"""What a flow asks of the world, and the shapes of the answers.

`Catalog`: the read-only questions about students, lessons and questions. `Tutor`: which
questions to ask next. Storage and the tutor implement them over the database; flow unit
tests implement them over plain dictionaries. Writes never go through here: they are
domain events.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from yachay.flows.events import AnswerGraded

#: A text in several languages, language code -> text.
Texts = Mapping[str, str]


@dataclass(frozen=True)
class StudentView:
    id: int
    language: str
    grade: int
    name: str | None = None


@dataclass(frozen=True)
class SegmentView:
    text: Texts
    #: Recorded audio per language (a path inside the content folder).
    audio: Mapping[str, str]


@dataclass(frozen=True)
class LessonView:
    id: str
    title: Texts
    grade: int
    segments: Sequence[SegmentView]
    question_ids: Sequence[str]
    #: "lesson", or "listening": a story, offered again before its questions.
    kind: str = "lesson"


@dataclass(frozen=True)
class QuestionView:
    id: str
    stem: Texts
    choices: Sequence[Texts]
    #: 1-based number of the right choice.
    answer: int
    explanation: Texts


@dataclass(frozen=True)
class LessonPosition:
    lesson_id: str
    segment: int
    question: int
    answered: int = 0
    right: int = 0


@dataclass(frozen=True)
class ProgressView:
    lessons_completed: int
    answered_this_week: int
    right_this_week: int
    #: How the child learns, in a few Spanish sentences (`yachay.tutor.profile`).
    profile: tuple[str, ...] = ()


class Catalog(Protocol):
    def students_on(self, phone: str) -> Sequence[StudentView]: ...

    def student(self, student_id: int) -> StudentView: ...

    def current_lesson(self, student_id: int) -> LessonPosition | None:
        """Where 'continue my lesson' starts: the unfinished lesson, or the next one."""
        ...

    def lesson(self, lesson_id: str) -> LessonView: ...

    def question(self, question_id: str) -> QuestionView: ...

    def progress(self, student_id: int, now: datetime) -> ProgressView: ...


class Tutor(Protocol):
    """Which questions to ask next. ``graded`` is the answers graded earlier in this turn,
    not stored yet: a choice made in the turn that graded an answer must see it."""

    def practice_round(
        self, student_id: int, limit: int, now: datetime, graded: Sequence[AnswerGraded]
    ) -> Sequence[str]:
        """A practice round: questions that stand on their own (no story needed)."""
        ...

    def after_lesson(
        self,
        student_id: int,
        lesson_id: str,
        limit: int,
        now: datetime,
        graded: Sequence[AnswerGraded],
    ) -> Sequence[str]:
        """A few practice questions on what a lesson just taught (may be none)."""
        ...
