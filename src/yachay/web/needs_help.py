"""A class's needs-help list: the tutor's needs-a-tutor ranking (`yachay.tutor.needs_tutor`)
over the class's students only, with its reasons in the teacher's words. Computed when the
page is opened, reading only this class's answers and calls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, current_app, render_template
from sqlalchemy import select
from sqlalchemy.orm import Session

from yachay.db import models as m
from yachay.db import people as p
from yachay.db.answers import answers_of_students
from yachay.tutor.bank import question_bank
from yachay.tutor.decisions import answer_events
from yachay.tutor.domain import Predictor
from yachay.tutor.needs_tutor import (
    NeedsTutor,
    NeedsTutorConfig,
    StudentActivity,
    rank_students,
)
from yachay.tutor.reports import calls_by_student
from yachay.web.auth import reading, roles
from yachay.web.scope import class_or_404

bp = Blueprint("console_needs", __name__)


def class_needs(
    session: Session, predictor: Predictor, student_ids: list[int], now: datetime
) -> list[NeedsTutor]:
    config = NeedsTutorConfig()
    answers = answers_of_students(session, student_ids)
    calls = calls_by_student(session, now - timedelta(days=config.calls_window_days), student_ids)
    activity = [
        StudentActivity(sid, answer_events(answers[sid]), calls.get(sid, ())) for sid in student_ids
    ]
    return rank_students(activity, question_bank(session).catalog, predictor, now, config)


@bp.get("/classes/<int:class_id>/needs-help")
@roles("teacher", "admin")
def needs_help(class_id: int) -> Any:
    tutor = current_app.extensions["yachay.tutor"]
    with reading() as session:
        school_class = class_or_404(session, class_id)
        students = {
            s.id: s
            for s in session.scalars(
                select(m.Student)
                .join(p.ClassStudent, p.ClassStudent.student_id == m.Student.id)
                .where(p.ClassStudent.class_id == class_id)
            )
        }
        bank = question_bank(session)
        # the skill filter's priors depend on the grade: a class has one (else none is used)
        grades = {s.grade for s in students.values()}
        predictor = tutor.predictor(
            bank.info, bank.catalog, grades.pop() if len(grades) == 1 else None
        )
        ranked = class_needs(session, predictor, list(students), datetime.now(UTC))
    return render_template(
        "console/needs_help.html", school_class=school_class, ranked=ranked, students=students
    )
