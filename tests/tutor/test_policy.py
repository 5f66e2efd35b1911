"""The adaptive practice policy on hand-built histories."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

import pytest

from yachay.tutor.domain import AnswerEvent, Catalog, Item, SkillNode
from yachay.tutor.policy import (
    AHEAD,
    CHECK,
    CONFIRM,
    CONTINUE,
    GAP,
    LESSON,
    MAINTAIN,
    NEW,
    REVIEW,
    PolicyConfig,
    frontier,
    next_items,
    questions_after_lesson,
)
from yachay.tutor.review import DueReview

NOW = datetime(2025, 5, 5, 15, 0)

SKILLS = [
    SkillNode("contar", (), 1, "Contar"),
    SkillNode("sumar", ("contar",), 1, "Sumar"),
    SkillNode("restar", ("contar",), 1, "Restar"),
    SkillNode("multiplicar", ("sumar",), 2, "Multiplicar"),
    SkillNode("dividir", ("multiplicar",), 2, "Dividir"),
]


def catalog() -> Catalog:
    items = [Item(f"{s.id}-{d}", (s.id,), d, s.grade) for s in SKILLS for d in (1, 2, 3, 4, 5)]
    return Catalog.build(items, SKILLS)


class SkillTable:
    """P(right) = the item's own entry, else the skill's level, 0.1 lower per difficulty step."""

    def __init__(self, levels: Mapping[str, float], items: Mapping[str, float] = ()) -> None:
        self.levels = dict(levels)
        self.items = dict(items)
        self.calls = 0

    def predict(
        self, history: Sequence[tuple[str, bool]], candidate_ids: Sequence[str]
    ) -> dict[str, float]:
        self.calls += 1
        out = {}
        for i in candidate_ids:
            if i in self.items:
                out[i] = self.items[i]
            else:
                skill, difficulty = i.rsplit("-", 1)
                level = self.levels.get(skill, 0.5) + 0.1 * (3 - int(difficulty))
                out[i] = min(0.99, max(0.01, level))
        return out


def answers(*item_ids: str, correct: bool = True, at: datetime | None = None) -> list:
    # by default older than confirmations look back (`PolicyConfig.confirm_days`)
    at = at or NOW - timedelta(days=20)
    return [AnswerEvent(i, correct, at + timedelta(seconds=30 * n)) for n, i in enumerate(item_ids)]


MASTERED_CONTAR = answers("contar-1", "contar-2", "contar-3")


def skills_of(choices) -> list[str]:
    return [c.skill for c in choices]


def test_only_skills_whose_prerequisites_are_mastered_are_taught():
    first = next_items([], catalog(), SkillTable({}), NOW, 5)
    assert skills_of(first) == ["contar"] * 5
    assert {c.reason for c in first} == {NEW}

    table = SkillTable({"contar": 0.95})
    later = next_items(MASTERED_CONTAR, catalog(), table, NOW, 4)
    assert skills_of(later) == ["sumar", "restar", "sumar", "restar"]  # interleaved
    assert "multiplicar" not in skills_of(next_items(MASTERED_CONTAR, catalog(), table, NOW, 10))


def test_a_started_skill_comes_before_a_new_one():
    history = [*MASTERED_CONTAR, *answers("restar-1")]
    table = SkillTable({"contar": 0.95, "restar": 0.6})
    got = next_items(history, catalog(), table, NOW, 2)
    assert [(c.skill, c.reason) for c in got] == [("restar", CONTINUE), ("sumar", NEW)]


def test_the_item_closest_to_the_band_centre_is_chosen():
    table = SkillTable(
        {},
        {"contar-1": 0.95, "contar-2": 0.88, "contar-3": 0.72, "contar-4": 0.45, "contar-5": 0.3},
    )
    got = next_items([], catalog(), table, NOW, 3)
    assert [c.item_id for c in got] == ["contar-3", "contar-2", "contar-4"]
    assert got[0].predicted == pytest.approx(0.72)

    # nothing in the band: the nearest to it
    low = SkillTable(
        {}, {f"contar-{d}": p for d, p in zip(range(1, 6), (0.5, 0.4, 0.3, 0.2, 0.1), strict=True)}
    )
    assert next_items([], catalog(), low, NOW, 1)[0].item_id == "contar-1"


def test_the_predictor_reads_the_answers_with_their_response_times():
    seen = []

    class Recording(SkillTable):
        def predict(self, history, candidate_ids):  # noqa: ANN001, ANN201
            seen.append(list(history))
            return super().predict(history, candidate_ids)

    history = [
        AnswerEvent("contar-1", True, NOW - timedelta(days=1), 2300),
        AnswerEvent("contar-2", False, NOW - timedelta(days=1), None),
    ]
    next_items(history, catalog(), Recording({}), NOW, 3)
    questions_after_lesson(["sumar"], history, catalog(), Recording({}), NOW, 2)
    assert seen and all(h == [("contar-1", True, 2300), ("contar-2", False, None)] for h in seen)


def test_recently_seen_items_are_avoided():
    table = SkillTable({"contar": 0.2}, {"contar-3": 0.7, "contar-2": 0.8})
    an_hour_ago = answers("contar-3", at=NOW - timedelta(hours=1))
    assert next_items(an_hour_ago, catalog(), table, NOW, 1)[0].item_id == "contar-2"

    # seen long ago and many answers back: fine again
    long_ago = answers("contar-3", at=NOW - timedelta(days=3)) + answers(
        *[f"restar-{d}" for d in (1, 2, 3, 4, 5)] * 5, at=NOW - timedelta(days=2)
    )
    assert next_items(long_ago, catalog(), table, NOW, 1)[0].item_id == "contar-3"

    # a bare (item, correct) history: the count rule alone
    pairs = [("contar-3", False), ("contar-1", True)]
    assert next_items(pairs, catalog(), table, NOW, 1)[0].item_id == "contar-2"
    off = PolicyConfig(recent_answers=0, recent_hours=0)
    assert next_items(pairs, catalog(), table, NOW, 1, config=off)[0].item_id == "contar-3"


def test_when_every_item_was_seen_lately_the_least_recent_are_asked():
    history = answers(*[f"contar-{d}" for d in (3, 1, 2, 5, 4)], at=NOW - timedelta(minutes=5))
    table = SkillTable({}, {"contar-4": 0.7, "contar-5": 0.7})  # the latest: not again
    got = next_items(history, catalog(), table, NOW, 3)
    assert sorted(c.item_id for c in got) == ["contar-1", "contar-2", "contar-3"]


def test_due_reviews_come_first():
    table = SkillTable({"contar": 0.95})
    due = [DueReview("contar", NOW - timedelta(days=1), 1.0, 0.85)]
    got = next_items(MASTERED_CONTAR, catalog(), table, NOW, 3, due_reviews=due)
    assert [(c.skill, c.reason) for c in got] == [
        ("contar", REVIEW),
        ("sumar", NEW),
        ("restar", NEW),
    ]
    assert next_items(MASTERED_CONTAR, catalog(), table, NOW, 3, due_reviews=["contar"]) == got

    capped = PolicyConfig(max_reviews=0)
    no_review = next_items(
        MASTERED_CONTAR, catalog(), table, NOW, 3, due_reviews=due, config=capped
    )
    assert REVIEW not in {c.reason for c in no_review}


def test_a_due_skill_no_longer_known_is_taught_not_reviewed():
    forgotten = SkillTable({"contar": 0.5})
    got = next_items(MASTERED_CONTAR, catalog(), forgotten, NOW, 2, due_reviews=["contar"])
    assert [(c.skill, c.reason) for c in got] == [("contar", CONTINUE)] * 2


def test_a_presumed_skill_that_passed_its_check_is_not_reviewed():
    table = SkillTable({"sumar": 0.9, "multiplicar": 0.3})
    checked = answers("sumar-3")  # one right answer on an earlier grade's skill: a check
    got = next_items(checked, catalog(), table, NOW, 3, grade=2, due_reviews=["sumar"])
    assert REVIEW not in {c.reason for c in got}, "nothing was taught there to review"

    taught = answers("sumar-1", "sumar-2", "sumar-3", "sumar-4")
    got = next_items(taught, catalog(), table, NOW, 3, grade=2, due_reviews=["sumar"])
    assert (got[0].skill, got[0].reason) == ("sumar", REVIEW)

    own_grade = SkillTable({"multiplicar": 0.9, "dividir": 0.3})
    got = next_items(
        answers("multiplicar-3"), catalog(), own_grade, NOW, 3, grade=2, due_reviews=["multiplicar"]
    )
    assert (got[0].skill, got[0].reason) == ("multiplicar", REVIEW)


def test_earlier_grades_are_presumed_and_their_prerequisites_checked():
    table = SkillTable({"multiplicar": 0.3, "sumar": 0.6})
    got = next_items([], catalog(), table, NOW, 4, grade=2)
    # one question checks the presumed prerequisite, then the grade's own skill
    assert [(c.skill, c.reason) for c in got] == [
        ("sumar", CHECK),
        ("multiplicar", NEW),
        ("multiplicar", NEW),
        ("multiplicar", NEW),
    ]

    passed = answers("sumar-3")
    got = next_items(passed, catalog(), table, NOW, 3, grade=2)
    assert {(c.skill, c.reason) for c in got} == {("multiplicar", NEW)}

    failed = answers("sumar-3", correct=False)
    got = next_items(failed, catalog(), table, NOW, 3, grade=2)
    # a gap: taught before what builds on it, its own prerequisite checked first
    assert [(c.skill, c.reason) for c in got] == [
        ("contar", CHECK),
        ("sumar", GAP),
        ("sumar", GAP),
    ]


def test_frontier_order_and_skills_ahead_of_the_grade():
    grade_one_done = SkillTable({"contar": 0.95, "sumar": 0.95, "restar": 0.95})
    history = answers(*[f"{s}-{d}" for s in ("contar", "sumar", "restar") for d in (1, 2, 3)])
    from yachay.tutor.mastery import skill_mastery

    mastery = skill_mastery(history, catalog(), grade_one_done)
    assert frontier(mastery, catalog(), grade=1) == [("multiplicar", AHEAD)]
    got = next_items(history, catalog(), grade_one_done, NOW, 2, grade=1)
    assert {(c.skill, c.reason) for c in got} == {("multiplicar", AHEAD)}


def test_with_everything_mastered_the_least_known_skills_are_kept_fresh():
    levels = {"contar": 0.99, "sumar": 0.9, "restar": 0.95, "multiplicar": 0.97, "dividir": 0.92}
    history = answers(
        *[f"{s.id}-{d}" for s in SKILLS for d in (1, 2, 3)], at=NOW - timedelta(days=20)
    )
    got = next_items(history, catalog(), SkillTable(levels), NOW, 2)
    assert [(c.skill, c.reason) for c in got] == [("sumar", MAINTAIN), ("dividir", MAINTAIN)]


def test_questions_after_a_lesson_practise_its_skills():
    table = SkillTable({"dividir": 0.7, "restar": 0.7})
    got = questions_after_lesson(
        ["dividir", "restar"], [], catalog(), table, NOW, 3, exclude={"dividir-3"}
    )
    assert [c.skill for c in got] == ["dividir", "restar", "dividir"]
    assert {c.reason for c in got} == {LESSON}
    assert "dividir-3" not in {c.item_id for c in got}
    assert questions_after_lesson(["no-such-skill"], [], catalog(), table, NOW) == []


def test_choices_are_deterministic_and_rounds_never_repeat_an_item():
    table = SkillTable({"contar": 0.95, "sumar": 0.55, "restar": 0.65})
    history = [*MASTERED_CONTAR, *answers("sumar-2", "restar-4")]
    one = next_items(history, catalog(), table, NOW, 8)
    two = next_items(list(history), catalog(), table, NOW, 8)
    assert one == two
    assert len({c.item_id for c in one}) == len(one) == 8
    assert next_items(history, catalog(), table, NOW, 0) == []


class Counting(SkillTable):
    """Reads the history: a skill's level grows 0.1 with each right answer on it."""

    def predict(self, history, candidate_ids):
        right: dict[str, int] = {}
        for item_id, correct, *_ in history:
            skill = item_id.rsplit("-", 1)[0]
            right[skill] = right.get(skill, 0) + int(correct)
        self.levels = {s: 0.4 + 0.1 * n for s, n in right.items()}
        return super().predict(history, candidate_ids)


CONTAR_5 = ("contar-1", "contar-2", "contar-3", "contar-4", "contar-5")


def test_a_skill_mastered_in_its_last_sitting_is_confirmed_once_in_a_later_one():
    yesterday = answers(*CONTAR_5, at=NOW - timedelta(days=1))
    got = next_items(yesterday, catalog(), Counting({}), NOW, 5)
    assert (got[0].skill, got[0].reason) == ("contar", CONFIRM)
    # one confirmation or review a round: the rest is learning
    assert {c.reason for c in got[1:]} == {NEW}
    assert {c.skill for c in got[1:]} == {"sumar", "restar"}

    # answered again today: confirmed, nothing more to ask
    confirmed = yesterday + answers("contar-5", at=NOW - timedelta(hours=9))
    assert CONFIRM not in {c.reason for c in next_items(confirmed, catalog(), Counting({}), NOW, 5)}


def test_no_confirmation_within_the_sitting_nor_long_after_nor_when_off():
    for history, config in (
        (answers(*CONTAR_5, at=NOW - timedelta(minutes=30)), None),  # the same sitting
        (answers(*CONTAR_5, at=NOW - timedelta(days=15)), None),  # beyond confirm_days
        (answers(*CONTAR_5, at=NOW - timedelta(days=1)), PolicyConfig(confirm_days=0)),
    ):
        got = next_items(history, catalog(), Counting({}), NOW, 5, config=config)
        assert CONFIRM not in {c.reason for c in got}


def test_a_skill_mastered_before_its_last_sitting_needs_no_confirmation():
    # mastered three days ago; yesterday's single answer kept it so: nothing crossed then
    history = answers(*CONTAR_5, at=NOW - timedelta(days=3)) + answers(
        "contar-5", at=NOW - timedelta(days=1)
    )
    got = next_items(history, catalog(), Counting({}), NOW, 5)
    assert CONFIRM not in {c.reason for c in got}
