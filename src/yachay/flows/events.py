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
    #: The text names a person (a child's name): its audio must not be findable by anyone
    #: who can guess the text.
    private: bool = False


@dataclass(frozen=True)
class Pause:
    seconds: int = 1


@dataclass(frozen=True)
class PlayRecording:
    """A caller's recording, kept by the phone provider (a student's question, a teacher's
    message for the class)."""

    url: str


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


@dataclass(frozen=True)
class DialNumber:
    """Bridge the caller to another phone; the call comes back here when that one ends.
    The adapter shows the school's number, never the caller's own."""

    number: str
    timeout: int = 30


Output = Speak | Pause | PlayRecording
Wait = GatherKeys | RecordVoice | Hangup | DialNumber

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
class AdultLanguageChanged:
    """A parent or teacher chose the language their calls speak from now on (users.id)."""

    user_id: int
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


@dataclass(frozen=True)
class ConsentGiven:
    """A parent agreed by keypad to keep the child's answers and recordings."""

    student_id: int


@dataclass(frozen=True)
class AdultIdentified:
    """A parent or a teacher is calling (users.id)."""

    user_id: int
    role: str


@dataclass(frozen=True)
class PinRejected:
    """A wrong PIN from this number; storage counts them and locks the number."""

    phone: str
    user_id: int


@dataclass(frozen=True)
class PinAccepted:
    phone: str
    user_id: int


@dataclass(frozen=True)
class DailyCallTimeSet:
    """When the daily lesson call rings these children, in Lima time."""

    parent_id: int
    student_ids: tuple[int, ...]
    hour: int
    minute: int


@dataclass(frozen=True)
class CallbackRequested:
    """A parent asks the teacher of these children to call back."""

    parent_id: int
    student_ids: tuple[int, ...]


@dataclass(frozen=True)
class TeacherQuestionAnswered:
    question_id: int
    teacher_id: int


@dataclass(frozen=True)
class StudentDialed:
    """A teacher is bridged to the student who recorded a question."""

    question_id: int
    teacher_id: int


@dataclass(frozen=True)
class ClassRecordingMade:
    """A teacher's lesson or announcement for a class, to be reviewed before students hear it."""

    teacher_id: int
    class_id: int
    recording_url: str
    recording_sid: str
    duration_seconds: int


@dataclass(frozen=True)
class ClassRecordingHeard:
    """A student heard (or skipped) an approved recording of their class's teacher. Not a
    child's answer: it is kept with or without consent, so the message is not repeated."""

    student_id: int
    recording_id: int
    skipped: bool


DomainEvent = (
    StudentRegistered
    | StudentIdentified
    | LanguageChanged
    | AdultLanguageChanged
    | LessonPositionReached
    | AnswerGraded
    | LessonCompleted
    | TeacherQuestionRecorded
    | ConsentGiven
    | AdultIdentified
    | PinRejected
    | PinAccepted
    | DailyCallTimeSet
    | CallbackRequested
    | TeacherQuestionAnswered
    | StudentDialed
    | ClassRecordingMade
    | ClassRecordingHeard
)
Event = Output | Wait | DomainEvent
