"""The learner profile: what a teacher reads about how a child learns."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from yachay.tutor.domain import AnswerEvent, Catalog, Item, SkillNode
from yachay.tutor.profile import describe, learner_profile
from yachay.tutor.simulation import SimConfig
from yachay.tutor.simulation.profile_check import check_profiles, school_year, spearman
from yachay.tutor.simulation.teacher_list import check_teacher_list
from yachay.tutor.simulation.teaching import Call

CATALOG = Catalog.build(
    [Item(f"{s}-{d}", (s,), d) for s in ("suma", "resta") for d in range(1, 6)],
    [SkillNode("suma", name="Sumar"), SkillNode("resta", name="Restar")],
)
T0 = datetime(2026, 3, 2, 21, tzinfo=UTC)


def answers(skill: str, levels: list[int], right: list[bool], ms: int = 5000, day: int = 0):
    return [
        AnswerEvent(f"{skill}-{d}", r, T0 + timedelta(days=day, minutes=n), ms)
        for n, (d, r) in enumerate(zip(levels, right, strict=True))
    ]


def test_a_child_who_climbs_faster_learns_faster():
    fast = learner_profile(answers("suma", [1, 2, 3, 4, 5, 5], [True] * 6), CATALOG)
    slow = learner_profile(answers("suma", [1, 1, 2, 1, 2, 2], [True, False] * 3), CATALOG)
    assert fast.learning_speed > slow.learning_speed > -1
    assert fast.median_seconds == 5.0


def test_errors_on_coming_back_after_a_break_read_as_forgetting():
    # All times alike: the readings are the difficulty plus or minus one.
    session = answers("suma", [3] * 4, [True] * 4)
    back = [answers("suma", [3, 3], [False, True], day=d) for d in (7, 14, 21)]
    forgetful = learner_profile(session + [a for b in back for a in b], CATALOG)
    kept = [answers("suma", [3, 3], [True, True], day=d) for d in (7, 14, 21)]
    steady = learner_profile(session + [a for b in kept for a in b], CATALOG)
    assert forgetful.forgetting > steady.forgetting
    # Nights between calls are not breaks: too little is forgotten overnight to read.
    nightly = [answers("suma", [3, 3], [False, True], day=d) for d in (1, 2, 3)]
    assert learner_profile(session + [a for b in nightly for a in b], CATALOG).forgetting is None


def school_child(forgets: float) -> list[AnswerEvent]:
    """A child who gains 0.15 levels per answer on each skill and, over a break of ``d``
    days, loses ``forgets`` x min(1, d / 20) of what they gained; two terms of daily calls
    with two holidays. Questions are picked at the child's level; the quicker the higher
    the level is above the question's difficulty, and right when it is not far below."""
    level = {"suma": 1.0, "resta": 1.0}
    out: list[AnswerEvent] = []
    days = [*range(8), *range(20, 26), *range(40, 46)]
    for day, previous in zip(days, [None, *days], strict=False):
        for skill in level:
            if previous is not None and day - previous >= 5:
                level[skill] -= forgets * min(1.0, (day - previous) / 20) * (level[skill] - 1)
            for n in range(4):
                d = min(5, max(1, round(level[skill])))
                margin = level[skill] - d
                ms = round(3000 + 12000 / (1 + math.exp(1.5 * margin)))
                at = T0 + timedelta(days=day, minutes=10 * (skill == "resta") + n)
                out.append(AnswerEvent(f"{skill}-{d}", margin > -0.3, at, ms))
                level[skill] = min(5.5, level[skill] + 0.15)
    return sorted(out, key=lambda e: e.at)


def test_a_child_who_loses_more_over_the_holidays_forgets_more():
    estimates = [learner_profile(school_child(f), CATALOG).forgetting for f in (0.0, 0.3, 0.6)]
    assert estimates[0] < estimates[1] < estimates[2]
    assert estimates[2] > 0
    # Ten minutes on one answer (the phone put down) does not squeeze the other readings.
    away = AnswerEvent("suma-3", True, T0 + timedelta(days=3, minutes=5), 600_000)
    history = sorted([*school_child(0.3), away], key=lambda e: e.at)
    assert learner_profile(history, CATALOG).forgetting == pytest.approx(estimates[1], rel=0.04)


def test_the_profile_check_simulates_a_school_year_with_holidays():
    calls = [Call(d, T0 + timedelta(days=d), 10) for d in range(8)]
    moved = school_year(calls, 8)  # four terms of two days
    assert [c.day for c in moved] == [0, 1, 9, 10, 25, 26, 34, 35]
    assert all(c.at - T0 == timedelta(days=c.day) for c in moved)


def test_hurried_mistakes_strong_and_weak_areas_in_spanish():
    history = answers("suma", [4] * 6, [True] * 6, ms=8000) + answers(
        "resta", [2] * 6, [False, True] * 3, ms=1000
    )
    profile = learner_profile(history, CATALOG)
    assert profile.strongest == "suma" and profile.weakest == "resta"
    assert profile.hurried_mistakes == 1.0
    text = " ".join(describe(profile, CATALOG))
    assert "«Sumar»" in text and "«Restar»" in text and "apurados" in text
    assert describe(learner_profile(history[:2], CATALOG), CATALOG) == [
        "Todavía respondió muy pocas preguntas para describir cómo aprende."
    ]


def test_spearman_reads_ranks():
    assert spearman([1, 2, 3, 4], [10, 20, 30, 400]) == 1.0
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == -1.0


SMALL = SimConfig(students=8, days=10, warmup_students=8, warmup_days=5)


def test_the_profile_and_the_teachers_list_are_checked_against_the_hidden_truth():
    rows = check_profiles(SMALL)
    assert [r.policy for r in rows] == ["adaptive-filter", "fixed"]
    assert all(-1 <= r.learning_speed <= 1 for r in rows)
    assert all(-1 <= r.forgetting <= 1 for r in rows)
    check = check_teacher_list(replace(SMALL, days=12), classes=1, class_size=10)
    assert check.classes == 1 and 0 <= check.ranking_precision <= 1
    assert 0 <= check.baseline_recall <= 1
