"""Per-skill mastery from a predictor, and the catalog the tutor's policies read."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

import pytest

from yachay.tutor.domain import AnswerEvent, Catalog, Item, SkillNode, as_answers
from yachay.tutor.mastery import MasteryRule, attempts_by_skill, mastery_by_skill, skill_mastery

NOW = datetime(2025, 5, 5, 15, 0)


class FnPredictor:
    """P(right) = fn(history, item_id); counts its calls."""

    def __init__(self, fn: Callable[[Sequence[tuple[str, bool]], str], float]) -> None:
        self.fn = fn
        self.calls = 0

    def predict(
        self, history: Sequence[tuple[str, bool]], candidate_ids: Sequence[str]
    ) -> Mapping[str, float]:
        self.calls += 1
        return {i: self.fn(history, i) for i in candidate_ids}


def catalog() -> Catalog:
    items = [
        Item("sum-1", ("sumas",), 1),
        Item("sum-2", ("sumas",), 3),
        Item("sum-3", ("sumas",), 5),
        Item("frac-1", ("fracciones",), 2),
        Item("frac-2", ("fracciones",), 4),
    ]
    skills = [SkillNode("sumas", (), 1, "Sumas"), SkillNode("fracciones", ("sumas",), 3)]
    return Catalog.build(items, skills)


def test_mastery_is_the_mean_prediction_over_the_skill_items_in_one_call():
    table = {"sum-1": 0.9, "sum-2": 0.8, "sum-3": 0.7, "frac-1": 0.5, "frac-2": 0.3}
    predictor = FnPredictor(lambda h, i: table[i])
    got = mastery_by_skill([], catalog(), predictor)
    assert got == pytest.approx({"sumas": 0.8, "fracciones": 0.4})
    assert list(got) == ["sumas", "fracciones"]  # catalog order
    assert predictor.calls == 1


def test_mastered_needs_the_threshold_and_enough_answers():
    predictor = FnPredictor(lambda h, i: 0.9 if i.startswith("sum") else 0.2)
    history = [AnswerEvent("sum-1", True, NOW), AnswerEvent("sum-2", True, NOW)]
    two = skill_mastery(history, catalog(), predictor)
    assert two["sumas"].estimate == pytest.approx(0.9)
    assert (two["sumas"].attempts, two["sumas"].right) == (2, 2)
    assert not two["sumas"].mastered  # a prior is not evidence: three answers needed
    assert two["sumas"].words == "está aprendiendo"
    assert two["fracciones"].words == "todavía no empieza"

    three = skill_mastery([*history, AnswerEvent("sum-3", False, NOW)], catalog(), predictor)
    assert three["sumas"].mastered and three["sumas"].words == "domina"
    assert three["sumas"].right == 2

    strict = skill_mastery(history, catalog(), predictor, MasteryRule(threshold=0.95))
    assert not strict["sumas"].mastered


def test_histories_may_be_events_or_tuples():
    events = [AnswerEvent("sum-1", True, NOW, 2500), AnswerEvent("frac-1", False, NOW)]
    pairs = [("sum-1", True), ("frac-1", False)]
    timed = [("sum-1", True, 2500), ("frac-1", False, None)]
    # what a predictor is handed: the response times too
    assert as_answers(events) == timed
    assert as_answers(timed) is timed and as_answers(pairs) is pairs
    assert as_answers(tuple(pairs)) == pairs
    counts = {"sumas": (1, 1), "fracciones": (1, 0)}
    for history in (events, pairs, timed):
        assert attempts_by_skill(history, catalog()) == counts


def test_catalog_repairs_what_it_can():
    built = Catalog.build(
        [Item("q1", ("a",), 2, grade=2), Item("q2", ("stray",), 3, grade=4)],
        [SkillNode("a", ("unknown",), 2)],
    )
    assert built.skill["a"].prerequisites == ()  # unknown prerequisite ignored
    assert built.skill["stray"].grade == 4  # a skill only items name is added
    assert built.skill["a"].name == "a"
    assert built.dependents == {"a": (), "stray": ()}


def test_representatives_spread_over_difficulties():
    items = [Item(f"q{n:02d}", ("s",), 1 + n // 8) for n in range(40)]
    built = Catalog.build(items, [SkillNode("s")], per_skill=5)
    reps = built.representatives["s"]
    assert len(reps) == 5
    assert sorted(built.item[i].difficulty for i in reps) == [1, 2, 3, 4, 5]
    assert built.representative_ids == reps
