"""The flows' world on a real database: the real `SqlCatalog` reads it and the real
`EventRecorder` writes each turn's events, as `CallService` does.

It offers the same surface as `MemoryWorld`, so every flow test also runs against storage
itself: a recorder that drifts from the hand-written memory copy fails them.
Lesson and question texts stay in memory too, because tests edit them in place (a
translation, a listening lesson); the rows exist for what storage needs of them.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from yachay.calls.recorder import EventRecorder, TurnContext
from yachay.calls.sql_catalog import SqlCatalog
from yachay.db import migrate
from yachay.db import models as m
from yachay.db.database import Database
from yachay.flows import events as ev
from yachay.flows.ports import LessonPosition, LessonView, ProgressView, QuestionView, StudentView
from yachay.flows.state import CallState

from .memory import lesson

PACK = "flows-test"


def migrated_template(folder: Path) -> Path:
    """An empty database at the head revision, to copy for each test (migrating is slow)."""
    path = folder / "template.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


class SqlWorld:
    def __init__(self, template: Path, folder: Path) -> None:
        path = folder / "flows.db"
        shutil.copy(template, path)
        self.db = Database(f"sqlite:///{path}")
        self.lessons: dict[str, LessonView] = {}
        self.questions: dict[str, QuestionView] = {}
        self.after_lesson: dict[str, list[str]] = {}
        self._steps: dict[str, int] = {}
        with self.db.session() as session:
            session.add(
                m.ContentPack(id=PACK, title={"es": "Prueba"}, languages=["es"], fingerprint="-")
            )

    def close(self) -> None:
        self.db.dispose()

    # --- set-up, as MemoryWorld ---
    def add_lesson(self, lesson_id: str, grade: int, segments: int = 3, questions: int = 4) -> None:
        view, qs = lesson(lesson_id, grade, segments, questions)
        self.lessons[lesson_id] = view
        self.questions.update({q.id: q for q in qs})
        with self.db.session() as session:
            session.add(
                m.Lesson(
                    id=lesson_id,
                    pack_id=PACK,
                    unit_id="u",
                    position=len(self.lessons),
                    grade=grade,
                    title=dict(view.title),
                    skills=[],
                    segments=[{"text": dict(s.text)} for s in view.segments],
                    languages=["es"],
                )
            )
            session.flush()
            for position, q in enumerate(qs):
                session.add(
                    m.Question(
                        id=q.id,
                        lesson_id=lesson_id,
                        position=position,
                        stem=dict(q.stem),
                        choices=list(q.choices),
                        answer=q.answer,
                        explanation=dict(q.explanation),
                        skills=[],
                        difficulty=1,
                        grade=grade,
                    )
                )

    def add_student(
        self, phone: str, grade: int, language: str = "es", name: str | None = None
    ) -> int:
        with self.db.session() as session:
            student = m.Student(phone=phone, grade=grade, language=language, name=name)
            session.add(student)
            session.flush()
            return student.id

    # --- what tests read back, from the rows ---
    @property
    def students(self) -> dict[int, StudentView]:
        with self.db.read_session() as session:
            rows = session.scalars(select(m.Student).order_by(m.Student.id))
            return {s.id: StudentView(s.id, s.language, s.grade, s.name) for s in rows}

    @property
    def progress_rows(self) -> dict[tuple[int, str], dict]:
        with self.db.read_session() as session:
            return {
                (p.student_id, p.lesson_id): {
                    "segment": p.segment,
                    "question": p.question,
                    "answered": p.answered,
                    "right": p.right,
                    "completed": p.completed_at is not None,
                }
                for p in session.scalars(select(m.LessonProgress))
            }

    @property
    def answers(self) -> list[ev.AnswerGraded]:
        with self.db.read_session() as session:
            return [
                ev.AnswerGraded(
                    a.student_id, a.question_id, a.choice, a.correct, a.response_ms, a.lesson_id
                )
                for a in session.scalars(select(m.Answer).order_by(m.Answer.id))
            ]

    @property
    def recordings(self) -> list[ev.TeacherQuestionRecorded]:
        with self.db.read_session() as session:
            return [
                ev.TeacherQuestionRecorded(
                    q.student_id, q.recording_url, q.recording_sid, q.duration_seconds
                )
                for q in session.scalars(select(m.TeacherQuestion).order_by(m.TeacherQuestion.id))
            ]

    @property
    def consents(self) -> set[int]:
        """Students whose parent consented, as stored."""
        from yachay.db import people as p

        with self.db.read_session() as session:
            given = select(p.Consent.student_id).where(p.Consent.withdrawn_at.is_(None))
            return set(session.scalars(given))

    # --- Catalog: the real one, except for texts tests edit in memory ---
    def students_on(self, phone: str) -> list[StudentView]:
        with self.db.read_session() as session:
            return list(SqlCatalog(session).students_on(phone))

    def student(self, student_id: int) -> StudentView:
        with self.db.read_session() as session:
            return SqlCatalog(session).student(student_id)

    def current_lesson(self, student_id: int) -> LessonPosition | None:
        with self.db.read_session() as session:
            return SqlCatalog(session).current_lesson(student_id)

    def lesson(self, lesson_id: str) -> LessonView:
        with self.db.read_session() as session:
            stored = SqlCatalog(session).lesson(lesson_id)
        edited = self.lessons[lesson_id]
        assert stored.question_ids == edited.question_ids, "tests edit texts, never questions"
        return replace(stored, title=edited.title, segments=edited.segments, kind=edited.kind)

    def question(self, question_id: str) -> QuestionView:
        return self.questions[question_id]

    def progress(self, student_id: int, now: datetime) -> ProgressView:
        with self.db.read_session() as session:
            return SqlCatalog(session).progress(student_id, now)

    def __getattr__(self, name: str):  # noqa: ANN204
        """Every other question of the catalog (adults on the phone, a class's messages...),
        asked of the real one in a session of its own."""
        if name.startswith("_") or not callable(getattr(SqlCatalog, name, None)):
            raise AttributeError(name)

        def ask(*args: object, **kwargs: object) -> object:
            with self.db.read_session() as session:
                return getattr(SqlCatalog(session), name)(*args, **kwargs)

        return ask

    # --- storage: the real recorder, one transaction per turn as CallService runs it ---
    def record(self, events: list[object], state: CallState, now: datetime) -> CallState:
        step = self._steps.get(state.call_sid, 0)
        self._steps[state.call_sid] = step + 1
        with self.db.session() as session:
            if session.get(m.Call, state.call_sid) is None:
                session.add(m.Call(sid=state.call_sid, phone=state.phone, started_at=now))
                session.flush()
            recorder = EventRecorder(session, TurnContext(state.call_sid, step, now))
            return recorder.record(events, state)
