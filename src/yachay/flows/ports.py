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
    #: The same less the strongest and weakest areas, for a parent's call (which names them
    #: from the tutor's skill report).
    profile_without_areas: tuple[str, ...] = ()


@dataclass(frozen=True)
class AdultView:
    """A parent or a teacher (a console user with a phone)."""

    id: int
    role: str
    name: str
    has_pin: bool
    #: The language their calls speak ("es", "qu", "ay").
    language: str = "es"


@dataclass(frozen=True)
class PinLock:
    """Wrong PINs from a number in a row, and until when it may not try again."""

    failures: int
    locked_until: datetime | None = None


@dataclass(frozen=True)
class ClassView:
    id: int
    name: str
    student_ids: Sequence[int]


@dataclass(frozen=True)
class RecordedQuestion:
    """A question a student recorded for their teacher, not answered yet."""

    id: int
    student_id: int
    recording_url: str


@dataclass(frozen=True)
class ClassMessage:
    """A lesson or announcement a teacher recorded for a student's class, approved."""

    id: int
    recording_url: str


@dataclass(frozen=True)
class SkillReport:
    """A child's strongest and weakest skills (names per language); None where the child
    has not practised enough to say."""

    strongest: Texts | None
    weakest: Texts | None


@dataclass(frozen=True)
class NeedReason:
    #: "stuck", "falling" or "dropped_calls" (`yachay.tutor.needs_tutor`).
    kind: str
    skill: Texts | None = None


@dataclass(frozen=True)
class StudentNeedView:
    student_id: int
    reasons: Sequence[NeedReason]


class Catalog(Protocol):
    def students_on(self, phone: str) -> Sequence[StudentView]: ...

    def adults_on(self, phone: str) -> Sequence[AdultView]:
        """Active parents and teachers registered with this number."""
        ...

    def adult(self, user_id: int) -> AdultView: ...

    def pin_matches(self, user_id: int, pin: str) -> bool: ...

    def pin_lock(self, phone: str) -> PinLock: ...

    def children_of(self, parent_id: int) -> Sequence[StudentView]: ...

    def minutes_this_week(self, student_id: int, now: datetime) -> int: ...

    def classes_of(self, teacher_id: int) -> Sequence[ClassView]: ...

    def active_this_week(self, student_ids: Sequence[int], now: datetime) -> int:
        """How many of these students called this week."""
        ...

    def callback_requests(self, teacher_id: int) -> Sequence[int]:
        """Students whose family asked this teacher to call back, oldest request first."""
        ...

    def next_question(self, teacher_id: int, after: int) -> RecordedQuestion | None:
        """The oldest unanswered question of the teacher's students with an id over `after`."""
        ...

    def phone_of(self, student_id: int) -> str: ...

    def class_messages(self, student_id: int, limit: int) -> Sequence[ClassMessage]:
        """The newest approved recordings of the student's classes that the student has not
        heard yet, newest first, at most `limit`."""
        ...

    def student(self, student_id: int) -> StudentView: ...

    def current_lesson(self, student_id: int) -> LessonPosition | None:
        """Where 'continue my lesson' starts: the unfinished lesson, or the next one."""
        ...

    def lesson(self, lesson_id: str) -> LessonView: ...

    def question(self, question_id: str) -> QuestionView: ...

    def progress(self, student_id: int, now: datetime) -> ProgressView: ...


class Tutor(Protocol):
    """Which questions to ask next, and what the tutor knows of a child for the adults.
    ``graded`` is the answers graded earlier in this turn, not stored yet: a choice made in
    the turn that graded an answer must see it."""

    def practice_round(
        self,
        student_id: int,
        limit: int,
        now: datetime,
        graded: Sequence[AnswerGraded],
        reviews_first: bool = False,
    ) -> Sequence[str]:
        """A practice round: questions that stand on their own (no story needed).
        ``reviews_first``: a call placed for the child's due reviews asks every due review
        before anything new (otherwise one a round)."""
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

    def skill_report(self, student_id: int, now: datetime) -> SkillReport:
        """Strongest and weakest skills the child practised, from the tutor's mastery."""
        ...

    def needs_help(
        self, student_ids: Sequence[int], now: datetime, limit: int
    ) -> Sequence[StudentNeedView]:
        """The tutor's needs-a-tutor ranking over these students, highest need first."""
        ...
