"""Ranking students for a teacher's callback, with reasons a teacher understands."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import pytest

from yachay.tutor.domain import AnswerEvent, Catalog, Item, SkillNode
from yachay.tutor.needs_tutor import (
    CallRecord,
    NeedsTutorConfig,
    StudentActivity,
    rank_students,
    signals_for,
)

NOW = datetime(2025, 6, 2, 22, 0)


def catalog() -> Catalog:
    items = [Item(f"sum-{n}", ("sumas",), 1 + n % 5) for n in range(6)] + [
        Item(f"frac-{n}", ("fracciones",), 1 + n % 5, 4) for n in range(6)
    ]
    skills = [
        SkillNode("sumas", (), 1, "Sumas"),
        SkillNode("fracciones", ("sumas",), 4, "Fracciones"),
    ]
    return Catalog.build(items, skills)


class RecentAccuracy:
    """P(right) on a skill = the share right of the student's last 20 answers on it."""

    def __init__(self) -> None:
        self.skill = {i.id: i.skills[0] for i in catalog().items}

    def predict(
        self, history: Sequence[tuple[str, bool]], candidate_ids: Sequence[str]
    ) -> dict[str, float]:
        out = {}
        for i in candidate_ids:
            mine = [a[1] for a in history if self.skill.get(a[0]) == self.skill[i]][-20:]
            out[i] = sum(mine) / len(mine) if mine else 0.5
        return out


def answers(prefix: str, results: str, at: datetime) -> list[AnswerEvent]:
    """``results`` like "1101": right, right, wrong, right — a minute apart."""
    return [
        AnswerEvent(f"{prefix}-{n % 6}", r == "1", at + timedelta(minutes=n), 4000, "CA")
        for n, r in enumerate(results)
    ]


def calls(*spec: tuple[int, int, bool]) -> list[CallRecord]:
    """(days ago, seconds, ended mid-lesson) each."""
    return [
        CallRecord(f"CA{n}", NOW - timedelta(days=days), seconds, mid)
        for n, (days, seconds, mid) in enumerate(spec)
    ]


ANA = StudentActivity("ana", answers("frac", "010011010100", NOW - timedelta(days=3)))
LUIS = StudentActivity(
    "luis",
    answers("sum", "11110111101111011110", NOW - timedelta(days=10))  # 16 of 20: 80 %
    + answers("sum", "10100101101010110110", NOW - timedelta(days=2)),  # last 20: 55 %
)
ROSA = StudentActivity(
    "rosa",
    answers("sum", "111", NOW - timedelta(days=1)),
    calls(
        (1, 40, True),
        (3, 75, True),
        (5, 300, False),
        (6, 20, True),
        (8, 50, False),  # short, but it ended with a goodbye
        (20, 30, True),  # too long ago
    ),
)
EVA = StudentActivity("eva", answers("sum", "111111111111", NOW - timedelta(days=1)))


def test_students_are_ranked_with_reasons_in_spanish():
    ranked = rank_students([EVA, ANA, ROSA, LUIS], catalog(), RecentAccuracy(), NOW)
    assert [s.student_id for s in ranked] == ["luis", "rosa", "ana"]  # eva is fine
    luis, rosa, ana = ranked
    assert "Su dominio de «Sumas» bajó de 80 % a 55 % esta semana." in luis.reasons
    assert "Respondió 40 preguntas de «Sumas» sin llegar a dominarlas." in luis.reasons
    assert rosa.reasons == [
        "En las últimas dos semanas, 3 de sus 5 llamadas se cortaron a mitad de la lección, "
        "antes de 90 segundos."
    ]
    assert ana.reasons == ["Respondió 12 preguntas de «Fracciones» sin llegar a dominarlas."]
    assert luis.score > rosa.score > ana.score > 0
    assert [
        s.student_id for s in rank_students([ANA, ROSA], catalog(), RecentAccuracy(), NOW, limit=1)
    ] == ["rosa"]


def test_signals_name_their_kind_and_skill():
    signals = signals_for(LUIS, catalog(), RecentAccuracy(), NOW)
    assert [(s.kind, s.skill) for s in signals] == [("stuck", "sumas"), ("falling", "sumas")]
    assert signals[1].score == pytest.approx(1.5 * 0.25 / 0.15)


def test_thresholds_are_settings():
    few = NeedsTutorConfig(stuck_attempts=13)
    assert signals_for(ANA, catalog(), RecentAccuracy(), NOW, few) == []
    week = NeedsTutorConfig(calls_window_days=7, short_call_seconds=60)
    (signal,) = signals_for(ROSA, catalog(), RecentAccuracy(), NOW, week)
    assert signal.reason == (
        "En la última semana, 2 de sus 4 llamadas se cortaron a mitad de la lección, "
        "antes de un minuto."
    )


def test_answers_after_now_and_unknown_items_are_ignored():
    future = StudentActivity("x", answers("frac", "0" * 12, NOW + timedelta(days=1)))
    assert signals_for(future, catalog(), RecentAccuracy(), NOW) == []
    unknown = StudentActivity("y", [AnswerEvent("nope", False, NOW, None, "CA")] * 12)
    assert rank_students([unknown], catalog(), RecentAccuracy(), NOW) == []
