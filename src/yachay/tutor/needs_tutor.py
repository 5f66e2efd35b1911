"""Which students a teacher should call back first, and why, in words a teacher understands.

Three signals, each a score with a sentence (Spanish, for the teacher console and the
teacher's phone menu):

- **stuck**: many answers on a skill without mastering it — in the last
  `NeedsTutorConfig.window_days`, at least `stuck_attempts` answers on the skill and the
  skill is not mastered now. Score: answers / `stuck_attempts`, at most 3, times how far
  below mastery the skill is (0.25 just below the threshold, 1 at 0.2 or more below: many
  answers on a skill nearly mastered are practice). Checked in the simulation against the
  truly stuck children (README, "The teacher's list, checked"): without that factor the
  top 5 of a class of 30 held 0.40-0.55 of stuck children, with it 0.65-0.75.
  *"Respondió 12 preguntas de «Fracciones» sin llegar a dominarlas."*
- **falling**: mastery of a skill fell by at least `drop` (15 points) over the last
  `drop_days` (a week), from at least `drop_from` (50 %). Score: the fall / `drop` × 1.5,
  at most 3. *"Su dominio de «Sumar hasta 20» bajó de 80 % a 55 % esta semana."*
- **calls dropped early**: in the last `calls_window_days`, at least `dropped_calls` calls
  shorter than `short_call_seconds` that ended in the middle of a lesson or practice
  (the child hung up or the line fell). Score: that count, at most 3.
  *"En las últimas dos semanas, 3 de sus 5 llamadas se cortaron a mitad de la lección,
  antes de 90 segundos."*

A student's score is the sum; students with none of the signals are not listed. Mastery
comes from the predictor as in `mastery` (mean predicted P(right) over a skill's items).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from yachay.tutor.domain import AnswerEvent, Catalog, Predictor, as_utc
from yachay.tutor.mastery import MasteryRule, skill_mastery

__all__ = [
    "CallRecord",
    "NeedsTutor",
    "NeedsTutorConfig",
    "Signal",
    "StudentActivity",
    "rank_students",
    "signals_for",
]


@dataclass(frozen=True)
class CallRecord:
    """One call of a student, as the call log has it."""

    sid: str
    started_at: datetime
    duration_seconds: int | None
    #: The call ended while a lesson or a practice round was under way (no goodbye).
    ended_mid_lesson: bool


@dataclass(frozen=True)
class StudentActivity:
    student_id: Hashable
    #: Answers, oldest first.
    answers: Sequence[AnswerEvent]
    calls: Sequence[CallRecord] = ()


@dataclass(frozen=True)
class NeedsTutorConfig:
    stuck_attempts: int = 10
    window_days: int = 30
    drop: float = 0.15
    drop_from: float = 0.5
    drop_days: int = 7
    short_call_seconds: int = 90
    dropped_calls: int = 2
    calls_window_days: int = 14
    mastery: MasteryRule = MasteryRule()


@dataclass(frozen=True)
class Signal:
    #: "stuck", "falling" or "dropped_calls".
    kind: str
    score: float
    reason: str
    skill: str | None = None


@dataclass(frozen=True)
class NeedsTutor:
    student_id: Hashable
    score: float
    #: Sentences for the teacher, most important first.
    reasons: list[str]
    signals: tuple[Signal, ...] = ()


def rank_students(
    students: Iterable[StudentActivity],
    catalog: Catalog,
    predictor: Predictor,
    now: datetime,
    config: NeedsTutorConfig | None = None,
    limit: int | None = None,
) -> list[NeedsTutor]:
    """Students who need a human callback, highest score first (then by student id)."""
    config = config or NeedsTutorConfig()
    out = []
    for student in students:
        signals = signals_for(student, catalog, predictor, now, config)
        if signals:
            out.append(
                NeedsTutor(
                    student.student_id,
                    round(sum(s.score for s in signals), 3),
                    [s.reason for s in signals],
                    tuple(signals),
                )
            )
    out.sort(key=lambda s: (-s.score, str(s.student_id)))
    return out if limit is None else out[:limit]


def signals_for(
    student: StudentActivity,
    catalog: Catalog,
    predictor: Predictor,
    now: datetime,
    config: NeedsTutorConfig | None = None,
) -> list[Signal]:
    """The student's signals, strongest first."""
    config = config or NeedsTutorConfig()
    now = as_utc(now)
    answers = [a for a in student.answers if as_utc(a.at) <= now]
    signals: list[Signal] = []
    if answers:
        signals += _learning_signals(answers, catalog, predictor, now, config)
    signals += _call_signals(student.calls, now, config)
    return sorted(signals, key=lambda s: (-s.score, s.kind, s.skill or ""))


def _learning_signals(
    answers: list[AnswerEvent],
    catalog: Catalog,
    predictor: Predictor,
    now: datetime,
    config: NeedsTutorConfig,
) -> list[Signal]:
    rule = config.mastery
    mastery_now = skill_mastery(answers, catalog, predictor, rule)
    signals = []

    since = now - timedelta(days=config.window_days)
    recent: dict[str, int] = defaultdict(int)
    for a in answers:
        item = catalog.item.get(a.item_id)
        if item is not None and as_utc(a.at) >= since:
            for skill in item.skills:
                recent[skill] += 1
    for skill, count in recent.items():
        m = mastery_now.get(skill)
        if m is not None and count >= config.stuck_attempts and not m.mastered:
            signals.append(
                Signal(
                    "stuck",
                    round(min(3.0, count / config.stuck_attempts) * _distance(m.estimate, rule), 3),
                    f"Respondió {count} preguntas de {_name(catalog, skill)} "
                    "sin llegar a dominarlas.",
                    skill,
                )
            )

    cutoff = now - timedelta(days=config.drop_days)
    before = [a for a in answers if as_utc(a.at) < cutoff]
    if before and len(before) < len(answers):
        touched = {
            s
            for a in answers[len(before) :]
            if (item := catalog.item.get(a.item_id)) is not None
            for s in item.skills
        }
        then = skill_mastery(before, catalog, predictor, rule, skills=sorted(touched))
        when = "esta semana" if config.drop_days == 7 else f"en los últimos {config.drop_days} días"
        for skill in sorted(touched):
            old, new = then.get(skill), mastery_now.get(skill)
            if old is None or new is None or not old.attempts:
                continue
            fall = old.estimate - new.estimate
            if old.estimate >= config.drop_from and fall >= config.drop - 1e-9:
                signals.append(
                    Signal(
                        "falling",
                        min(3.0, 1.5 * fall / config.drop),
                        f"Su dominio de {_name(catalog, skill)} bajó de "
                        f"{_percent(old.estimate)} a {_percent(new.estimate)} {when}.",
                        skill,
                    )
                )
    return signals


def _distance(estimate: float, rule: MasteryRule) -> float:
    """How far below mastery a skill is, 0.25 (just below) to 1 (0.2 or more below): many
    answers on a skill nearly mastered are practice, not a child who is stuck."""
    return min(1.0, max(0.25, (rule.threshold - estimate) / 0.2))


def _call_signals(
    calls: Sequence[CallRecord], now: datetime, config: NeedsTutorConfig
) -> list[Signal]:
    since = now - timedelta(days=config.calls_window_days)
    recent = [c for c in calls if since <= as_utc(c.started_at) <= now]
    dropped = [
        c
        for c in recent
        if c.ended_mid_lesson
        and c.duration_seconds is not None
        and c.duration_seconds < config.short_call_seconds
    ]
    if len(dropped) < config.dropped_calls:
        return []
    if config.calls_window_days == 14:
        period = "En las últimas dos semanas"
    elif config.calls_window_days == 7:
        period = "En la última semana"
    else:
        period = f"En los últimos {config.calls_window_days} días"
    how_many = (
        f"sus {len(dropped)} llamadas"
        if len(dropped) == len(recent)
        else f"{len(dropped)} de sus {len(recent)} llamadas"
    )
    return [
        Signal(
            "dropped_calls",
            min(3.0, float(len(dropped))),
            f"{period}, {how_many} se cortaron a mitad de la lección, "
            f"antes de {_duration(config.short_call_seconds)}.",
        )
    ]


def _name(catalog: Catalog, skill: str) -> str:
    node = catalog.skill.get(skill)
    return f"«{node.name if node else skill}»"


def _percent(p: float) -> str:
    return f"{round(100 * p)} %"


def _duration(seconds: int) -> str:
    if seconds == 60:
        return "un minuto"
    if seconds % 60 == 0:
        return f"{seconds // 60} minutos"
    return f"{seconds} segundos"
