"""What an outbound call says outside the student's flow: to a voicemail (Spanish, and no
child's name), and the parents' weekly progress, in the household parent's language (the
prompts `weekly_*` of content/prompts: Quechua and Aymara are rendered audio)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Integer, func, select
from sqlalchemy.orm import Session

from yachay.content.prompts import BASE_LANGUAGE, Prompts
from yachay.db import models as m
from yachay.db import people as p

VOICEMAIL = (
    "Hola, te llamamos de Yachay, tu escuela por teléfono. "
    "Cuando tengas señal, llámanos a este número para seguir aprendiendo. ¡Hasta pronto!"
)
TEACHER_CALLING = (
    "Hola, te llamamos de Yachay: tu profesora o profesor quiere hablar contigo. "
    "Un momento, por favor."
)
TEACHER_UNAVAILABLE = "Tu profesora o profesor no pudo contestar ahora. ¡Hasta pronto!"
#: The weekly call when the database cannot be read in time: the parent can call in for it.
PROGRESS_UNAVAILABLE = (
    "Hola, te llamamos de Yachay. Ahora no podemos leer el resumen de la semana. "
    "Llámanos cuando quieras para escucharlo. ¡Hasta pronto!"
)


@dataclass(frozen=True)
class Line:
    text: str
    #: The sentence tells a child's week: its audio must not be findable by its text.
    private: bool = False


def household_language(session: Session, phone: str) -> str:
    """The language of the parent the weekly call is for: a parent on this phone, else a
    parent of a child on it (`users.language`); Spanish where no parent is known."""
    on_phone = select(p.User.language).where(
        p.User.role == "parent", p.User.active.is_(True), p.User.phone == phone
    )
    of_children = (
        select(p.User.language)
        .join(p.ParentChild, p.ParentChild.parent_id == p.User.id)
        .join(m.Student, m.Student.id == p.ParentChild.student_id)
        .where(p.User.role == "parent", p.User.active.is_(True), m.Student.phone == phone)
    )
    for query in (on_phone, of_children):
        language = session.scalar(query.order_by(p.User.id).limit(1))
        if language:
            return language
    return BASE_LANGUAGE


def parent_on_phone(session: Session, phone: str) -> bool:
    """Whether a parent is registered on ``phone`` (then the weekly call offers their menu)."""
    return (
        session.scalar(
            select(p.User.id)
            .where(p.User.role == "parent", p.User.active.is_(True), p.User.phone == phone)
            .limit(1)
        )
        is not None
    )


def weekly_progress(
    session: Session,
    phone: str,
    now: datetime,
    prompts: Prompts,
    language: str,
    goodbye: bool = True,
) -> list[Line]:
    """Sentences for the parents, in `language` (Spanish where these prompts lack it):
    each child's last seven days, and the goodbye unless told not to (the call goes on)."""
    if language not in prompts.languages:
        language = BASE_LANGUAGE
    since = now - timedelta(days=7)
    students = session.scalars(
        select(m.Student).where(m.Student.phone == phone).order_by(m.Student.id)
    ).all()
    if not students:
        return [Line(prompts.text("weekly_no_students", language))]
    lines = [Line(prompts.text("weekly_intro", language))]
    for student in students:
        who = student.name or prompts.text("student_in_grade", language, grade=student.grade)
        who = who[:1].upper() + who[1:]  # each of these sentences starts with it
        lessons = session.scalar(
            select(func.count())
            .select_from(m.LessonProgress)
            .where(
                m.LessonProgress.student_id == student.id,
                m.LessonProgress.completed_at >= since,
            )
        )
        answered, right = session.execute(
            select(func.count(), func.coalesce(func.sum(m.Answer.correct.cast(Integer)), 0)).where(
                m.Answer.student_id == student.id, m.Answer.answered_at >= since
            )
        ).one()
        if not answered and not lessons:
            lines.append(Line(prompts.text("weekly_child_silent", language, child=who), True))
            continue
        text = prompts.text(
            "weekly_child",
            language,
            child=who,
            lessons=int(lessons or 0),
            answered=int(answered),
            right=int(right),
        )
        lines.append(Line(text, True))
    if goodbye:
        lines.append(Line(prompts.text("weekly_goodbye", language)))
    return lines
