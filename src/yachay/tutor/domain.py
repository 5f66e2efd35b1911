"""The tutor's domain types: what it knows about content and a student.

The tutor's policies (`policy`, `review`, `needs_tutor`) take plain data, never database rows:

- `Item`: a question a student can be asked (its skills, difficulty 1–5 and grade);
- `SkillNode`: a skill with its prerequisites (the pack's skill graph);
- `AnswerEvent`: one graded answer (item, right or wrong, when, how fast, in which call);
- `Catalog`: the items and skills, indexed once (build it when content changes, not per call);
- `Predictor`: anything with ``predict(history, candidates) -> {item_id: P(right)}``, where
  ``history`` is the student's answers, oldest first, as ``(item_id, correct,
  response_ms)`` (`as_answers`; ``(item_id, correct)`` pairs are accepted too, with the
  times unknown) — the serving model (`TutorService`) has this shape.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Protocol

__all__ = [
    "AnswerEvent",
    "Answered",
    "Catalog",
    "History",
    "Item",
    "Predictor",
    "SkillNode",
    "as_answers",
    "as_utc",
]


@dataclass(frozen=True)
class Item:
    """A question a student can be asked: hand-written or generated from a template."""

    id: str
    skills: tuple[str, ...]
    difficulty: int = 3
    grade: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "skills", tuple(self.skills))


@dataclass(frozen=True)
class SkillNode:
    """A skill of the graph. ``name`` is what teachers and parents read (Spanish)."""

    id: str
    prerequisites: tuple[str, ...] = ()
    grade: int = 1
    name: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "prerequisites", tuple(self.prerequisites))
        if not self.name:
            object.__setattr__(self, "name", self.id)


@dataclass(frozen=True)
class AnswerEvent:
    """One graded answer. ``at`` is UTC (naive datetimes are read as UTC, as the DB stores)."""

    item_id: str
    correct: bool
    at: datetime
    response_ms: int | None = None
    call_sid: str | None = None


#: One answer as a predictor reads it: ``(item_id, correct, response_ms)``, the time in
#: milliseconds or None when unknown; or ``(item_id, correct)``, the time unknown.
Answered = tuple[str, bool, int | None] | tuple[str, bool]

#: A student's answers, oldest first: events, or bare ``(item_id, correct[, response_ms])``.
History = Sequence[AnswerEvent] | Sequence[Answered]


class Predictor(Protocol):
    """What the policies need of a model: `serving.TutorService` has this shape."""

    def predict(
        self, history: Sequence[Answered], candidates: Sequence[str], /
    ) -> Mapping[str, float]:
        """P(right) for each candidate item if it were asked next, given ``history``."""
        ...


def as_answers(history: History) -> Sequence[Answered]:
    """``(item_id, correct, response_ms)``: what a predictor is handed (a list of tuples is
    returned as it is: a predictor reads pairs as answers of unknown time)."""
    if isinstance(history, list) and (not history or isinstance(history[0], tuple)):
        return history
    return [
        (h.item_id, bool(h.correct), h.response_ms) if isinstance(h, AnswerEvent) else tuple(h)
        for h in history
    ]


def as_utc(moment: datetime) -> datetime:
    """An aware UTC datetime; a naive one is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class Catalog:
    """Items and skills, indexed. Skills in ``skills`` order are the curriculum order.

    A skill that items name but ``skills`` lacks is added with no prerequisites, so a
    stray id never breaks a policy; prerequisites naming unknown skills are ignored.
    """

    items: tuple[Item, ...]
    skills: tuple[SkillNode, ...]
    per_skill: int = 8

    @classmethod
    def build(
        cls, items: Iterable[Item], skills: Iterable[SkillNode], per_skill: int = 8
    ) -> Catalog:
        items = tuple(items)
        nodes = list(skills)
        known = {s.id for s in nodes}
        grades: dict[str, int] = {}
        for item in items:
            for skill in item.skills:
                if skill not in known:
                    grades[skill] = min(grades.get(skill, item.grade), item.grade)
        nodes += [SkillNode(s, (), g) for s, g in grades.items()]
        known |= set(grades)
        nodes = [
            SkillNode(n.id, tuple(p for p in n.prerequisites if p in known), n.grade, n.name)
            for n in nodes
        ]
        return cls(items, tuple(nodes), per_skill)

    @cached_property
    def item(self) -> dict[str, Item]:
        return {i.id: i for i in self.items}

    @cached_property
    def skill(self) -> dict[str, SkillNode]:
        return {s.id: s for s in self.skills}

    @cached_property
    def order(self) -> dict[str, int]:
        """Position of each skill in the curriculum (``skills`` order)."""
        return {s.id: n for n, s in enumerate(self.skills)}

    @cached_property
    def items_of(self) -> dict[str, tuple[Item, ...]]:
        """Items per skill, easiest first (then by id)."""
        by_skill: dict[str, list[Item]] = defaultdict(list)
        for item in self.items:
            for skill in item.skills:
                by_skill[skill].append(item)
        return {
            s.id: tuple(sorted(by_skill.get(s.id, ()), key=lambda i: (i.difficulty, i.id)))
            for s in self.skills
        }

    @cached_property
    def dependents(self) -> dict[str, tuple[str, ...]]:
        """Skills that list each skill as a prerequisite."""
        out: dict[str, list[str]] = defaultdict(list)
        for node in self.skills:
            for p in node.prerequisites:
                out[p].append(node.id)
        return {s.id: tuple(out.get(s.id, ())) for s in self.skills}

    @cached_property
    def representatives(self) -> dict[str, tuple[str, ...]]:
        """Up to ``per_skill`` item ids per skill, evenly spread over its items by difficulty."""
        out = {}
        for skill, items in self.items_of.items():
            if len(items) <= self.per_skill:
                out[skill] = tuple(i.id for i in items)
            else:
                step = len(items) / self.per_skill
                out[skill] = tuple(
                    items[int(k * step + step / 2)].id for k in range(self.per_skill)
                )
        return out

    @cached_property
    def representative_ids(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for ids in self.representatives.values():
            seen.update(dict.fromkeys(ids))
        return tuple(seen)
