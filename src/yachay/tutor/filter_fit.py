"""Fitting the skill filter (:mod:`yachay.tutor.skill_filter`) on logged answers: the
numbers `yachay tutor train` registers with a version, and the simulation's filter rows.

:func:`fit_filter` chooses, by the log loss of each answer predicted from the answers
before it, the filter's difficulty step, learning rate and jump, a prior per relation of
skill to the student's grade (below, at, above), and the `QuickRule` that reads response
times. :func:`filter_predictions` predicts every answer of a log the same way (the
holdout AUC the promotion gate compares).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np

from yachay.tutor.domain import Catalog
from yachay.tutor.skill_filter import (
    RELATIONS,
    QuickRule,
    SkillFilter,
    _learn,
    _normalise,
    _quick_curve,
    filter_from_fitted,
    filter_priors,
    relation,
)

__all__ = [
    "DYNAMICS",
    "FILTER_GRID",
    "QUICK_GRID",
    "fit_filter",
    "fit_quick_rule",
    "fit_skill_filter",
    "filter_predictions",
]

#: A student's grade and answers ``(item, correct[, response_ms])``, oldest first.
GradedHistory = tuple[int | None, Sequence[tuple]]


FILTER_GRID = {
    "step": (0.7, 1.0, 1.5, 2.0),
    "learn": (0.1, 0.2, 0.4),
    "jump": (1, 2, 4),
    "prior": (-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0),
}


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


#: The numbers that say how children learn and answer (not where they start): what a
#: version keeps of the served filter unless told to refit them (`fit_filter`'s ``keep``).
DYNAMICS = ("step", "learn", "jump", *QuickRule.FITTED)


def fit_filter(
    histories: Sequence[GradedHistory],
    catalog: Catalog,
    keep: Mapping[str, float] | None = None,
) -> dict[str, float]:
    """The filter's numbers and its quick rule, fitted on ``histories``.

    With ``keep`` (a served filter's numbers), its `DYNAMICS` are kept and only the priors
    are fitted. Why: on the answers the adaptive policy chose itself (at the edge of what
    each child can do, where children learn fastest), the fit finds faster learning and a
    different quick line, and the filter then calls skills mastered before they hold until
    the next call; in the simulation that cost 2.94 -> 2.66 skills mastered per hour (seed
    0; 2.99 -> 2.51 on seed 1). The priors (where a child of each grade starts) do not
    have that feedback loop.
    """
    known = [(g if g is not None else 0, h) for g, h in histories]
    if keep and all(k in keep for k in ("step", "learn", "jump")):
        grid = {k: (keep[k],) for k in ("step", "learn", "jump")} | {"prior": FILTER_GRID["prior"]}
        priors = fit_skill_filter(known, catalog, grid)
        kept = {k: float(keep[k]) for k in DYNAMICS if k in keep}
        return {k: float(v) for k, v in priors.items()} | kept
    fitted = fit_skill_filter(known, catalog)
    quick = fit_quick_rule(known, catalog, fitted)
    return fitted | (quick.as_fitted() if quick else {})


def filter_predictions(
    histories: Sequence[GradedHistory], catalog: Catalog, fitted: Mapping[str, float]
) -> tuple[np.ndarray, np.ndarray]:
    """``(right, P(right))`` of every answer of ``histories`` on a catalog question, each
    predicted by the filter from the answers before it."""
    y, p = [], []
    for grade, history in histories:
        f = filter_from_fitted(catalog, grade, fitted)
        for n, answer in enumerate(history):
            if answer[0] not in catalog.item:
                continue
            p.append(f.predict(history[:n], [answer[0]])[answer[0]])
            y.append(bool(answer[1]))
    return np.array(y, dtype=float), np.array(p, dtype=float)
