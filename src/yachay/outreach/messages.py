"""What an outbound call says outside the student's flow: to a voicemail, and the parents'
weekly progress. Spanish (Peru, tú); no child's name is left on a voicemail."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Integer, func, select
from sqlalchemy.orm import Session

from yachay.db import models as m

VOICEMAIL = (
    "Hola, te llamamos de Yachay, tu escuela por teléfono. "
    "Cuando tengas señal, llámanos a este número para seguir aprendiendo. ¡Hasta pronto!"
)
TEACHER_CALLING = (
    "Hola, te llamamos de Yachay: tu profesora o profesor quiere hablar contigo. "
    "Un momento, por favor."
)
TEACHER_UNAVAILABLE = "Tu profesora o profesor no pudo contestar ahora. ¡Hasta pronto!"
NO_STUDENTS = "Hola, te llamamos de Yachay. En este número aún no hay estudiantes registrados."


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def weekly_progress(session: Session, phone: str, now: datetime) -> list[str]:
    """Sentences for the parents: each child's last seven days."""
    since = now - timedelta(days=7)
    students = session.scalars(
        select(m.Student).where(m.Student.phone == phone).order_by(m.Student.id)
    ).all()
    if not students:
        return [NO_STUDENTS]
    lines = ["Hola, te llamamos de Yachay con el avance de la semana."]
    for student in students:
        who = student.name or f"tu hijo o hija de {student.grade}.° grado"
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
            lines.append(f"{who} no llamó esta semana. Recuérdale llamar un ratito cada día.")
            continue
        lines.append(
            f"{who} terminó {_plural(lessons or 0, 'lección', 'lecciones')} y respondió "
            f"{_plural(answered, 'pregunta', 'preguntas')}; acertó {right}."
        )
    lines.append("Gracias por acompañar su aprendizaje. ¡Hasta la próxima semana!")
    return lines
