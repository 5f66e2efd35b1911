"""Spaced review per skill with FSRS."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from fsrs import Rating

from yachay.tutor.domain import AnswerEvent, Catalog, Item, SkillNode
from yachay.tutor.review import (
    ReviewState,
    call_rating,
    due_reviews,
    students_due_for_review,
)

MONDAY = datetime(2025, 5, 5, 21, 0)  # naive UTC, as the database stores it


def catalog() -> Catalog:
    items = [
        Item("sum-1", ("sumas",)),
        Item("mix-1", ("sumas", "restas")),
        Item("res-1", ("restas",)),
    ]
    return Catalog.build(items, [SkillNode("sumas"), SkillNode("restas")])


def call(state: ReviewState, sid: str, at: datetime, *answers: tuple[bool, int | None]) -> None:
    for n, (correct, ms) in enumerate(answers):
        state.record(
            AnswerEvent("sum-1", correct, at + timedelta(seconds=30 * n), ms, sid), ["sumas"]
        )


@pytest.mark.parametrize(
    ("answers", "rating"),
    [
        ([(False, 3000)], Rating.Again),
        ([(True, 3000), (False, 4000), (False, 4000)], Rating.Again),  # mostly wrong
        ([(True, 25000)], Rating.Hard),
        ([(True, 9000)], Rating.Good),
        ([(True, None)], Rating.Good),
        ([(True, 3000), (True, 4000)], Rating.Good),  # fluent, but only two answers
        ([(True, 3000), (True, 4000), (True, 5000)], Rating.Easy),
        ([(True, 3000), (True, 4000), (True, None)], Rating.Good),
    ],
)
def test_a_call_rating_comes_from_its_answers(answers, rating):
    assert call_rating(answers) == rating


def test_a_wrong_answer_brings_the_review_sooner_than_a_right_one():
    due = {}
    for label, answer in {
        "wrong": (False, 4000),
        "slow": (True, 30000),
        "right": (True, 8000),
    }.items():
        state = ReviewState()
        call(state, "CA1", MONDAY, answer)
        due[label] = state.cards["sumas"].due
    assert due["wrong"] < due["right"]
    assert due["wrong"] <= due["slow"] <= due["right"]
    assert due["wrong"] - MONDAY.replace(tzinfo=UTC) >= timedelta(days=1)  # never minutes


def test_intervals_grow_with_successful_reviews():
    state = ReviewState()
    at = MONDAY
    intervals = []
    for n in range(4):
        call(state, f"CA{n}", at, (True, 8000))
        due = state.cards["sumas"].due
        intervals.append(due - at.replace(tzinfo=UTC))
        at = due.replace(tzinfo=None)
    assert intervals == sorted(intervals) and intervals[-1] > intervals[0]


def test_answer_by_answer_or_all_at_once_gives_the_same_card():
    one = ReviewState()
    call(one, "CA1", MONDAY, (True, 3000))
    call(one, "CA1", MONDAY + timedelta(seconds=30), (False, 3000), (False, 3000))
    together = ReviewState()
    call(together, "CA1", MONDAY, (True, 3000), (False, 3000), (False, 3000))
    assert one == together
    assert one.cards["sumas"].due == together.cards["sumas"].due


def test_the_state_round_trips_through_json():
    state = ReviewState.from_history(
        [
            AnswerEvent("mix-1", True, MONDAY, 4000, "CA1"),
            AnswerEvent("res-1", False, MONDAY + timedelta(minutes=1), 9000, "CA1"),
            AnswerEvent("nope", True, MONDAY, None, "CA1"),  # unknown item: skipped
            AnswerEvent("sum-1", True, MONDAY + timedelta(days=2), None, None),
        ],
        catalog(),
    )
    text = state.to_json()
    json.loads(text)  # plain JSON for a JSON column
    back = ReviewState.from_json(text)
    assert back == state
    assert set(back.cards) == {"sumas", "restas"}
    later = MONDAY + timedelta(days=30)
    assert back.due(later) == state.due(later)
    # a call recorded after the round trip continues the same way
    for s in (state, back):
        s.record(AnswerEvent("sum-1", False, later, 5000, "CA9"), ["sumas"])
    assert back == state
    with pytest.raises(ValueError, match="version"):
        ReviewState.from_dict({"version": 99, "skills": {}})


def test_due_reviews_most_overdue_first():
    state = ReviewState()
    call(state, "CA1", MONDAY, (True, 8000))  # due in two days
    state.record(AnswerEvent("res-1", False, MONDAY, 5000, "CA1"), ["restas"])  # due tomorrow
    assert due_reviews(state, MONDAY) == []
    two_days = MONDAY + timedelta(days=2)
    due = due_reviews(state, two_days)
    assert [d.skill for d in due] == ["restas", "sumas"]
    assert due[0].overdue_days == pytest.approx(1.0)
    assert 0 < due[0].retrievability < 1
    assert [d.skill for d in state.due(two_days, skills=["sumas"])] == ["sumas"]
    aware = two_days.replace(tzinfo=UTC)
    assert due_reviews(state, aware) == due


def test_students_due_for_a_review_call():
    def student(*wrong_days_ago: int) -> ReviewState:
        state = ReviewState()
        for n, days in enumerate(wrong_days_ago):
            skill = ("sumas", "restas")[n]
            at = MONDAY - timedelta(days=days)
            state.record(AnswerEvent(f"{skill[:3]}-1", False, at, 5000, f"CA{n}"), [skill])
        return state

    states = {"ana": student(2), "luis": student(5, 1), "rosa": student(0), "eva": student(2, 2)}
    got = students_due_for_review(states, MONDAY)
    assert [(s.student_id, s.skills) for s in got] == [
        ("luis", ("sumas", "restas")),
        ("eva", ("restas", "sumas")),
        ("ana", ("sumas",)),
    ]
    assert got[0].overdue_days == pytest.approx(4.0)
    two = students_due_for_review(states, MONDAY, min_skills=2)
    assert [s.student_id for s in two] == ["luis", "eva"]
