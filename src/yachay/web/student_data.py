"""A student's data on request: export (JSON, or the answers as CSV) for a teacher of the
class or an administrator, deletion for an administrator only. Both are written to the access
log; the deletion page lists what went."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from yachay.db import people as p
from yachay.db.consent import give_consent, withdraw_consent
from yachay.web.auth import database, roles
from yachay.web.records import answers_csv, delete_student, export_student
from yachay.web.scope import log_access, student_or_404

bp = Blueprint("console_records", __name__)


def _download(body: str, mimetype: str, name: str) -> Response:
    return Response(
        body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@bp.get("/students/<int:student_id>/data.json")
@roles("teacher", "admin")
def export_json(student_id: int) -> Any:
    with database().session() as session:
        student_or_404(session, student_id)
        log_access(session, student_id, "data export")
        record = export_student(session, student_id)
    body = json.dumps(record, ensure_ascii=False, indent=1)
    return _download(body, "application/json", f"alumno-{student_id}.json")


@bp.get("/students/<int:student_id>/answers.csv")
@roles("teacher", "admin")
def export_csv(student_id: int) -> Any:
    with database().session() as session:
        student_or_404(session, student_id)
        log_access(session, student_id, "data export")
        record = export_student(session, student_id)
    return _download(answers_csv(record), "text/csv", f"alumno-{student_id}-respuestas.csv")


@bp.post("/students/<int:student_id>/consent")
@roles("teacher", "admin")
def record_consent(student_id: int) -> Any:
    """A parent's consent, given on paper or in person, recorded by the teacher."""
    parent_id = request.form.get("parent_id", "")
    with database().session() as session:
        student_or_404(session, student_id)
        linked = parent_id.isdigit() and session.get(p.ParentChild, (int(parent_id), student_id))
        if not linked or request.form.get("confirmo") != "si":
            flash(_("Elige al apoderado y marca la casilla para confirmar."), "error")
        else:
            give_consent(session, student_id, "console", int(parent_id), current_user.id)
            flash(_("Consentimiento registrado"), "ok")
    return redirect(url_for("console_teacher.student_page", student_id=student_id) + "#data")


@bp.post("/students/<int:student_id>/consent/withdraw")
@roles("teacher", "admin")
def withdraw(student_id: int) -> Any:
    with database().session() as session:
        student_or_404(session, student_id)
        withdraw_consent(session, student_id)
    flash(_("Consentimiento retirado"), "ok")
    return redirect(url_for("console_teacher.student_page", student_id=student_id) + "#data")


@bp.post("/students/<int:student_id>/delete")
@roles("admin")
def delete(student_id: int) -> Any:
    if request.form.get("confirmo") != "si":
        flash(_("Marca la casilla para confirmar que quieres borrar los datos."), "error")
        return redirect(url_for("console_teacher.student_page", student_id=student_id))
    with database().session() as session:
        student_or_404(session, student_id)
        log_access(session, student_id, "data deleted")
        deleted = delete_student(session, student_id)
    return render_template("console/deleted.html", student_id=student_id, deleted=deleted)
