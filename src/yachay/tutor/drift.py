"""Input drift: are the answers coming in now like the ones the production model learned from?

Three statistics compare a baseline (the answers given before the production model was
trained: what it learned from) with recent answers:

- **skill mix**: the population stability index (PSI) of the share of answers per skill
  (a question's first skill). New lessons, a new grade, or a school term moving on change
  what children practise, and a model is weakest on what it saw little of.
- **correct rate**: the absolute difference of the share of right answers. Easier or
  harder content, or a change in who calls, shifts it.
- **response times**: the PSI of the answers' response times in fixed bins (seconds:
  below 2, 2–4, 4–6, 6–8, 8–11, 11–15, 15–20, 20–30, 30 and more; unknown times left
  out). The model reads them as features; a new phone network, new prompts or slower
  audio move them.

PSI is ``sum((recent - base) * ln(recent / base))`` over the bins' shares (each share at
least 0.0001, so an empty bin counts and never divides by zero). The usual reading: below
0.1 no change, 0.1–0.25 some, above 0.25 a shift worth acting on.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from yachay.db import models as m
from yachay.db.answers import answers_between
from yachay.tutor.answer_log import question_skill

__all__ = [
    "RESPONSE_BINS_MS",
    "DriftReport",
    "InputProfile",
    "compare",
    "input_profile",
    "psi",
]

#: Upper edges of the response time bins, in milliseconds (the last bin is open).
RESPONSE_BINS_MS = (2_000, 4_000, 6_000, 8_000, 11_000, 15_000, 20_000, 30_000)
_FLOOR = 1e-4


def psi(base: Counter, recent: Counter) -> float:
    """Population stability index of two histograms over the same keys (see the module)."""
    keys = set(base) | set(recent)
    n_base, n_recent = sum(base.values()), sum(recent.values())
    if not keys or n_base == 0 or n_recent == 0:
        return 0.0
    total = 0.0
    for key in keys:
        b = max(base[key] / n_base, _FLOOR)
        r = max(recent[key] / n_recent, _FLOOR)
        total += (r - b) * math.log(r / b)
    return total


def _time_bin(ms: int) -> int:
    for i, edge in enumerate(RESPONSE_BINS_MS):
        if ms < edge:
            return i
    return len(RESPONSE_BINS_MS)


@dataclass
class InputProfile:
    """Counts that describe a set of answers."""

    answers: int = 0
    right: int = 0
    skills: Counter = field(default_factory=Counter)
    #: Answers per response time bin (index into :data:`RESPONSE_BINS_MS`, last: slower).
    times: Counter = field(default_factory=Counter)

    @property
    def correct_rate(self) -> float | None:
        return self.right / self.answers if self.answers else None

    def add(self, skill: str, correct: bool, response_ms: int | None) -> None:
        self.answers += 1
        self.right += int(correct)
        self.skills[skill] += 1
        if response_ms is not None:
            self.times[_time_bin(response_ms)] += 1


def input_profile(
    session: Session, since: datetime | None = None, until: datetime | None = None
) -> InputProfile:
    """The profile of the answers in ``[since, until)`` (naive UTC; None: unbounded)."""
    skills_of = {
        qid: question_skill(skills)
        for qid, skills in session.execute(select(m.Question.id, m.Question.skills))
    }
    profile = InputProfile()
    for question_id, correct, ms in answers_between(session, since, until):
        profile.add(skills_of.get(question_id, "-"), correct, ms)
    return profile


@dataclass(frozen=True)
class DriftReport:
    baseline_answers: int
    recent_answers: int
    skill_mix_psi: float
    correct_rate_baseline: float | None
    correct_rate_recent: float | None
    #: |recent - baseline| correct rate; None when either side has no answers.
    correct_rate_shift: float | None
    response_time_psi: float

    def to_dict(self) -> dict[str, float | int | None]:
        return dict(self.__dict__)


def compare(baseline: InputProfile, recent: InputProfile) -> DriftReport:
    """How far ``recent`` moved from ``baseline`` (see the module for each statistic)."""
    base_rate, recent_rate = baseline.correct_rate, recent.correct_rate
    shift = (
        abs(recent_rate - base_rate) if base_rate is not None and recent_rate is not None else None
    )
    return DriftReport(
        baseline_answers=baseline.answers,
        recent_answers=recent.answers,
        skill_mix_psi=psi(baseline.skills, recent.skills),
        correct_rate_baseline=base_rate,
        correct_rate_recent=recent_rate,
        correct_rate_shift=shift,
        response_time_psi=psi(baseline.times, recent.times),
    )
