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
    LessonPosition,
    LessonView,
    ProgressView,
    QuestionView,
    SegmentView,
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

    def practice_round(
        self, student_id: int, limit: int, now: datetime, graded: Sequence[ev.AnswerGraded]
    ) -> list[str]:
        self.asked.append(("practice_round", student_id, [a.question_id for a in graded]))
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
