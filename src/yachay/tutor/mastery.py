"""Per-skill mastery from a predictor (the types it reads: :mod:`yachay.tutor.domain`).

**Mastery** of a skill is the mean predicted P(right) over the skill's items: "if we asked
any question of this skill now, how likely is a right answer". A skill is *mastered* when
that mean reaches `MasteryRule.threshold` (0.8) **and** the student answered at least
`MasteryRule.min_attempts` (3) of its questions: a model's prior for a skill never
practised is a guess about children in general, not evidence about this child. The mean
includes guessing (a four-choice question is right a quarter of the time by chance), so
0.8 means the child answers most questions of the skill, hard ones included.

For skills with many items only `Catalog.representatives` (up to eight per skill, spread
over the difficulties, chosen deterministically) are scored, so a mastery report costs one
predictor call of a few hundred candidates, whatever the size of the item bank.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from yachay.tutor.domain import Catalog, History, Predictor, as_answers

__all__ = [
    "LEVEL_WORDS",
    "MasteryRule",
    "SkillMastery",
    "attempts_by_skill",
    "level_words",
    "mastery_by_skill",
    "skill_mastery",
]


@dataclass(frozen=True)
class MasteryRule:
    #: Mean predicted P(right) over the skill's items at which it counts as mastered.
    threshold: float = 0.8
    #: Answers on the skill needed before it can count as mastered.
    min_attempts: int = 3


LEVEL_WORDS = {
    "mastered": "domina",
    "learning": "está aprendiendo",
    "not_started": "todavía no empieza",
}


@dataclass(frozen=True)
class SkillMastery:
    skill: str
    #: Mean predicted P(right) over the skill's items (0–1).
    estimate: float
    #: Answers the student gave on the skill's items, and how many were right.
    attempts: int
    mastered: bool
    right: int = 0

    @property
    def level(self) -> str:
        """One of "mastered", "learning" (answered some, not mastered), "not_started"."""
        if self.mastered:
            return "mastered"
        return "learning" if self.attempts else "not_started"

    @property
    def words(self) -> str:
        """The level in words for progress reports: "domina", "está aprendiendo", ..."""
        return LEVEL_WORDS[self.level]


def level_words(mastery: SkillMastery) -> str:
    return mastery.words


def attempts_by_skill(history: History, catalog: Catalog) -> dict[str, tuple[int, int]]:
    """``(answers, right answers)`` per skill."""
    answers: dict[str, int] = defaultdict(int)
    right: dict[str, int] = defaultdict(int)
    for item_id, correct, *_ in as_answers(history):
        answers[item_id] += 1
        if correct:
            right[item_id] += 1
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    items = catalog.item
    for item_id, n in answers.items():
        item = items.get(item_id)
        if item is not None:
            for skill in item.skills:
                c = counts[skill]
                c[0] += n
                c[1] += right[item_id]
    return {s: (n, r) for s, (n, r) in counts.items()}


def mastery_by_skill(
    history: History,
    catalog: Catalog,
    predictor: Predictor,
    skills: Iterable[str] | None = None,
) -> dict[str, float]:
    """Mean predicted P(right) over each skill's (representative) items, in catalog order.

    Skills without items are left out. One predictor call.
    """
    reps = catalog.representatives
    if skills is None:
        wanted = [s.id for s in catalog.skills if reps[s.id]]
        ids = list(catalog.representative_ids)
    else:
        wanted = [s for s in skills if reps.get(s)]
        ids = list(dict.fromkeys(i for s in wanted for i in reps[s]))
    if not ids:
        return {}
    predicted = predictor.predict(as_answers(history), ids)
    return {s: float(sum(map(predicted.__getitem__, reps[s]))) / len(reps[s]) for s in wanted}


def skill_mastery(
    history: History,
    catalog: Catalog,
    predictor: Predictor,
    rule: MasteryRule = MasteryRule(),
    skills: Iterable[str] | None = None,
) -> dict[str, SkillMastery]:
    """Estimate, attempts and mastered-or-not per skill (see the module docstring)."""
    estimates = mastery_by_skill(history, catalog, predictor, skills)
    attempts = attempts_by_skill(history, catalog)
    out = {}
    for s, p in estimates.items():
        n, right = attempts.get(s, (0, 0))
        out[s] = SkillMastery(s, p, n, n >= rule.min_attempts and p >= rule.threshold, right)
    return out
