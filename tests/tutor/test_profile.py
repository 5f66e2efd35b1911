"""The learner profile: what a teacher reads about how a child learns."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from yachay.tutor.domain import AnswerEvent, Catalog, Item, SkillNode
from yachay.tutor.profile import describe, learner_profile
from yachay.tutor.simulation import SimConfig
from yachay.tutor.simulation.profile_check import check_profiles, spearman
from yachay.tutor.simulation.teacher_list import check_teacher_list

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


def test_errors_on_coming_back_after_days_read_as_forgetting():
    session = answers("suma", [3] * 4, [True] * 4)
    back = [answers("suma", [3, 3], [False, True], day=d) for d in (2, 4, 6)]
    forgetful = learner_profile(session + [a for b in back for a in b], CATALOG)
    kept = [answers("suma", [3, 3], [True, True], day=d) for d in (2, 4, 6)]
    steady = learner_profile(session + [a for b in kept for a in b], CATALOG)
    assert forgetful.forgetting > steady.forgetting


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
    check = check_teacher_list(replace(SMALL, days=12), classes=1, class_size=10)
    assert check.classes == 1 and 0 <= check.ranking_precision <= 1
    assert 0 <= check.baseline_recall <= 1
