"""The skill filter: a per-skill Bayesian knowledge filter over a latent ability, the
predictor that decides what a child practises (a served version carries its fitted
numbers, :mod:`yachay.tutor.filter_fit` fits them).

Each skill has a belief over ability on a grid; a question's difficulty level sets how
hard it is at each ability, every answer updates the belief (Bayes), and practice may move
ability up. Every question of a skill reads the same pooled belief, so a few answers say
something about all of the skill's questions, most never asked. The prior depends on
where the skill stands for the student: below, at or above their grade.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from yachay.tutor.domain import Catalog

__all__ = [
    "RELATIONS",
    "QuickRule",
    "SkillFilter",
    "filter_from_fitted",
    "filter_priors",
    "relation",
]


@dataclass(frozen=True)
class QuickRule:
    """What response times say about ability: an answer given within ``ms`` is *quick*, and
    ``P(quick | theta) = sigmoid(slope (theta - step (d - 3)) + offset)`` for an item of
    level ``d``. Right answers are read so; wrong ones too with ``wrong_too``.
    `fit_quick_rule` chooses all four."""

    ms: float
    slope: float
    offset: float
    #: Whether wrong answers are read too (with the same curve), or only right ones.
    wrong_too: bool = False

    #: Its fields as `fit_skill_filter`'s dict of fitted numbers holds them.
    FITTED = ("quick_ms", "quick_slope", "quick_offset", "quick_wrong_too")

    def as_fitted(self) -> dict[str, float]:
        values = (self.ms, self.slope, self.offset, float(self.wrong_too))
        return dict(zip(self.FITTED, values, strict=True))

    @classmethod
    def from_fitted(cls, fitted: Mapping[str, float]) -> QuickRule | None:
        if cls.FITTED[0] not in fitted:
            return None
        ms, slope, offset, wrong_too = (fitted[k] for k in cls.FITTED)
        return cls(ms, slope, offset, bool(wrong_too))


class SkillFilter:
    """Per-skill Bayesian knowledge filter: the adaptive policy's predictor in the simulator.

    Each skill has a belief over a latent ability ``theta`` (a grid from -4 to 4). An item
    of difficulty level ``d`` is answered right with ``guess + (1 - guess - slip)
    sigmoid(theta - step (d - 3))``; each answer updates the belief (Bayes), then practice
    may move ability up ``jump`` grid cells with probability ``learn`` (a multi-level
    Bayesian knowledge tracing). An item of several skills averages their beliefs. The
    prior is a normal belief around ``prior``. It knows nothing of prerequisites or
    forgetting, never sees hidden knowledge, and replays the history it is given
    (remembering how far it got: a growing history costs one step per new answer).
    `fit_skill_filter` chooses ``step``, ``prior``, ``learn`` and ``jump`` from logged answers.

    With ``quick`` (a `QuickRule`) it also reads response times: a history's answers may
    be ``(item, correct, response_ms)``, and an answer counts as more or less evidence of
    ability depending on whether it was quick.
    """

    GRID = np.linspace(-4, 4, 33)

    def __init__(
        self,
        catalog: Catalog,
        step: float = 1.5,
        prior: float | Sequence[float] = 0.0,
        learn: float = 0.4,
        jump: int = 2,
        spread: float = 1.5,
        guess: float = 0.25,
        slip: float = 0.05,
        quick: QuickRule | None = None,
    ) -> None:
        self.catalog = catalog
        self._arrays = a = _item_arrays(catalog)
        levels = np.arange(-2.0, 3.0)
        self._emission = guess + (1 - guess - slip) / (
            1 + np.exp(-(self.GRID[None, :] - step * levels[:, None]))
        )
        centre = np.broadcast_to(np.asarray(prior, dtype=float), (len(catalog.skills),))
        belief = np.exp(-0.5 * ((self.GRID[None, :] - centre[:, None]) / spread) ** 2)
        self._prior = _normalise(belief)  # skills x grid
        self.quick = quick
        self._quick = None if quick is None else _quick_curve(quick, step, self.GRID)
        self._learn, self._jump = learn, int(jump)
        self._level = [int(level) + 2 for level in a.level]
        self._level_array = np.array(self._level)
        self._reset()

    def _reset(self) -> None:
        self._belief = self._prior.copy()
        self._seen: list[tuple] = []  # the answers read, as given

    def _sync(self, history: Sequence[tuple[str, bool]]) -> None:
        done = len(self._seen)
        if done > len(history) or (done and tuple(history[done - 1]) != self._seen[-1]):
            self._reset()
            done = 0
        a, belief = self._arrays, self._belief
        for answer in history[done:]:
            item_id, correct = answer[0], bool(answer[1])
            self._seen.append((item_id, correct, *answer[2:]))
            r = a.row.get(item_id)
            if r is None:
                continue
            level = self._level[r]
            emission = self._emission[level]
            likelihood = emission if correct else 1 - emission
            if (
                self._quick is not None
                and len(answer) > 2
                and answer[2] is not None
                and (correct or self.quick.wrong_too)
            ):
                quick = self._quick[level]
                likelihood = likelihood * (quick if answer[2] <= self.quick.ms else 1 - quick)
            for s in a.skills[r]:
                belief[s] = _learn(_normalise(belief[s] * likelihood), self._learn, self._jump)

    def predict(
        self, history: Sequence[tuple[str, bool]], candidate_ids: Sequence[str], /
    ) -> dict[str, float]:
        self._sync(history)
        a = self._arrays
        rows = np.fromiter(
            map(a.row.__getitem__, candidate_ids), dtype=int, count=len(candidate_ids)
        )
        if a.single is not None:
            belief = self._belief[a.single[rows]]
        else:
            # the mean of the item's skills' beliefs, summed in the same order for equal
            # items (a BLAS product rounds differently with its blocking and threads, and
            # then ties between equal questions break differently from run to run)
            padded = np.vstack([self._belief, np.zeros((1, self._belief.shape[1]))])
            belief = padded[a.padded[rows]].sum(axis=1) / a.count[rows, None]
        p = np.einsum("ij,ij->i", belief, self._emission[self._level_array[rows]])
        return dict(zip(candidate_ids, p.tolist(), strict=True))


def _quick_curve(rule: QuickRule, step: float, grid: np.ndarray) -> np.ndarray:
    """P(quick) per difficulty level and ability: ``[levels, grid]``."""
    levels = np.arange(-2.0, 3.0)
    return 1 / (1 + np.exp(-(rule.slope * (grid[None, :] - step * levels[:, None]) + rule.offset)))


def _normalise(belief: np.ndarray) -> np.ndarray:
    return belief / belief.sum(axis=-1, keepdims=True)


def _learn(belief: np.ndarray, learn: float | np.ndarray, jump: int) -> np.ndarray:
    """Move probability mass ``learn`` up ``jump`` cells (the top cell keeps what overflows)."""
    moved = belief * (1 - learn)
    moved[..., jump:] += belief[..., :-jump] * learn
    moved[..., -1:] += belief[..., -jump:].sum(axis=-1, keepdims=True) * learn
    return moved


@dataclass(frozen=True)
class _ItemArrays:
    row: dict[str, int]
    skills: list[tuple[int, ...]]
    level: list[float]
    #: Each item's skills' rows, padded with the row past the last skill (a row of zeros).
    padded: np.ndarray
    #: How many skills each item has.
    count: np.ndarray
    #: Each item's skill, when every item has exactly one (else None).
    single: np.ndarray | None


_ARRAYS: dict[int, tuple[Catalog, _ItemArrays]] = {}


def _item_arrays(catalog: Catalog) -> _ItemArrays:
    cached = _ARRAYS.get(id(catalog))
    if cached is not None and cached[0] is catalog:
        return cached[1]
    index = {s.id: n for n, s in enumerate(catalog.skills)}
    skills = [tuple(index[s] for s in item.skills) for item in catalog.items]
    widest = max((len(ss) for ss in skills), default=1)
    padded = np.full((len(skills), widest), len(catalog.skills), dtype=int)
    for n, ss in enumerate(skills):
        padded[n, : len(ss)] = ss
    arrays = _ItemArrays(
        {item.id: n for n, item in enumerate(catalog.items)},
        skills,
        [item.difficulty - 3.0 for item in catalog.items],
        padded,
        np.array([max(1, len(ss)) for ss in skills], dtype=float),
        np.array([ss[0] for ss in skills], dtype=int)
        if all(len(ss) == 1 for ss in skills)
        else None,
    )
    _ARRAYS.clear()  # one catalog at a time is all a run needs
    _ARRAYS[id(catalog)] = (catalog, arrays)
    return arrays


#: Where a skill stands for a student: below, at or above the student's grade.
RELATIONS = ("below", "at", "above")


def relation(skill_grade: int, student_grade: int) -> int:
    return 0 if skill_grade < student_grade else 1 if skill_grade == student_grade else 2


def filter_priors(catalog: Catalog, grade: int, fitted: Mapping[str, float]) -> list[float]:
    """Each skill's prior ability for a student of ``grade``: the fitted prior of its relation."""
    return [fitted.get(f"prior_{RELATIONS[relation(s.grade, grade)]}", 0.0) for s in catalog.skills]


def filter_from_fitted(
    catalog: Catalog, grade: int | None, fitted: Mapping[str, float]
) -> SkillFilter:
    """The filter with ``fitted`` numbers (:func:`yachay.tutor.filter_fit.fit_filter`) for a
    student of ``grade`` (None: every skill gets the prior of the student's own grade)."""
    if grade is None:
        prior: float | list[float] = fitted.get("prior_at", 0.0)
    else:
        prior = filter_priors(catalog, grade, fitted)
    return SkillFilter(
        catalog,
        step=fitted.get("step", 1.5),
        prior=prior,
        learn=fitted.get("learn", 0.2),
        jump=int(fitted.get("jump", 2)),
        quick=QuickRule.from_fitted(fitted),
    )
