"""Does the learner profile see what it claims? Its estimates against the hidden truth.

Simulated children whose forgetting differs (`StudentModel.forget_spread` 0.35: each
child's rate log-normal around the model's) are taught for `SimConfig.days` days of calls,
by the filter-driven adaptive policy and, separately, by the textbook order; then
`profile.learner_profile` reads each child's answers. Reported: the Spearman correlation
of the estimated learning speed with the hidden learning rate, and of the estimated
forgetting with the hidden forgetting rate, per policy.

**A school year, not a month of daily calls.** The calls are split into `TERMS` terms with
`BREAKS` days of holiday between them, as the Peruvian school year's four *bimestres* are
(a week in May, two in July, a week in October); `python -m` runs `DAYS` days of calls.
A month of daily calls does not show forgetting: a night away costs a child a few
hundredths of what they know of a skill, about what one answer teaches them, and the
spread between children (35 %) is a fraction of that. Even an estimate that knew the
simulator's hidden model and every child's starting knowledge and learning rate ranked
the children's forgetting from right and wrong alone at only 0.43 (seed 0, adaptive);
the profile's estimate, at 0.11. What a child loses over a holiday, or between spaced
reviews a week or more apart, is large enough to read from how quickly and how well they
answer.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import timedelta

import numpy as np

from yachay.tutor.filter_fit import fit_quick_rule, fit_skill_filter
from yachay.tutor.profile import learner_profile
from yachay.tutor.simulation.policies import POLICIES
from yachay.tutor.simulation.run import warmup_histories
from yachay.tutor.simulation.teacher_list import _Recorder
from yachay.tutor.simulation.teaching import Call, call_schedule, run_student
from yachay.tutor.simulation.world import SimConfig, Student, World, synthetic_curriculum

__all__ = ["ProfileCheck", "check_profiles", "school_year", "spearman"]

FORGET_SPREAD = 0.35
#: The school year: days of calls (four terms of 40), and the holidays between terms.
DAYS = 160
TERMS = 4
BREAKS = (7, 14, 7)


def school_year(calls: list[Call], days: int) -> list[Call]:
    """``calls`` over ``days`` days, moved later by the holidays before each one's term."""
    out = []
    for call in calls:
        term = min(call.day * TERMS // max(days, 1), TERMS - 1)
        shift = sum(BREAKS[:term])
        out.append(replace(call, day=call.day + shift, at=call.at + timedelta(days=shift)))
    return out


@dataclass(frozen=True)
class ProfileCheck:
    policy: str
    students: int
    learning_speed: float
    forgetting: float


def spearman(x: list[float], y: list[float]) -> float:
    """Spearman's rank correlation (ties get their mean rank)."""

    def ranks(v: list[float]) -> np.ndarray:
        a = np.asarray(v, dtype=float)
        order = a.argsort(kind="mergesort")
        r = np.empty(len(a))
        r[order] = np.arange(len(a))
        for value in np.unique(a):  # mean rank of ties
            tied = a == value
            r[tied] = r[tied].mean()
        return r

    return float(np.corrcoef(ranks(x), ranks(y))[0, 1])


def _correlation(pairs: list[tuple[float, float]]) -> float:
    """Spearman over (estimate, hidden) pairs, rounded; NaN with fewer than three."""
    if len(pairs) < 3:
        return float("nan")
    return round(spearman([e for e, _ in pairs], [h for _, h in pairs]), 3)


def check_profiles(
    config: SimConfig | None = None, policies: tuple[str, ...] = ("adaptive-filter", "fixed")
) -> list[ProfileCheck]:
    config = config or SimConfig(days=DAYS)
    config = replace(config, model=replace(config.model, forget_spread=FORGET_SPREAD))
    curriculum = synthetic_curriculum(config.seed)
    world = World(curriculum, config.model, config.seed)
    histories = warmup_histories(world, config)
    fitted = fit_skill_filter(histories, curriculum.catalog)
    quick = fit_quick_rule(histories, curriculum.catalog, fitted)
    world.fitted = fitted | (quick.as_fitted() if quick else {})
    out = []
    for name in policies:
        speed: list[tuple[float, float]] = []
        forget: list[tuple[float, float]] = []
        for n in range(config.students):
            seed = f"{config.seed}-profile-{n}"
            student = Student.draw(world, random.Random(f"student-{seed}"), config.grades)
            calls = school_year(call_schedule(config, random.Random(f"calls-{seed}")), config.days)
            policy = _Recorder(
                POLICIES[name](world, student, config, random.Random(f"policy-{seed}"))
            )
            rate, forgetting = student.rate, student.forgetting
            run_student(world, student, calls, policy, config, random.Random(f"answers-{seed}"))
            profile = learner_profile(policy.events, curriculum.catalog)
            if profile.learning_speed is not None:
                speed.append((profile.learning_speed, rate))
            if profile.forgetting is not None:
                forget.append((profile.forgetting, forgetting))
        out.append(ProfileCheck(name, config.students, _correlation(speed), _correlation(forget)))
    return out


if __name__ == "__main__":  # python -m yachay.tutor.simulation.profile_check [seed] [students]
    import sys

    seed = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    students = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    for row in check_profiles(SimConfig(days=DAYS, seed=seed, students=students)):
        print(row)
