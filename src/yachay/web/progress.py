"""A student's record as the console shows it: share of correct answers per skill, minutes
on the phone per week, the latest answers, and how the student learns (compared with their
class)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from yachay.db import models as m
from yachay.db import people as p
from yachay.db.answers import answers_of_students
from yachay.tutor.bank import question_bank
from yachay.tutor.decisions import answer_events
from yachay.tutor.profile import MIN_ANSWERS, describe, learner_profile

WEEKS = 8
RECENT = 15


@dataclass(frozen=True)
class SkillShare:
    skill_id: str
    name: str
    answered: int
    correct: int

    @property
    def share(self) -> float:
        return self.correct / self.answered if self.answered else 0.0


@dataclass(frozen=True)
class WeekMinutes:
    monday: date
    minutes: float


@dataclass(frozen=True)
class RecentAnswer:
    at: datetime
    question: str
    choice: str
    correct: bool


def _spanish(texts: dict | None, fallback: str) -> str:
    if not texts:
        return fallback
    return texts.get("es") or next(iter(texts.values()), fallback)


def skill_shares(session: Session, student_id: int) -> list[SkillShare]:
    """Every skill the student answered a question of, weakest first."""
    answered: dict[str, int] = defaultdict(int)
    right: dict[str, int] = defaultdict(int)
    query = (
        select(m.Answer.correct, m.Question.skills)
        .join(m.Question, m.Question.id == m.Answer.question_id)
        .where(m.Answer.student_id == student_id)
    )
    for correct, skills in session.execute(query):
        for skill in skills or ():
            answered[skill] += 1
            right[skill] += bool(correct)
    names = {
        s.id: _spanish(s.name, s.id)
        for s in session.scalars(select(m.Skill).where(m.Skill.id.in_(list(answered))))
    }
    shares = [SkillShare(k, names.get(k, k), answered[k], right[k]) for k in answered]
    return sorted(shares, key=lambda s: (s.share, s.name))


def minutes_per_week(session: Session, student_id: int, today: date) -> list[WeekMinutes]:
    """The last `WEEKS` weeks (Monday to Sunday, the current one last), empty weeks included."""
    this_monday = today - timedelta(days=today.weekday())
    first = this_monday - timedelta(weeks=WEEKS - 1)
    seconds: dict[date, int] = defaultdict(int)
    query = select(m.Call.started_at, m.Call.duration_seconds).where(
        m.Call.student_id == student_id,
        m.Call.started_at >= datetime.combine(first, datetime.min.time()),
    )
    for started, duration in session.execute(query):
        day = started.date()
        seconds[day - timedelta(days=day.weekday())] += duration or 0
    return [
        WeekMinutes(first + timedelta(weeks=i), seconds[first + timedelta(weeks=i)] / 60)
        for i in range(WEEKS)
    ]


def recent_answers(session: Session, student_id: int) -> list[RecentAnswer]:
    query = (
        select(m.Answer, m.Question)
        .join(m.Question, m.Question.id == m.Answer.question_id)
        .where(m.Answer.student_id == student_id)
        .order_by(m.Answer.answered_at.desc(), m.Answer.id.desc())
        .limit(RECENT)
    )
    out = []
    for answer, question in session.execute(query):
        choices = question.choices or []
        choice = choices[answer.choice - 1] if 0 < answer.choice <= len(choices) else None
        out.append(
            RecentAnswer(
                answer.answered_at,
                _spanish(question.stem, question.id),
                _spanish(choice, str(answer.choice))
                if isinstance(choice, dict)
                else str(choice if choice is not None else answer.choice),
                answer.correct,
            )
        )
    return out


def how_they_learn(session: Session, student_id: int, class_id: int | None) -> list[str]:
    """The learner profile's sentences (`yachay.tutor.profile`), compared with the student's
    classmates; empty while the student has too few answers to say."""
    ids = [student_id]
    if class_id is not None:
        ids += session.scalars(
            select(p.ClassStudent.student_id).where(
                p.ClassStudent.class_id == class_id, p.ClassStudent.student_id != student_id
            )
        ).all()
    answers = answers_of_students(session, ids)  # one query for the whole class
    if len(answers[student_id]) < MIN_ANSWERS:
        return []
    catalog = question_bank(session).catalog
    own = learner_profile(answer_events(answers[student_id]), catalog)
    classmates = [
        learner_profile(answer_events(answers[i]), catalog) for i in ids[1:] if answers[i]
    ]
    return describe(own, catalog, classmates)
