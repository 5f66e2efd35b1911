"""What parents and teachers leave by phone for a class's teacher: parents' callback
requests (marked done once the teacher called) and the lessons a teacher recorded by phone,
which students hear only once approved here. Scoped like every console page: a teacher
sees their own classes' only, anything else is a 404."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from yachay.db import models as m
from yachay.db import people as p
from yachay.db.phone_roles import (
    CallbackRequest,
    ClassRecording,
    ReviewError,
    review_class_recording,
)
from yachay.web.auth import database, reading, roles
from yachay.web.scope import class_of, class_or_404, student_or_404

bp = Blueprint("console_phone", __name__)
TEACHING = ("teacher", "admin")
DECISIONS = {"aprobar": True, "rechazar": False}


def callback_or_404(session: Session, callback_id: int) -> CallbackRequest:
    callback = session.get(CallbackRequest, callback_id)
    if callback is None:
        abort(404)
    student_or_404(session, callback.student_id)
    return callback


def recording_or_404(session: Session, recording_id: int) -> ClassRecording:
    recording = session.get(ClassRecording, recording_id)
    if recording is None:
        abort(404)
    class_or_404(session, recording.class_id)
    return recording


@bp.get("/classes/<int:class_id>/callbacks")
@roles(*TEACHING)
def callbacks(class_id: int) -> Any:
    with reading() as session:
        school_class = class_or_404(session, class_id)
        rows = list(
            session.execute(
                select(CallbackRequest, m.Student, p.User)
                .join(m.Student, m.Student.id == CallbackRequest.student_id)
                .join(p.ClassStudent, p.ClassStudent.student_id == m.Student.id)
                .join(p.User, p.User.id == CallbackRequest.parent_id)
                .where(p.ClassStudent.class_id == class_id)
                .order_by(CallbackRequest.status != "new", CallbackRequest.created_at)
            )
        )
    return render_template("console/callbacks.html", school_class=school_class, rows=rows)


@bp.post("/callbacks/<int:callback_id>/done")
@roles(*TEACHING)
def callback_done(callback_id: int) -> Any:
    with database().session() as session:
        callback = callback_or_404(session, callback_id)
        callback.status = "done"
        class_id = class_of(session, callback.student_id)
    flash(_("Pedido de llamada marcado como atendido"), "ok")
    if class_id is None:  # a student in no class: only an administrator gets here
        return redirect(url_for("console_teacher.student_page", student_id=callback.student_id))
    return redirect(url_for(".callbacks", class_id=class_id))


@bp.get("/classes/<int:class_id>/recordings")
@roles(*TEACHING)
def recordings(class_id: int) -> Any:
    with reading() as session:
        school_class = class_or_404(session, class_id)
        rows = list(
            session.execute(
                select(ClassRecording, p.User.name)
                .join(p.User, p.User.id == ClassRecording.teacher_id)
                .where(ClassRecording.class_id == class_id)
                .order_by(ClassRecording.status != "pending", ClassRecording.created_at)
            )
        )
    return render_template("console/class_recordings.html", school_class=school_class, rows=rows)


@bp.get("/recordings/<int:recording_id>/audio")
@roles(*TEACHING)
def recording_audio(recording_id: int) -> Any:
    """The recording lives with the phone provider; this checks who may hear it."""
    with reading() as session:
        url = recording_or_404(session, recording_id).recording_url
    if "api.twilio.com" in url and not url.rsplit("/", 1)[-1].count("."):
        url += ".mp3"
    return redirect(url)


@bp.post("/recordings/<int:recording_id>/review")
@roles(*TEACHING)
def review(recording_id: int) -> Any:
    decision = request.form.get("decision", "")
    with database().session() as session:
        class_id = recording_or_404(session, recording_id).class_id
        if decision not in DECISIONS:
            flash(_("Elige aprobar o rechazar la grabación."), "error")
        else:
            try:
                review_class_recording(session, recording_id, current_user.id, DECISIONS[decision])
            except ReviewError:
                flash(_("Esta grabación ya fue revisada."), "error")
            else:
                flash(
                    _("Grabación aprobada: tus alumnos ya la escuchan")
                    if DECISIONS[decision]
                    else _("Grabación rechazada: tus alumnos no la escucharán"),
                    "ok",
                )
    return redirect(url_for(".recordings", class_id=class_id))
