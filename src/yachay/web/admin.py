"""An administrator's pages: system status, users and roles, schools and classes, and the
access log of who saw which student's record."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import distinct, func, select, union

from yachay.db import models as m
from yachay.db import people as p
from yachay.outreach.costs import Bill, Rates, monthly_bill
from yachay.tutor.registry import read_pointer
from yachay.web.accounts import AccountError, NewUser, create_user, everyone
from yachay.web.auth import database, reading, roles
from yachay.web.roster import LANGUAGE_NAMES
from yachay.web.teacher import LIMA, lima_today

bp = Blueprint("console_admin", __name__, url_prefix="/admin")
LOG_PAGE = 200
#: The Grafana dashboards' uids and titles (deploy/grafana/dashboards.py makes them).
DASHBOARDS = {
    "yachay-operations": "Operations",
    "yachay-learning": "Learning",
    "yachay-tutor": "Tutor model",
}
DASHBOARDS_FOLDER = "deploy/grafana/dashboards"


@bp.get("")
@roles("admin")
def status() -> Any:
    today = lima_today()
    midnight = datetime.combine(today, datetime.min.time()) - LIMA  # Lima midnight in UTC
    week = midnight - timedelta(days=6)
    with reading() as session:
        calls_today = session.scalar(
            select(func.count()).select_from(m.Call).where(m.Call.started_at >= midnight)
        )
        active = union(
            select(m.Answer.student_id).where(m.Answer.answered_at >= week),
            select(m.Call.student_id).where(
                m.Call.started_at >= week, m.Call.student_id.is_not(None)
            ),
        ).subquery()
        active_students = session.scalar(select(func.count(distinct(active.c.student_id))))
        numbers = {
            _("Llamadas hoy"): calls_today,
            _("Alumnos activos esta semana"): active_students,
            _("Respuestas hoy"): session.scalar(
                select(func.count()).select_from(m.Answer).where(m.Answer.answered_at >= midnight)
            ),
            _("Alumnos registrados"): session.scalar(select(func.count()).select_from(m.Student)),
            _("Preguntas por escuchar"): session.scalar(
                select(func.count())
                .select_from(m.TeacherQuestion)
                .where(m.TeacherQuestion.status == "new")
            ),
            _("Paquetes publicados"): session.scalar(
                select(func.count()).select_from(m.ContentPack)
            ),
        }
    settings = current_app.config["YACHAY"]
    bill, bill_error = _month_bill()
    grafana = settings.grafana_url
    return render_template(
        "console/admin_status.html",
        numbers=numbers,
        model=read_pointer(settings.tutor_dir),
        bill=bill,
        bill_error=bill_error,
        kind_names=call_kind_names(),
        dashboards={f"{grafana}/d/{uid}": title for uid, title in DASHBOARDS.items()}
        if grafana
        else {},
        dashboards_folder=DASHBOARDS_FOLDER,
    )


def _month_bill() -> tuple[Bill | None, str | None]:
    """This month's calls and what they cost (`yachay outreach costs`); or why not."""
    outreach = current_app.extensions["yachay.outreach"]
    month = outreach.clock.today(outreach.now()).strftime("%Y-%m")
    try:
        rates = Rates.load(outreach.settings.call_rates_file)
    except ValueError as error:
        return None, str(error)
    with reading() as session:
        return monthly_bill(session, outreach.clock, rates, month), None


def call_kind_names() -> dict[str, str]:
    return {
        "inbound": _("llamadas de los alumnos"),
        "lesson": _("llamada diaria de la lección"),
        "review": _("llamadas de repaso"),
        "teacher_callback": _("llamadas pedidas por docentes"),
        "parent_progress": _("informe semanal a apoderados"),
        "missed_call": _("devolución de llamadas perdidas"),
    }


@bp.route("/users", methods=["GET", "POST"])
@roles("admin")
def users() -> Any:
    if request.method == "POST":
        form = request.form
        new = NewUser(
            role=form.get("role", ""),
            name=form.get("name", ""),
            phone=form.get("phone") or None,
            email=form.get("email") or None,
            password=form.get("password") or None,
            pin=form.get("pin") or None,
            class_id=int(form["class_id"]) if form.get("class_id", "").isdigit() else None,
            language=form.get("language") or None,
        )
        try:
            with database().session() as session:
                user = create_user(session, new)
                flash(_("Usuario %(id)d creado: %(name)s", id=user.id, name=user.name), "ok")
        except AccountError as exc:
            flash(exc.spanish, "error")
        return redirect(url_for(".users"))
    with reading() as session:
        rows = [r for r in everyone(session) if r["role"] != "student"]
        classes = list(session.scalars(select(p.SchoolClass).order_by(p.SchoolClass.id)))
    return render_template(
        "console/admin_users.html",
        rows=rows,
        roles=p.ROLES,
        classes=classes,
        role_names=role_names(),
        language_names=LANGUAGE_NAMES,
    )


def role_names() -> dict[str, str]:
    return {
        "admin": _("administrador"),
        "teacher": _("docente"),
        "creator": _("creador de contenido"),
        "parent": _("apoderado"),
    }


@bp.post("/users/<int:user_id>/active")
@roles("admin")
def toggle_active(user_id: int) -> Any:
    with database().session() as session:
        user = session.get(p.User, user_id)
        if user is None:
            abort(404)
        if user.id == current_user.id:
            flash(_("No puedes desactivar tu propia cuenta."), "error")
        else:
            user.active = not user.active
    return redirect(url_for(".users"))


@bp.route("/schools", methods=["GET", "POST"])
@roles("admin")
def schools() -> Any:
    if request.method == "POST":
        name = " ".join(request.form.get("name", "").split())
        if not name or len(name) > 120:
            flash(_("El nombre del colegio debe tener de 1 a 120 caracteres."), "error")
        else:
            with database().session() as session:
                session.add(p.School(name=name, phone=request.form.get("phone") or None))
            flash(_("Colegio creado: %(name)s", name=name), "ok")
        return redirect(url_for(".schools"))
    with reading() as session:
        school_rows = list(session.scalars(select(p.School).order_by(p.School.name)))
        classes = list(session.scalars(select(p.SchoolClass).order_by(p.SchoolClass.name)))
        teachers = list(
            session.scalars(select(p.User).where(p.User.role == "teacher").order_by(p.User.name))
        )
    return render_template(
        "console/admin_schools.html", schools=school_rows, classes=classes, teachers=teachers
    )


@bp.post("/classes")
@roles("admin")
def add_class() -> Any:
    form = request.form
    name = " ".join(form.get("name", "").split())
    school_id = form.get("school_id", "")
    teacher_id = form.get("teacher_id", "")
    grade = form.get("grade", "")
    with database().session() as session:
        school = session.get(p.School, int(school_id)) if school_id.isdigit() else None
        teacher = session.get(p.User, int(teacher_id)) if teacher_id.isdigit() else None
        if school is None or not name or len(name) > 80:
            flash(_("Elige un colegio y escribe el nombre de la clase (hasta 80 letras)."), "error")
        elif teacher_id and (teacher is None or teacher.role != "teacher"):
            flash(_("Elige un docente de la lista."), "error")
        else:
            session.add(
                p.SchoolClass(
                    school_id=school.id,
                    name=name,
                    grade=int(grade) if grade.isdigit() else None,
                    teacher_id=teacher.id if teacher else None,
                )
            )
            flash(_("Clase creada: %(name)s", name=name), "ok")
    return redirect(url_for(".schools"))


@bp.get("/students")
@roles("admin")
def unassigned() -> Any:
    """Students in no class (a phone registers them so): no teacher sees them until an
    administrator puts them in one."""
    with reading() as session:
        students = list(
            session.scalars(
                select(m.Student)
                .outerjoin(p.ClassStudent, p.ClassStudent.student_id == m.Student.id)
                .where(p.ClassStudent.class_id.is_(None))
                .order_by(m.Student.grade, m.Student.name, m.Student.id)
                .limit(LOG_PAGE)
            )
        )
        classes = list(session.scalars(select(p.SchoolClass).order_by(p.SchoolClass.name)))
    return render_template("console/admin_students.html", students=students, classes=classes)


@bp.post("/students/<int:student_id>/class")
@roles("admin")
def assign(student_id: int) -> Any:
    class_id = request.form.get("class_id", "")
    with database().session() as session:
        student = session.get(m.Student, student_id)
        school_class = session.get(p.SchoolClass, int(class_id)) if class_id.isdigit() else None
        if student is None:
            abort(404)
        if school_class is None:
            flash(_("Elige una clase."), "error")
        else:
            link = session.get(p.ClassStudent, student_id)
            if link is None:
                session.add(p.ClassStudent(student_id=student_id, class_id=school_class.id))
            else:
                link.class_id = school_class.id
            name = student.name or str(student.id)
            flash(_("%(name)s está ahora en %(group)s", name=name, group=school_class.name), "ok")
    return redirect(url_for(".unassigned"))


@bp.get("/access-log")
@roles("admin")
def access_log() -> Any:
    student = request.args.get("alumno", "")
    with reading() as session:
        query = (
            select(p.AccessLog, p.User.name)
            .join(p.User, p.User.id == p.AccessLog.user_id)
            .order_by(p.AccessLog.at.desc(), p.AccessLog.id.desc())
            .limit(LOG_PAGE)
        )
        if student.isdigit():
            query = query.where(p.AccessLog.student_id == int(student))
        rows = list(session.execute(query))
    actions = {
        "student page": _("ficha del alumno"),
        "recording": _("grabación"),
        "class export": _("exportación de la clase"),
        "data export": _("exportación de sus datos"),
        "data deleted": _("borrado de sus datos"),
    }
    return render_template(
        "console/admin_access_log.html", rows=rows, student=student, actions=actions
    )
