"""The read-only questions a flow asks about the world, and the shapes of the answers.

Storage implements `Catalog` over the database; flow unit tests implement it over plain
dictionaries. Writes never go through here: they are domain events.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

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


class Catalog(Protocol):
    def students_on(self, phone: str) -> Sequence[StudentView]: ...

    def student(self, student_id: int) -> StudentView: ...

    def current_lesson(self, student_id: int) -> LessonPosition | None:
        """Where 'continue my lesson' starts: the unfinished lesson, or the next one."""
        ...

    def lesson(self, lesson_id: str) -> LessonView: ...

    def question(self, question_id: str) -> QuestionView: ...

    def practice_questions(self, student_id: int, limit: int, now: datetime) -> Sequence[str]:
        """A practice round, as the tutor chooses it."""
        ...

    def questions_after_lesson(
        self, student_id: int, lesson_id: str, limit: int, now: datetime
    ) -> Sequence[str]:
        """A few practice questions on what a lesson just taught (may be none)."""
        ...

    def progress(self, student_id: int, now: datetime) -> ProgressView: ...
