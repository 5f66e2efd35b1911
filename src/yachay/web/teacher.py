"""A teacher's pages (an administrator sees them for every class): the classes, a class's
roster with its forms, a student's record, the queue of recorded questions, the export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

import yachay.web.charts as charts
import yachay.web.progress as progress
import yachay.web.roster as roster
from yachay.db import models as m
from yachay.db import people as p
from yachay.db.consent import current_consent
from yachay.db.phone_roles import CallbackRequest, ClassRecording
from yachay.web.accounts import E164
from yachay.web.auth import database, reading, roles
from yachay.web.scope import (
    class_of,
    class_or_404,
    log_access,
    question_or_404,
    student_or_404,
    visible_classes,
)

bp = Blueprint("console_teacher", __name__)
TEACHING = ("teacher", "admin")
#: Peru keeps UTC-5 all year.
LIMA = timedelta(hours=-5)


def lima_today() -> Any:
    return (datetime.now(UTC) + LIMA).date()


@bp.get("/")
@roles("admin", "teacher", "creator")
def home() -> Any:
    if current_user.role == "creator":
        return redirect(url_for("console_content.packs"))
    with reading() as session:
        classes = visible_classes(session)
        ids = [c.id for c in classes]
        students = dict(
            session.execute(
                select(p.ClassStudent.class_id, func.count())
                .where(p.ClassStudent.class_id.in_(ids))
                .group_by(p.ClassStudent.class_id)
            ).all()
        )
        waiting = dict(
            session.execute(
                select(p.ClassStudent.class_id, func.count())
                .join(m.TeacherQuestion, m.TeacherQuestion.student_id == p.ClassStudent.student_id)
                .where(p.ClassStudent.class_id.in_(ids), m.TeacherQuestion.status == "new")
                .group_by(p.ClassStudent.class_id)
            ).all()
        )
        schools = {s.id: s.name for s in session.scalars(select(p.School))}
        callbacks = dict(
            session.execute(
                select(p.ClassStudent.class_id, func.count())
                .join(CallbackRequest, CallbackRequest.student_id == p.ClassStudent.student_id)
                .where(p.ClassStudent.class_id.in_(ids), CallbackRequest.status == "new")
                .group_by(p.ClassStudent.class_id)
            ).all()
        )
        recordings = dict(
            session.execute(
                select(ClassRecording.class_id, func.count())
                .where(ClassRecording.class_id.in_(ids), ClassRecording.status == "pending")
                .group_by(ClassRecording.class_id)
            ).all()
        )
    return render_template(
        "console/home.html",
        classes=classes,
        students=students,
        waiting=waiting,
        schools=schools,
        callbacks=callbacks,
        recordings=recordings,
    )


def _roster(session: Any, class_id: int) -> list[tuple[m.Student, list[p.User]]]:
    students = list(
        session.scalars(
            select(m.Student)
            .join(p.ClassStudent, p.ClassStudent.student_id == m.Student.id)
            .where(p.ClassStudent.class_id == class_id)
            .order_by(m.Student.name, m.Student.id)
        )
    )
    parents: dict[int, list[p.User]] = {}
    for link, user in session.execute(
        select(p.ParentChild, p.User)
        .join(p.User, p.User.id == p.ParentChild.parent_id)
        .where(p.ParentChild.student_id.in_([s.id for s in students]))
    ):
        parents.setdefault(link.student_id, []).append(user)
    return [(s, parents.get(s.id, [])) for s in students]


@bp.get("/classes/<int:class_id>")
@roles(*TEACHING)
def roster_page(class_id: int) -> Any:
    with reading() as session:
        school_class = class_or_404(session, class_id)
        rows = _roster(session, class_id)
    return render_template(
        "console/roster.html",
        school_class=school_class,
        rows=rows,
        columns=roster.COLUMNS,
        language_names=roster.LANGUAGE_NAMES,
    )


@bp.post("/classes/<int:class_id>/students")
@roles(*TEACHING)
def add_student(class_id: int) -> Any:
    row, problems = roster.check_row(request.form)
    with database().session() as session:
        class_or_404(session, class_id)
        if row is not None:
            try:
                roster.add_rows(session, class_id, [row])
            except roster.RosterError as exc:
                problems = exc.messages
    for problem in problems:
        flash(problem, "error")
    if not problems:
        flash(_("Alumno agregado: %(name)s", name=row.name if row else ""), "ok")
    return redirect(url_for(".roster_page", class_id=class_id))


@bp.post("/classes/<int:class_id>/parents")
@roles(*TEACHING)
def add_parent(class_id: int) -> Any:
    """A parent (or guardian) for a student of the class; a number already registered as a
    parent gets this child too."""
    student_id = request.form.get("student_id", "")
    name = " ".join(request.form.get("nombre", "").split())
    phone = roster.peru_number(request.form.get("telefono", ""))
    language = request.form.get("idioma", "").strip().lower() or None
    problems: list[str] = []
    with database().session() as session:
        class_or_404(session, class_id)
        student = None
        if student_id.isdigit():
            student = student_or_404(session, int(student_id))
            if class_of(session, student.id) != class_id:
                abort(404)
        else:
            problems.append("elige un alumno")
        if not name or len(name) > 80:
            problems.append("el nombre del apoderado debe tener de 1 a 80 caracteres")
        if not E164.match(phone):
            problems.append(f"el teléfono «{phone}» no es un número como +51987654321")
        if language is not None and language not in roster.LANGUAGES:
            problems.append(f"el idioma «{language}» no es uno de: {', '.join(roster.LANGUAGES)}")
        if student is not None and not problems:
            row = roster.RosterRow(
                name,
                phone,
                1,
                student.language,
                parent_name=name,
                parent_phone=phone,
                parent_language=language,
            )
            parent = roster.parent_for(session, row)
            if session.get(p.ParentChild, (parent.id, student.id)) is None:
                session.add(p.ParentChild(parent_id=parent.id, student_id=student.id))
    for problem in problems:
        flash(problem, "error")
    if not problems and student is not None:
        flash(_("Apoderado agregado para %(name)s", name=student.name or student.id), "ok")
    return redirect(url_for(".roster_page", class_id=class_id, abrir="apoderado"))


@bp.post("/classes/<int:class_id>/roster")
@roles(*TEACHING)
def upload_roster(class_id: int) -> Any:
    upload = request.files.get("archivo")
    with database().session() as session:
        class_or_404(session, class_id)
        try:
            if upload is None or not upload.filename:
                raise roster.RosterError(["elige un archivo CSV"])
            rows = roster.read_csv(upload.read())
            roster.add_rows(session, class_id, rows)
        except roster.RosterError as exc:
            session.rollback()
            flash(
                _("No se guardó nada del archivo. Corrige estas filas y súbelo otra vez:"), "error"
            )
            for message in exc.messages:
                flash(message, "error")
        else:
            flash(_("%(n)d alumnos agregados desde el archivo", n=len(rows)), "ok")
    return redirect(url_for(".roster_page", class_id=class_id, abrir="csv"))


@bp.get("/students/<int:student_id>")
@roles(*TEACHING)
def student_page(student_id: int) -> Any:
    with database().session() as session:
        student = student_or_404(session, student_id)
        log_access(session, student.id, "student page")
        shares = progress.skill_shares(session, student.id)
        weeks = progress.minutes_per_week(session, student.id, lima_today())
        recent = progress.recent_answers(session, student.id)
        class_id = session.scalar(
            select(p.ClassStudent.class_id).where(p.ClassStudent.student_id == student.id)
        )
        profile = progress.how_they_learn(session, student.id, class_id)
        consent = current_consent(session, student.id)
        parents = list(
            session.scalars(
                select(p.User)
                .join(p.ParentChild, p.ParentChild.parent_id == p.User.id)
                .where(p.ParentChild.student_id == student.id)
                .order_by(p.User.name)
            )
        )
        questions = list(
            session.scalars(
                select(m.TeacherQuestion)
                .where(m.TeacherQuestion.student_id == student.id)
                .order_by(m.TeacherQuestion.created_at.desc())
            )
        )
    return render_template(
        "console/student.html",
        student=student,
        class_id=class_id,
        skills_svg=charts.skill_bars(shares, _("Respuestas correctas por habilidad")),
        weeks_svg=charts.week_bars(weeks, _("Minutos por semana")),
        shares=shares,
        recent=recent,
        profile=profile,
        questions=questions,
        consent=consent,
        parents=parents,
    )


@bp.get("/classes/<int:class_id>/questions")
@roles(*TEACHING)
def question_queue(class_id: int) -> Any:
    with reading() as session:
        school_class = class_or_404(session, class_id)
        rows = list(
            session.execute(
                select(m.TeacherQuestion, m.Student)
                .join(m.Student, m.Student.id == m.TeacherQuestion.student_id)
                .join(p.ClassStudent, p.ClassStudent.student_id == m.Student.id)
                .where(p.ClassStudent.class_id == class_id)
                .order_by(m.TeacherQuestion.status != "new", m.TeacherQuestion.created_at)
            )
        )
    return render_template("console/questions.html", school_class=school_class, rows=rows)


@bp.get("/questions/<int:question_id>/recording")
@roles(*TEACHING)
def recording(question_id: int) -> Any:
    """The recording itself lives with the phone provider; this checks who may hear it."""
    with database().session() as session:
        question = question_or_404(session, question_id)
        log_access(session, question.student_id, "recording")
        url = question.recording_url
    if "api.twilio.com" in url and not url.rsplit("/", 1)[-1].count("."):
        url += ".mp3"
    return redirect(url)


@bp.post("/questions/<int:question_id>/answered")
@roles(*TEACHING)
def mark_answered(question_id: int) -> Any:
    with database().session() as session:
        question = question_or_404(session, question_id)
        question.status = "answered"
        class_id = session.scalar(
            select(p.ClassStudent.class_id).where(p.ClassStudent.student_id == question.student_id)
        )
    flash(_("Pregunta marcada como respondida"), "ok")
    if class_id is None:  # a student in no class: only an administrator gets here
        return redirect(url_for(".student_page", student_id=question.student_id))
    return redirect(url_for(".question_queue", class_id=class_id))


EXPORT_COLUMNS = (
    "id", "nombre", "telefono", "grado", "idioma", "respuestas", "correctas",
    "minutos_total", "ultima_llamada",
)  # fmt: skip


@bp.get("/classes/<int:class_id>/export.csv")
@roles(*TEACHING)
def export(class_id: int) -> Any:
    with database().session() as session:
        school_class = class_or_404(session, class_id)
        students = [s for s, _parents in _roster(session, class_id)]
        ids = [s.id for s in students]
        answers = {
            sid: (n, right or 0)
            for sid, n, right in session.execute(
                select(
                    m.Answer.student_id,
                    func.count(),
                    func.sum(func.cast(m.Answer.correct, m.Answer.id.type)),
                )
                .where(m.Answer.student_id.in_(ids))
                .group_by(m.Answer.student_id)
            )
        }
        calls = {
            sid: (seconds or 0, last)
            for sid, seconds, last in session.execute(
                select(
                    m.Call.student_id,
                    func.sum(m.Call.duration_seconds),
                    func.max(m.Call.started_at),
                )
                .where(m.Call.student_id.in_(ids))
                .group_by(m.Call.student_id)
            )
        }
        log_access(session, ids, "class export")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    for s in students:
        n, right = answers.get(s.id, (0, 0))
        seconds, last = calls.get(s.id, (0, None))
        writer.writerow(
            [s.id, s.name or "", s.phone, s.grade, s.language, n, right, round(seconds / 60, 1),
             last.isoformat(timespec="minutes") if last else ""]
        )  # fmt: skip
    name = f"clase-{school_class.id}.csv"
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
