"""The flows' read-only view of the world (flows.ports.Catalog), over the database."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yachay.calls.adult_catalog import AdultCatalog
from yachay.calls.weeks import LIMA_OFFSET, week_start
from yachay.db import models as m
from yachay.db.answers import count_since
from yachay.flows.ports import (
    LessonPosition,
    LessonView,
    ProgressView,
    QuestionView,
    SegmentView,
    StudentView,
)

__all__ = ["LIMA_OFFSET", "SqlCatalog", "UnknownRecord", "teaching_order", "week_start"]


class UnknownRecord(LookupError):
    pass


def teaching_order(lessons: Sequence[m.Lesson]) -> list[m.Lesson]:
    """Grade by grade; within a grade the packs (subjects) are interleaved evenly.

    Each lesson sits at the middle of its share of its pack's grade, so a grade with ten
    mathematics lessons and three stories goes: math, math, story, math, math, math, story…
    """
    by_pack: dict[tuple[int, str], list[m.Lesson]] = {}
    for lesson in sorted(lessons, key=lambda x: x.position):
        by_pack.setdefault((lesson.grade, lesson.pack_id), []).append(lesson)
    keyed = [
        ((grade, (i + 0.5) / len(group), pack_id), lesson)
        for (grade, pack_id), group in by_pack.items()
        for i, lesson in enumerate(group)
    ]
    return [lesson for _, lesson in sorted(keyed, key=lambda pair: pair[0])]


def _student_view(student: m.Student) -> StudentView:
    return StudentView(
        id=student.id, language=student.language, grade=student.grade, name=student.name
    )


class SqlCatalog(AdultCatalog):
    """Built per turn with the turn's session; ``_lessons`` memoises lessons for that turn
    only (a turn asks for the same lesson at each node it passes)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._lessons: dict[str, LessonView] = {}

    def students_on(self, phone: str) -> Sequence[StudentView]:
        rows = self.session.scalars(
            select(m.Student).where(m.Student.phone == phone).order_by(m.Student.id)
        )
        return [_student_view(s) for s in rows]

    def student(self, student_id: int) -> StudentView:
        student = self.session.get(m.Student, student_id)
        if student is None:
            raise UnknownRecord(f"no student {student_id}")
        return _student_view(student)

    def current_lesson(self, student_id: int) -> LessonPosition | None:
        student = self.session.get(m.Student, student_id)
        if student is None:
            raise UnknownRecord(f"no student {student_id}")
        progress = {
            p.lesson_id: p
            for p in self.session.scalars(
                select(m.LessonProgress).where(m.LessonProgress.student_id == student_id)
            )
        }
        # The student's own grade first, then the grades above; never below.
        lessons = self.session.scalars(
            select(m.Lesson).where(m.Lesson.retired.is_(False), m.Lesson.grade >= student.grade)
        ).all()
        for lesson in teaching_order(lessons):
            p = progress.get(lesson.id)
            if p is None:
                return LessonPosition(lesson.id, 0, 0)
            if p.completed_at is None:
                return LessonPosition(lesson.id, p.segment, p.question, p.answered, p.right)
        return None

    def lesson(self, lesson_id: str) -> LessonView:
        if lesson_id not in self._lessons:
            lesson = self.session.get(m.Lesson, lesson_id)
            if lesson is None:
                raise UnknownRecord(f"no lesson {lesson_id!r}")
            # The lesson asks its hand-written questions; generated template items are for
            # practice only.
            question_ids = self.session.scalars(
                select(m.Question.id)
                .where(
                    m.Question.lesson_id == lesson_id,
                    m.Question.retired.is_(False),
                    m.Question.template_id.is_(None),
                )
                .order_by(m.Question.position)
            ).all()
            self._lessons[lesson_id] = LessonView(
                id=lesson.id,
                title=lesson.title,
                grade=lesson.grade,
                segments=[SegmentView(s["text"], s.get("audio") or {}) for s in lesson.segments],
                question_ids=list(question_ids),
                kind=lesson.kind,
            )
        return self._lessons[lesson_id]

    def question(self, question_id: str) -> QuestionView:
        q = self.session.get(m.Question, question_id)
        if q is None:
            raise UnknownRecord(f"no question {question_id!r}")
        return QuestionView(
            id=q.id, stem=q.stem, choices=q.choices, answer=q.answer, explanation=q.explanation
        )

    def progress(self, student_id: int, now: datetime) -> ProgressView:
        completed = self.session.scalar(
            select(func.count())
            .select_from(m.LessonProgress)
            .where(
                m.LessonProgress.student_id == student_id,
                m.LessonProgress.completed_at.is_not(None),
            )
        )
        answered, right = count_since(self.session, student_id, week_start(now))
        profile, without_areas = self._profile(student_id)
        return ProgressView(
            lessons_completed=completed or 0,
            answered_this_week=answered,
            right_this_week=right,
            profile=profile,
            profile_without_areas=without_areas,
        )

    def _profile(self, student_id: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The profile's sentences, with and without the strongest and weakest areas."""
        from yachay.tutor.bank import question_bank
        from yachay.tutor.decisions import answer_history
        from yachay.tutor.profile import MIN_ANSWERS, describe, learner_profile

        history = answer_history(self.session, student_id)
        if len(history) < MIN_ANSWERS:
            return (), ()  # nothing to say yet: the summary is enough
        catalog = question_bank(self.session).catalog
        profile = learner_profile(history, catalog)
        return (
            tuple(describe(profile, catalog)),
            tuple(describe(profile, catalog, areas=False)),
        )
