"""Teaching one simulated student: the call schedule, the calls, what they learned."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from yachay.tutor.domain import AnswerEvent
from yachay.tutor.simulation.policies import Policy
from yachay.tutor.simulation.world import START, SimConfig, Student, World

__all__ = ["Call", "Outcome", "call_schedule", "finish", "run_student", "teach"]


@dataclass(frozen=True)
class Call:
    day: int
    at: datetime
    questions: int


def call_schedule(config: SimConfig, rng: random.Random) -> list[Call]:
    calls = []
    for day in range(config.days):
        if rng.random() < config.call_probability:
            # 16:00–19:00 in Lima (UTC-5), after school
            at = START + timedelta(days=day, hours=21 + 3 * rng.random())
            calls.append(Call(day, at, rng.randint(*config.questions_per_call)))
    return calls


@dataclass
class Outcome:
    questions: int = 0
    right: int = 0
    newly_mastered: int = 0
    final_mastery: float = 0.0
    mastered_share: float = 0.0


def run_student(
    world: World,
    student: Student,
    calls: Sequence[Call],
    policy: Policy,
    config: SimConfig,
    rng: random.Random,
    sid: str = "s",
) -> Outcome:
    """Teach one student (mutated in place) with ``policy`` through the calls."""
    before = student.mastered()
    out = Outcome()
    teach(student, enumerate(calls), policy, config, rng, sid, out)
    return finish(student, before, out, config)


def teach(
    student: Student,
    calls: Iterable[tuple[int, Call]],
    policy: Policy,
    config: SimConfig,
    rng: random.Random,
    sid: str,
    out: Outcome,
) -> None:
    """Teach through ``calls`` (numbered: the number names the call), counting into ``out``."""
    for number, call in calls:
        now = call.at
        student.forget_until((now - START).total_seconds() / 86400)
        asked = 0
        while asked < call.questions:
            ids = policy.choose(now, min(config.round_size, call.questions - asked))
            if not ids:
                break
            for item_id in ids:
                correct, ms = student.answer(item_id, rng)
                student.learn(item_id, call.day)
                policy.observe(AnswerEvent(item_id, correct, now, ms, f"{sid}-{number}"))
                now += timedelta(seconds=config.seconds_per_question)
                asked += 1
                out.right += correct
        out.questions += asked


def finish(student: Student, before: set[int], out: Outcome, config: SimConfig) -> Outcome:
    """The outcome the morning after the last day, against the skills mastered ``before``."""
    student.forget_until(config.days)
    scope = student.in_scope()
    after = student.mastered()
    out.newly_mastered = len(after) - len(before)
    out.final_mastery = sum(student.k[s] for s in scope) / len(scope) if scope else 0.0
    out.mastered_share = len(after & set(scope)) / len(scope) if scope else 0.0
    return out
