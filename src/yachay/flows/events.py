"""What one stretch of a call produces: what the caller hears, what we wait for, what happened.

The engine returns these; the voice adapter turns the first three kinds into TwiML and the
storage handlers turn the domain events into rows. Nothing here knows either of them.
"""

from __future__ import annotations

from dataclasses import dataclass

# --- what the caller hears -------------------------------------------------------------


@dataclass(frozen=True)
class Speak:
    """A text in one language. `audio` names a recorded file that wins over synthesis."""

    text: str
    language: str
    audio: str | None = None
    #: Read more slowly than usual (stories in listening lessons).
    slow: bool = False


@dataclass(frozen=True)
class Pause:
    seconds: int = 1


# --- how a stretch ends: exactly one of these closes every turn ------------------------


@dataclass(frozen=True)
class GatherKeys:
    """Wait for keypad input. What was said since the previous wait plays while listening."""

    timeout: int
    max_digits: int = 1


@dataclass(frozen=True)
class RecordVoice:
    max_seconds: int
    timeout: int = 5


@dataclass(frozen=True)
class Hangup:
    pass


Output = Speak | Pause
Wait = GatherKeys | RecordVoice | Hangup

# --- what happened (side effects hang off these) ---------------------------------------


@dataclass(frozen=True)
class StudentRegistered:
    phone: str
    language: str
    grade: int


@dataclass(frozen=True)
class StudentIdentified:
    student_id: int


@dataclass(frozen=True)
class LanguageChanged:
    student_id: int
    language: str


@dataclass(frozen=True)
class LessonPositionReached:
    """The student is now at this place of a lesson; a dropped call resumes here."""

    student_id: int
    lesson_id: str
    segment: int
    question: int


@dataclass(frozen=True)
class AnswerGraded:
    student_id: int
    question_id: str
    choice: int
    correct: bool
    #: From when the last choice had been heard to the key (0 when the child answered
    #: before the end); None when unknown.
    response_ms: int | None
    #: The lesson the question was asked in, or None in practice.
    lesson_id: str | None
    #: From when the reply left the server to the key: listening included.
    raw_response_ms: int | None = None


@dataclass(frozen=True)
class LessonCompleted:
    student_id: int
    lesson_id: str


@dataclass(frozen=True)
class TeacherQuestionRecorded:
    student_id: int
    recording_url: str
    recording_sid: str
    duration_seconds: int


DomainEvent = (
    StudentRegistered
    | StudentIdentified
    | LanguageChanged
    | LessonPositionReached
    | AnswerGraded
    | LessonCompleted
    | TeacherQuestionRecorded
)
Event = Output | Wait | DomainEvent
