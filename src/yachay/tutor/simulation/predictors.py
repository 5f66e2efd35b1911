"""Predictors the simulated policies read: the adaptive policy's `SkillFilter` (fitted on
a warm-up cohort's answers) and the oracle's view of the hidden knowledge."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from yachay.tutor.domain import Catalog
from yachay.tutor.simulation.world import Student, World

# --- predictors ----------------------------------------------------------------------


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
            belief = a.weights[rows] @ self._belief
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
    weights: np.ndarray
    #: Each item's skill, when every item has exactly one (else None).
    single: np.ndarray | None


_ARRAYS: dict[int, tuple[Catalog, _ItemArrays]] = {}


def _item_arrays(catalog: Catalog) -> _ItemArrays:
    cached = _ARRAYS.get(id(catalog))
    if cached is not None and cached[0] is catalog:
        return cached[1]
    index = {s.id: n for n, s in enumerate(catalog.skills)}
    skills = [tuple(index[s] for s in item.skills) for item in catalog.items]
    weights = np.zeros((len(catalog.items), len(catalog.skills)))
    for n, ss in enumerate(skills):
        weights[n, list(ss)] = 1 / len(ss)
    arrays = _ItemArrays(
        {item.id: n for n, item in enumerate(catalog.items)},
        skills,
        [item.difficulty - 3.0 for item in catalog.items],
        weights,
        np.array([ss[0] for ss in skills], dtype=int)
        if all(len(ss) == 1 for ss in skills)
        else None,
    )
    _ARRAYS.clear()  # one catalog at a time is all a run needs
    _ARRAYS[id(catalog)] = (catalog, arrays)
    return arrays


FILTER_GRID = {
    "step": (0.7, 1.0, 1.5, 2.0),
    "learn": (0.1, 0.2, 0.4),
    "jump": (1, 2, 4),
    "prior": (-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0),
}

#: Where a skill stands for a student: below, at or above the student's grade.
RELATIONS = ("below", "at", "above")


def relation(skill_grade: int, student_grade: int) -> int:
    return 0 if skill_grade < student_grade else 1 if skill_grade == student_grade else 2


def filter_priors(catalog: Catalog, grade: int, fitted: Mapping[str, float]) -> list[float]:
    """Each skill's prior ability for a student of ``grade``: the fitted prior of its relation."""
    return [fitted.get(f"prior_{RELATIONS[relation(s.grade, grade)]}", 0.0) for s in catalog.skills]


def fit_skill_filter(
    histories: Sequence[tuple[int, Sequence[tuple]]],
    catalog: Catalog,
    grid: Mapping[str, Sequence[float]] = FILTER_GRID,
) -> dict[str, float]:
    """`SkillFilter` parameters with the lowest log loss on ``histories`` (``(student grade,
    answers)``, an answer being ``(item, correct[, response_ms])``), each answer predicted
    from the answers before it.

    A grid search vectorised over the grid: ``step``, ``learn`` and ``jump`` are shared; the
    prior is chosen separately for skills below, at and above the student's grade (the
    filter treats skills independently, so the log loss splits by skill).
    """
    shared = [k for k in grid if k != "prior"]
    keys = ["jump", *(k for k in grid if k != "jump")]  # jump outermost: contiguous groups
    combos = [
        dict(zip(keys, values, strict=True))
        for values in itertools.product(*(grid[k] for k in keys))
    ]
    filters = [SkillFilter(catalog, c["step"], c["prior"], c["learn"], c["jump"]) for c in combos]
    emission = np.stack([f._emission for f in filters], axis=1)  # level x combo x grid
    prior = np.stack([f._prior[0] for f in filters])  # combo x grid
    learn = np.array([c["learn"] for c in combos])[:, None]
    jumps = []
    for j in grid["jump"]:
        rows = [n for n, c in enumerate(combos) if c["jump"] == j]
        jumps.append((int(j), slice(rows[0], rows[-1] + 1)))
    a = filters[0]._arrays
    level = filters[0]._level
    skill_grade = [s.grade for s in catalog.skills]
    loss = np.zeros((len(combos), len(RELATIONS)))
    for grade, history in histories:
        belief = np.tile(prior, (len(catalog.skills), 1, 1))
        for item_id, correct, *_ in history:
            r = a.row.get(item_id)
            if r is None:
                continue
            skills = list(a.skills[r])
            e = emission[level[r]]
            p = (belief[skills].mean(axis=0) * e).sum(axis=-1)
            loss[:, relation(skill_grade[skills[0]], grade)] -= np.log(p if correct else 1 - p)
            likelihood = e if correct else 1 - e
            for s in skills:
                b = _normalise(belief[s] * likelihood)
                for j, rows in jumps:
                    belief[s, rows] = _learn(b[rows], learn[rows], j)
    best: tuple[float, dict[str, float]] | None = None
    groups: dict[tuple, list[int]] = {}
    for n, c in enumerate(combos):
        groups.setdefault(tuple(c[k] for k in shared), []).append(n)
    for values, rows in groups.items():
        key = dict(zip(shared, values, strict=True))
        total, fitted = 0.0, dict(key)
        for rel, name in enumerate(RELATIONS):
            n = min(rows, key=lambda n, rel=rel: loss[n, rel])
            total += loss[n, rel]
            fitted[f"prior_{name}"] = combos[n]["prior"]
        fitted = {k: fitted[k] for k in [*shared, *(f"prior_{r}" for r in RELATIONS)]}
        if best is None or total < best[0]:
            best = (total, fitted)
    assert best is not None
    return best[1]


#: Where the quick/slow line is tried (percentiles of the answers' response times), and
#: the slopes and offsets of P(quick | ability); each with and without wrong answers.
QUICK_GRID = {
    "percentile": (25.0, 33.0, 50.0, 67.0),
    "slope": (0.5, 1.0, 2.0, 4.0, 8.0, 16.0),
    "offset": (-6.0, -5.0, -4.0, -3.0, -2.0, -1.0, 0.0, 1.0),
}


def fit_quick_rule(
    histories: Sequence[tuple[int, Sequence[tuple]]],
    catalog: Catalog,
    fitted: Mapping[str, float],
    grid: Mapping[str, Sequence[float]] = QUICK_GRID,
) -> QuickRule | None:
    """The `QuickRule` with which the filter ``fitted`` (`fit_skill_filter`) best predicts
    each answer of ``histories`` (``(grade, [(item, correct, response_ms), ...])``) from
    the answers before it, the same log loss `fit_skill_filter` minimises; vectorised over
    the grid. None when the answers carry no response times or no rule predicts better
    than reading none."""
    times = np.array([a[2] for _, h in histories for a in h if len(a) > 2 and a[2] is not None])
    if not len(times):
        return None
    step, learn, jump = (
        fitted.get("step", 1.5),
        fitted.get("learn", 0.2),
        int(fitted.get("jump", 2)),
    )
    rules = [None] + [
        QuickRule(float(np.percentile(times, percentile)), slope, offset, wrong_too)
        for percentile in grid["percentile"]
        for slope in grid["slope"]
        for offset in grid["offset"]
        for wrong_too in (False, True)
    ]
    curves = np.stack(
        [np.full((5, len(SkillFilter.GRID)), 0.5)]  # no rule: quick or not, the same
        + [_quick_curve(rule, step, SkillFilter.GRID) for rule in rules[1:]]
    )  # rule x level x grid
    lines = np.array([np.inf] + [rule.ms for rule in rules[1:]])
    wrong_too = np.array([False] + [rule.wrong_too for rule in rules[1:]])
    plain = SkillFilter(catalog, step=step)
    emission, level, a = plain._emission, plain._level, plain._arrays  # emission: level x grid
    loss = np.zeros(len(rules))
    for grade, history in histories:
        prior = SkillFilter(catalog, step=step, prior=filter_priors(catalog, grade, fitted))._prior
        belief = np.repeat(prior[:, None, :], len(rules), axis=1)  # skill x rule x grid
        for answer in history:
            item_id, correct = answer[0], bool(answer[1])
            r = a.row.get(item_id)
            if r is None:
                continue
            skills, e = list(a.skills[r]), emission[level[r]]
            p = (belief[skills].mean(axis=0) * e).sum(axis=-1)
            loss -= np.log(p if correct else 1 - p)
            likelihood = np.broadcast_to(e if correct else 1 - e, (len(rules), len(e)))
            ms = answer[2] if len(answer) > 2 else None
            if ms is not None:
                quick = curves[:, level[r]]
                factor = np.where((ms <= lines)[:, None], quick, 1 - quick)
                if not correct:  # only the rules that read wrong answers
                    factor = np.where(wrong_too[:, None], factor, 1.0)
                likelihood = likelihood * factor
            for s in skills:
                belief[s] = _learn(_normalise(belief[s] * likelihood), learn, jump)
    best = int(np.argmin(loss))
    return rules[best]


class TruePredictor:
    """The true P(right) now, read from the hidden state."""

    def __init__(self, world: World, student: Student) -> None:
        self.world = world
        self.student = student

    def predict(
        self, history: Sequence[tuple[str, bool]], candidate_ids: Sequence[str], /
    ) -> dict[str, float]:
        rows = np.fromiter(
            map(self.world.row.__getitem__, candidate_ids), dtype=int, count=len(candidate_ids)
        )
        p = self.world.p_correct(self.student.k, rows)
        return dict(zip(candidate_ids, p.tolist(), strict=True))
