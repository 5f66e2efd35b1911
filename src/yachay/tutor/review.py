"""Spaced review per (student, skill) with FSRS (the ``fsrs`` package).

Each skill a student has practised is one FSRS card. **A call is one review of each skill
it touched**: FSRS models memory tests spaced in time, and the first question of a skill in
a call is that test — the later ones in the same call are rehearsal. The call's rating:

- **Again** when the first answer on the skill was wrong, or fewer than half were right;
- **Hard** when the first answer was right but slow (`ReviewConfig.slow_ms`, 20 s);
- **Easy** when at least three answers were all right and all fast (`fast_ms`, 6 s);
- **Good** otherwise (a right answer with no response time is Good).

Response times on the phone include listening to the choices, hence the generous limits.
Answers without a ``call_sid`` are grouped by UTC day. While a call goes on, each new answer
re-rates the call from the card as it was before the call, so recording answer by answer
or all at once gives the same card.

The scheduler has **no learning steps**: FSRS's default steps (1 and 10 minutes) make
sense for flashcards, not for ringing a child back; every review is due a whole number of
days later (at least one). Fuzzing is off, so schedules are deterministic. Desired
retention is 0.9, the longest interval half a year.

`ReviewState` is the per-student state, serialisable with `to_json`/`from_json` (or
`to_dict`/`from_dict`) for a JSON column. `due_reviews` feeds `policy.next_items`;
`students_due_for_review` lists who to ring for a review call.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fsrs import Card, Rating, Scheduler

from yachay.tutor.domain import AnswerEvent, Catalog, as_utc

__all__ = [
    "SCHEDULER",
    "DueReview",
    "ReviewConfig",
    "ReviewState",
    "StudentDue",
    "call_rating",
    "due_reviews",
    "students_due_for_review",
]

SCHEDULER = Scheduler(
    desired_retention=0.9,
    learning_steps=(),
    relearning_steps=(),
    maximum_interval=180,
    enable_fuzzing=False,
)

STATE_VERSION = 1


@dataclass(frozen=True)
class ReviewConfig:
    #: A right answer at most this fast (ms) counts as fluent.
    fast_ms: int = 6000
    #: A right answer slower than this (ms) was hard.
    slow_ms: int = 20000
    #: Right-and-fast answers needed in one call for an Easy rating.
    easy_answers: int = 3


def call_rating(
    answers: Iterable[tuple[bool, int | None]], config: ReviewConfig | None = None
) -> Rating:
    """The FSRS rating of one call's answers on one skill, ``(correct, response_ms)`` in order."""
    config = config or ReviewConfig()
    answers = list(answers)
    if not answers:
        raise ValueError("a call with no answers is no review")
    first_right, first_ms = answers[0]
    right = sum(1 for correct, _ in answers if correct)
    if not first_right or 2 * right < len(answers):
        return Rating.Again
    if first_ms is not None and first_ms > config.slow_ms:
        return Rating.Hard
    if (
        len(answers) >= config.easy_answers
        and right == len(answers)
        and all(ms is not None and ms <= config.fast_ms for _, ms in answers)
    ):
        return Rating.Easy
    return Rating.Good


@dataclass
class _Track:
    """One skill's card, plus the call being rated now (to re-rate it as answers arrive)."""

    card: Card
    before: Card | None = None
    call: str | None = None
    started: datetime | None = None
    answers: list[tuple[bool, int | None]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "card": self.card.to_dict(),
            "before": self.before.to_dict() if self.before else None,
            "call": self.call,
            "started": self.started.isoformat() if self.started else None,
            "answers": [[c, ms] for c, ms in self.answers],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> _Track:
        return cls(
            card=Card.from_dict(data["card"]),
            before=Card.from_dict(data["before"]) if data.get("before") else None,
            call=data.get("call"),
            started=datetime.fromisoformat(data["started"]) if data.get("started") else None,
            answers=[(bool(c), None if ms is None else int(ms)) for c, ms in data["answers"]],
        )


@dataclass(frozen=True)
class DueReview:
    skill: str
    due: datetime
    #: Days past due (0 on the day it falls due).
    overdue_days: float
    #: FSRS's estimate that the child still remembers the skill now.
    retrievability: float


class ReviewState:
    """One student's FSRS cards, one per practised skill."""

    def __init__(
        self,
        scheduler: Scheduler = SCHEDULER,
        config: ReviewConfig | None = None,
    ) -> None:
        self.scheduler = scheduler
        self.config = config or ReviewConfig()
        self.tracks: dict[str, _Track] = {}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ReviewState) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    @property
    def cards(self) -> dict[str, Card]:
        return {skill: t.card for skill, t in self.tracks.items()}

    def record(self, event: AnswerEvent, skills: Iterable[str]) -> None:
        """Take one answer on an item of ``skills`` into account (answers in time order)."""
        at = as_utc(event.at)
        call = event.call_sid or f"day:{at.date().isoformat()}"
        for skill in dict.fromkeys(skills):
            track = self.tracks.get(skill)
            if track is None:
                card = Card(card_id=zlib.crc32(skill.encode()), due=at)
                track = self.tracks[skill] = _Track(card=card)
            if track.call != call:
                track.before = track.card if track.call is not None else None
                track.call, track.started, track.answers = call, at, []
            track.answers.append((bool(event.correct), event.response_ms))
            before = track.before or Card(card_id=track.card.card_id, due=track.started)
            rating = call_rating(track.answers, self.config)
            track.card, _ = self.scheduler.review_card(before, rating, track.started)

    def record_all(self, events: Iterable[AnswerEvent], catalog: Catalog) -> None:
        """Record answers (oldest first); items the catalog does not know are skipped."""
        for event in events:
            item = catalog.item.get(event.item_id)
            if item is not None:
                self.record(event, item.skills)

    @classmethod
    def from_history(
        cls,
        events: Iterable[AnswerEvent],
        catalog: Catalog,
        scheduler: Scheduler = SCHEDULER,
        config: ReviewConfig | None = None,
    ) -> ReviewState:
        state = cls(scheduler, config)
        state.record_all(events, catalog)
        return state

    def due(self, now: datetime, skills: Iterable[str] | None = None) -> list[DueReview]:
        return due_reviews(self, now, skills)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            "skills": {skill: t.to_dict() for skill, t in sorted(self.tracks.items())},
        }

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, Any],
        scheduler: Scheduler = SCHEDULER,
        config: ReviewConfig | None = None,
    ) -> ReviewState:
        if data.get("version") != STATE_VERSION:
            raise ValueError(f"unknown review state version {data.get('version')!r}")
        state = cls(scheduler, config)
        state.tracks = {skill: _Track.from_dict(t) for skill, t in data["skills"].items()}
        return state

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_json(
        cls, text: str, scheduler: Scheduler = SCHEDULER, config: ReviewConfig | None = None
    ) -> ReviewState:
        return cls.from_dict(json.loads(text), scheduler, config)


def due_reviews(
    state: ReviewState, now: datetime, skills: Iterable[str] | None = None
) -> list[DueReview]:
    """Skills due for review at ``now``, most overdue first (then by skill id).

    ``skills`` limits the answer to those skills (e.g. the ones still mastered).
    """
    now = as_utc(now)
    wanted = None if skills is None else set(skills)
    out = []
    for skill, track in state.tracks.items():
        if wanted is not None and skill not in wanted:
            continue
        due = as_utc(track.card.due)
        if due <= now:
            out.append(
                DueReview(
                    skill,
                    due,
                    (now - due).total_seconds() / 86400,
                    float(state.scheduler.get_card_retrievability(track.card, now)),
                )
            )
    return sorted(out, key=lambda d: (d.due, d.skill))


@dataclass(frozen=True)
class StudentDue:
    student_id: Hashable
    #: Due skills, most overdue first.
    skills: tuple[str, ...]
    #: Days the most overdue one is past due.
    overdue_days: float


def students_due_for_review(
    states: Mapping[Any, ReviewState], now: datetime, min_skills: int = 1
) -> list[StudentDue]:
    """Students with at least ``min_skills`` reviews due: who to ring for a review call.

    Most overdue first, then more skills due first, then by student id.
    """
    out = []
    for student_id, state in states.items():
        due = due_reviews(state, now)
        if len(due) >= max(1, min_skills):
            out.append(StudentDue(student_id, tuple(d.skill for d in due), due[0].overdue_days))
    return sorted(out, key=lambda s: (-s.overdue_days, -len(s.skills), str(s.student_id)))
