"""A Catalog over plain dicts that also applies domain events, so flows run with no database,
and a Tutor over it.

It plays the storage part in flow unit tests: the engine is pure, so the test feeds each
turn's events back into this world exactly as storage would.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from yachay.flows import events as ev
from yachay.flows.ports import (
    AdultView,
    ClassMessage,
    ClassView,
    LessonPosition,
    LessonView,
    PinLock,
    ProgressView,
    QuestionView,
    RecordedQuestion,
    SegmentView,
    SkillReport,
    StudentNeedView,
    StudentView,
)


def lesson(
    lesson_id: str, grade: int, segments: int, questions: int
) -> tuple[LessonView, list[QuestionView]]:
    qs = [
        QuestionView(
            id=f"{lesson_id}-q{i}",
            stem={"es": f"Pregunta {lesson_id} {i}"},
            choices=[{"es": f"opción {c}"} for c in range(1, 4)],
            answer=2,
            explanation={"es": f"Porque sí {i}"},
        )
        for i in range(1, questions + 1)
    ]
    view = LessonView(
        id=lesson_id,
        title={"es": f"Lección {lesson_id}"},
        grade=grade,
        segments=[
            SegmentView({"es": f"Parte {j} de {lesson_id}"}, {}) for j in range(1, segments + 1)
        ],
        question_ids=[q.id for q in qs],
    )
    return view, qs


@dataclass
class MemoryWorld:
    students: dict[int, StudentView] = field(default_factory=dict)
    phones: dict[int, str] = field(default_factory=dict)
    lessons: dict[str, LessonView] = field(default_factory=dict)
    questions: dict[str, QuestionView] = field(default_factory=dict)
    progress_rows: dict[tuple[int, str], dict] = field(default_factory=dict)
    answers: list[ev.AnswerGraded] = field(default_factory=list)
    recordings: list[ev.TeacherQuestionRecorded] = field(default_factory=list)
    #: What the tutor would add after a lesson, by lesson id.
    after_lesson: dict[str, list[str]] = field(default_factory=dict)
    #: Parents and teachers: id -> (view, phone, pin).
    adults: dict[int, tuple[AdultView, str, str | None]] = field(default_factory=dict)
    parent_children: dict[int, list[int]] = field(default_factory=dict)
    classes: dict[int, tuple[int, ClassView]] = field(default_factory=dict)
    #: phone -> [failures, locked_until]
    locks: dict[str, list] = field(default_factory=dict)
    questions_asked: dict[int, RecordedQuestion] = field(default_factory=dict)
    question_status: dict[int, str] = field(default_factory=dict)
    minutes: dict[int, int] = field(default_factory=dict)
    consents: set[int] = field(default_factory=set)
    call_times: dict[int, tuple[int, int]] = field(default_factory=dict)
    callbacks: list[tuple[int, int]] = field(default_factory=list)
    class_recordings: list[ev.ClassRecordingMade] = field(default_factory=list)
    dialed: list[int] = field(default_factory=list)
    #: Teachers' recordings for a class: id -> (class id, url, review status), oldest first.
    messages: dict[int, tuple[int, str, str]] = field(default_factory=dict)
    heard: list[ev.ClassRecordingHeard] = field(default_factory=list)
    #: What the tutor says of each child and who needs help.
    reports: dict[int, SkillReport] = field(default_factory=dict)
    needs: list[StudentNeedView] = field(default_factory=list)

    def add_lesson(self, lesson_id: str, grade: int, segments: int = 3, questions: int = 4) -> None:
        view, qs = lesson(lesson_id, grade, segments, questions)
        self.lessons[lesson_id] = view
        self.questions.update({q.id: q for q in qs})

    def add_student(
        self, phone: str, grade: int, language: str = "es", name: str | None = None
    ) -> int:
        sid = len(self.students) + 1
        self.students[sid] = StudentView(sid, language, grade, name)
        self.phones[sid] = phone
        return sid

    def add_adult(
        self,
        role: str,
        phone: str,
        name: str,
        pin: str | None = None,
        children: tuple = (),
        language: str = "es",
    ) -> int:
        uid = 100 + len(self.adults)
        self.adults[uid] = (AdultView(uid, role, name, pin is not None, language), phone, pin)
        self.parent_children[uid] = list(children)
        return uid

    def add_class(self, teacher_id: int, name: str, students: list[int]) -> int:
        cid = len(self.classes) + 1
        self.classes[cid] = (teacher_id, ClassView(cid, name, students))
        return cid

    def add_question(self, student_id: int) -> int:
        qid = len(self.questions_asked) + 1
        self.questions_asked[qid] = RecordedQuestion(
            qid, student_id, f"https://api.twilio.com/rec/RE{qid}"
        )
        self.question_status[qid] = "new"
        return qid

    def add_message(self, class_id: int, status: str = "approved") -> int:
        mid = 500 + len(self.messages)
        self.messages[mid] = (class_id, f"https://api.twilio.com/rec/RM{mid}", status)
        return mid

    # --- Catalog: parents and teachers ---
    def adults_on(self, phone: str) -> list[AdultView]:
        return [view for view, p, _ in self.adults.values() if p == phone]

    def adult(self, user_id: int) -> AdultView:
        return self.adults[user_id][0]

    def pin_matches(self, user_id: int, pin: str) -> bool:
        return self.adults[user_id][2] == pin

    def pin_lock(self, phone: str) -> PinLock:
        failures, until = self.locks.get(phone, [0, None])
        return PinLock(failures, until)

    def children_of(self, parent_id: int) -> list[StudentView]:
        return [self.students[s] for s in self.parent_children.get(parent_id, [])]

    def minutes_this_week(self, student_id: int, now: datetime) -> int:
        return self.minutes.get(student_id, 0)

    def classes_of(self, teacher_id: int) -> list[ClassView]:
        return [c for t, c in self.classes.values() if t == teacher_id]

    def active_this_week(self, student_ids, now: datetime) -> int:  # noqa: ANN001
        return sum(1 for s in student_ids if self.minutes.get(s))

    def callback_requests(self, teacher_id: int) -> list[int]:
        mine = {s for c in self.classes_of(teacher_id) for s in c.student_ids}
        return [s for _, s in self.callbacks if s in mine]

    def next_question(self, teacher_id: int, after: int) -> RecordedQuestion | None:
        mine = {s for c in self.classes_of(teacher_id) for s in c.student_ids}
        for qid, q in sorted(self.questions_asked.items()):
            if qid > after and self.question_status[qid] == "new" and q.student_id in mine:
                return q
        return None

    def phone_of(self, student_id: int) -> str:
        return self.phones[student_id]

    def class_messages(self, student_id: int, limit: int) -> list[ClassMessage]:
        mine = {c.id for _, c in self.classes.values() if student_id in c.student_ids}
        heard = {h.recording_id for h in self.heard if h.student_id == student_id}
        return [
            ClassMessage(mid, url)
            for mid, (cid, url, status) in sorted(self.messages.items(), reverse=True)
            if cid in mine and status == "approved" and mid not in heard
        ][:limit]

    # --- Catalog ---
    def students_on(self, phone: str) -> list[StudentView]:
        return [s for sid, s in self.students.items() if self.phones[sid] == phone]

    def student(self, student_id: int) -> StudentView:
        return self.students[student_id]

    def current_lesson(self, student_id: int) -> LessonPosition | None:
        grade = self.students[student_id].grade
        for lesson_view in sorted(self.lessons.values(), key=lambda v: v.grade):
            if lesson_view.grade < grade:
                continue
            row = self.progress_rows.get((student_id, lesson_view.id))
            if row is None:
                return LessonPosition(lesson_view.id, 0, 0)
            if not row["completed"]:
                return LessonPosition(
                    lesson_view.id, row["segment"], row["question"], row["answered"], row["right"]
                )
        return None

    def lesson(self, lesson_id: str) -> LessonView:
        return self.lessons[lesson_id]

    def question(self, question_id: str) -> QuestionView:
        return self.questions[question_id]

    def progress(self, student_id: int, now: datetime) -> ProgressView:
        mine = [a for a in self.answers if a.student_id == student_id]
        done = sum(
            1 for (s, _), r in self.progress_rows.items() if s == student_id and r["completed"]
        )
        return ProgressView(done, len(mine), sum(a.correct for a in mine))

    # --- what storage does with events ---
    def record(self, events: Sequence[object], state, now: datetime) -> object:  # noqa: ANN001
        for event in events:
            state = self.apply(event, state)
        return state

    def apply(self, event: object, state) -> object:  # noqa: ANN001
        row = None
        if isinstance(event, ev.StudentRegistered):
            sid = self.add_student(event.phone, event.grade, event.language)
            state.student_id = sid
        elif isinstance(event, ev.LanguageChanged):
            self.students[event.student_id] = replace(
                self.students[event.student_id], language=event.language
            )
        elif isinstance(event, ev.AdultLanguageChanged):
            view, phone, pin = self.adults[event.user_id]
            self.adults[event.user_id] = (replace(view, language=event.language), phone, pin)
        elif isinstance(event, ev.LessonPositionReached):
            row = self._row(event.student_id, event.lesson_id)
            row.update(segment=event.segment, question=event.question)
        elif isinstance(event, ev.AnswerGraded):
            self.answers.append(event)
            if event.lesson_id:
                row = self._row(event.student_id, event.lesson_id)
                row["answered"] += 1
                row["right"] += int(event.correct)
        elif isinstance(event, ev.LessonCompleted):
            self._row(event.student_id, event.lesson_id)["completed"] = True
        elif isinstance(event, ev.TeacherQuestionRecorded):
            self.recordings.append(event)
        elif isinstance(event, ev.ConsentGiven):
            self.consents.add(event.student_id)
        elif isinstance(event, ev.PinRejected):
            lock = self.locks.setdefault(event.phone, [0, None])
            lock[0] += 1
            if lock[0] >= 3:
                lock[:] = [0, datetime(2100, 1, 1)]
        elif isinstance(event, ev.PinAccepted):
            self.locks.pop(event.phone, None)
        elif isinstance(event, ev.DailyCallTimeSet):
            for sid in event.student_ids:
                self.call_times[sid] = (event.hour, event.minute)
        elif isinstance(event, ev.CallbackRequested):
            self.callbacks += [(event.parent_id, s) for s in event.student_ids]
        elif isinstance(event, ev.TeacherQuestionAnswered):
            self.question_status[event.question_id] = "answered"
        elif isinstance(event, ev.StudentDialed):
            self.dialed.append(event.question_id)
        elif isinstance(event, ev.ClassRecordingMade):
            self.class_recordings.append(event)
        elif isinstance(event, ev.ClassRecordingHeard):
            self.heard.append(event)
        return state

    def _row(self, student_id: int, lesson_id: str) -> dict:
        return self.progress_rows.setdefault(
            (student_id, lesson_id),
            {"segment": 0, "question": 0, "answered": 0, "right": 0, "completed": False},
        )


@dataclass
class MemoryTutor:
    """A plain stand-in for the tutor over a `MemoryWorld`: wrong answers first, then
    questions not yet answered; the answers it reads are the stored ones and the turn's."""

    world: MemoryWorld
    #: Each call's arguments, as (method, student, graded question ids).
    asked: list[tuple[str, int, list[str]]] = field(default_factory=list)
    #: Each practice round's ``reviews_first``.
    reviews_first: list[bool] = field(default_factory=list)

    def practice_round(
        self,
        student_id: int,
        limit: int,
        now: datetime,
        graded: Sequence[ev.AnswerGraded],
        reviews_first: bool = False,
    ) -> list[str]:
        self.asked.append(("practice_round", student_id, [a.question_id for a in graded]))
        self.reviews_first.append(reviews_first)
        grade = self.world.students[student_id].grade
        candidates = [
            q for v in self.world.lessons.values() if v.grade == grade for q in v.question_ids
        ]
        return self._wrong_then_unseen(student_id, candidates, graded)[:limit]

    def after_lesson(
        self,
        student_id: int,
        lesson_id: str,
        limit: int,
        now: datetime,
        graded: Sequence[ev.AnswerGraded],
    ) -> list[str]:
        self.asked.append(("after_lesson", student_id, [a.question_id for a in graded]))
        candidates = self.world.after_lesson.get(lesson_id, [])
        return self._wrong_then_unseen(student_id, candidates, graded)[:limit]

    def skill_report(self, student_id: int, now: datetime) -> SkillReport:
        return self.world.reports.get(student_id, SkillReport(None, None))

    def needs_help(self, student_ids, now: datetime, limit: int) -> list[StudentNeedView]:  # noqa: ANN001
        return [n for n in self.world.needs if n.student_id in student_ids][:limit]

    def _wrong_then_unseen(
        self, student_id: int, candidates: Sequence[str], graded: Sequence[ev.AnswerGraded]
    ) -> list[str]:
        last: dict[str, bool] = {}
        for a in [*self.world.answers, *graded]:
            if a.student_id == student_id:
                last.pop(a.question_id, None)
                last[a.question_id] = a.correct
        wrong = [q for q, right in last.items() if not right and q in candidates]
        return wrong + [q for q in candidates if q not in last]
