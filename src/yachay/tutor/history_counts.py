"""The history features (:data:`yachay.tutor.data.FEATURE_NAMES`) for serving, fast.

:func:`yachay.tutor.data.history_features` is the reference: a Python loop over the
answers, fine for training data. Serving needs two things from a history, in a few
microseconds each:

- the features of every answer of the history (the sequence model reads them):
  :func:`sequence_features`, vectorised;
- the features each candidate question would have as the *next* answer:
  :class:`HistoryCounts`, the running counts per skill and per question, which also grows
  by one answer without reading the history again (:meth:`HistoryCounts.extended`) — a
  student's next question in a practice round costs an update, not a pass.

Tests check both against the reference.
"""

from __future__ import annotations

import math

import numpy as np

from yachay.tutor.timing import as_seconds, seconds

__all__ = ["FEATURES", "HistoryCounts", "sequence_features"]

#: The features computed here, in order; they must be the ones yachay.tutor.data computes.
FEATURES = (
    "skill_attempts",
    "skill_successes",
    "skill_failures",
    "skill_rate",
    "skill_seen",
    "skill_last",
    "skill_gap",
    "item_attempts",
    "item_last",
    "total_attempts",
    "total_rate",
    "recent_rate",
    "last_seconds",
    "skill_last_seconds",
)
#: ``recent_rate`` is the rate of right answers among the last this many.
RECENT = 5


def _earlier_same(keys: np.ndarray, responses: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per position: earlier positions with the same key, right answers among them, and
    the index of the latest one (-1 if none)."""
    n = len(keys)
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    new_group = np.ones(n, dtype=bool)
    new_group[1:] = sorted_keys[1:] != sorted_keys[:-1]
    starts = np.maximum.accumulate(np.where(new_group, np.arange(n), 0))
    count = np.empty(n, dtype=np.int64)
    count[order] = np.arange(n) - starts
    right_sorted = responses[order]
    before = np.cumsum(right_sorted) - right_sorted
    successes = np.empty(n, dtype=np.int64)
    successes[order] = before - before[starts]
    previous = np.full(n, -1, dtype=np.int64)
    previous[order[1:][~new_group[1:]]] = order[:-1][~new_group[1:]]
    return count, successes, previous


def _write(
    out: np.ndarray,
    attempts: np.ndarray,
    successes: np.ndarray,
    last: np.ndarray,
    last_right: np.ndarray,
    item_attempts: np.ndarray,
    item_last_right: np.ndarray,
    position: np.ndarray | int,
    right_before: np.ndarray | int,
    recent_rate: np.ndarray | float,
    last_seconds: np.ndarray | float,
    skill_last_seconds: np.ndarray,
) -> np.ndarray:
    """The feature formulas, once for both callers: per row, the skill's earlier attempts,
    successes, last position (-1: never) and last response, the question's attempts and last
    response, the row's position, the right answers before it and the recent rate, the
    previous answer's time and the time of the skill's last answer (as seconds features)."""
    seen = last >= 0
    out[:, 0] = np.log1p(attempts)
    out[:, 1] = np.log1p(successes)
    out[:, 2] = np.log1p(attempts - successes)
    out[:, 3] = (successes + 1) / (attempts + 2)
    out[:, 4] = seen
    out[:, 5] = np.where(seen, last_right, 0)
    out[:, 6] = np.where(seen, np.log1p(np.maximum(position - last - 1, 0)), 0.0)
    out[:, 7] = np.log1p(item_attempts)
    out[:, 8] = item_last_right
    out[:, 9] = np.log1p(position)
    out[:, 10] = (right_before + 1) / (position + 2)
    out[:, 11] = recent_rate
    out[:, 12] = last_seconds
    out[:, 13] = np.where(seen, skill_last_seconds, 0.0)
    return out


def sequence_features(
    questions: np.ndarray,
    skills: np.ndarray,
    responses: np.ndarray,
    ms: np.ndarray | None = None,
) -> np.ndarray:
    """The same array as :func:`yachay.tutor.data.history_features`, without a Python loop
    (``ms``: the response times, -1 where unknown; None: no times)."""
    n = len(questions)
    out = np.zeros((n, len(FEATURES)), dtype=np.float32)
    if n == 0:
        return out
    r = responses.astype(np.int64)
    t = np.arange(n)
    att, succ, prev = _earlier_same(skills, r)
    item_att, _, item_prev = _earlier_same(questions, r)
    cum = np.concatenate([[0], np.cumsum(r)])
    k = np.minimum(t, RECENT)
    secs = as_seconds(ms, n)
    return _write(
        out,
        att,
        succ,
        prev,
        r[prev],  # masked where unseen
        item_att,
        np.where(item_prev >= 0, r[item_prev], 0),
        t,
        cum[t],
        np.where(k > 0, (cum[t] - cum[t - k]) / np.maximum(k, 1), 0.5),
        np.concatenate([[0.0], secs[:-1]]),
        secs[prev],  # masked where unseen
    )


class HistoryCounts:
    """Per skill and per question counts of one history: what the next answer's features
    are made of. Immutable (shared between threads): :meth:`extended` returns a new one.

    Arrays are indexed by id; ``sizes`` (questions, skills) presizes them to a model's
    vocabulary so that extending rarely has to grow them.
    """

    __slots__ = (
        "item_attempts",
        "item_last_right",
        "last_seconds",
        "length",
        "recent",
        "right",
        "skill_attempts",
        "skill_last",
        "skill_last_right",
        "skill_last_seconds",
        "skill_successes",
    )

    def __init__(
        self,
        skill_attempts: np.ndarray,
        skill_successes: np.ndarray,
        skill_last: np.ndarray,
        skill_last_right: np.ndarray,
        item_attempts: np.ndarray,
        item_last_right: np.ndarray,
        length: int,
        right: int,
        recent: tuple[int, ...],
        skill_last_seconds: np.ndarray,
        last_seconds: float,
    ) -> None:
        self.skill_attempts = skill_attempts
        self.skill_successes = skill_successes
        self.skill_last = skill_last  # position of the last answer on the skill, -1: none
        self.skill_last_right = skill_last_right
        self.item_attempts = item_attempts
        self.item_last_right = item_last_right
        self.length = length
        self.right = right
        self.recent = recent  # the last RECENT responses
        self.skill_last_seconds = skill_last_seconds  # float64, as_seconds of the last answer
        self.last_seconds = last_seconds  # the history's last answer's, 0.0 if none

    @classmethod
    def of(
        cls,
        questions: np.ndarray,
        skills: np.ndarray,
        responses: np.ndarray,
        sizes: tuple[int, int] = (0, 0),
        *,
        ms: np.ndarray | None = None,
    ) -> HistoryCounts:
        """The counts of a whole history, vectorised (``ms``: response times, -1 where
        unknown; None: no times)."""
        n = len(questions)
        secs = as_seconds(ms, n)
        r = responses.astype(np.int64)
        items = max(sizes[0], int(questions.max(initial=0)) + 1)
        skill_size = max(sizes[1], int(skills.max(initial=0)) + 1)
        positions = np.arange(n)
        skill_last = np.full(skill_size, -1, dtype=np.int64)
        np.maximum.at(skill_last, skills, positions)
        item_last = np.full(items, -1, dtype=np.int64)
        np.maximum.at(item_last, questions, positions)
        seen = skill_last >= 0
        item_seen = item_last >= 0
        return cls(
            np.bincount(skills, minlength=skill_size),
            np.bincount(skills, weights=r, minlength=skill_size).astype(np.int64),
            skill_last,
            np.where(seen, r[np.where(seen, skill_last, 0)] if n else 0, 0),
            np.bincount(questions, minlength=items),
            np.where(item_seen, r[np.where(item_seen, item_last, 0)] if n else 0, 0),
            n,
            int(r.sum()),
            tuple(r[max(0, n - RECENT) :].tolist()),
            np.where(seen, secs[np.where(seen, skill_last, 0)] if n else 0.0, 0.0),
            float(secs[-1]) if n else 0.0,
        )

    def extended(self, question: int, skill: int, right: int, ms: int = -1) -> HistoryCounts:
        """The counts after one more answer (``ms``: its response time, -1 if unknown)."""
        grown = self._sized(question, skill)
        skill_attempts, skill_successes = grown.skill_attempts.copy(), grown.skill_successes.copy()
        skill_last, skill_last_right = grown.skill_last.copy(), grown.skill_last_right.copy()
        item_attempts, item_last_right = grown.item_attempts.copy(), grown.item_last_right.copy()
        skill_last_seconds = grown.skill_last_seconds.copy()
        secs = seconds(ms)
        skill_last_seconds[skill] = secs
        skill_attempts[skill] += 1
        skill_successes[skill] += right
        skill_last[skill] = self.length
        skill_last_right[skill] = right
        item_attempts[question] += 1
        item_last_right[question] = right
        return HistoryCounts(
            skill_attempts,
            skill_successes,
            skill_last,
            skill_last_right,
            item_attempts,
            item_last_right,
            self.length + 1,
            self.right + right,
            (*self.recent, right)[-RECENT:],
            skill_last_seconds,
            secs,
        )

    def features(self, questions: np.ndarray, skills: np.ndarray) -> np.ndarray:
        """``[C, F]`` float32: the features of each (question, skill) as the next answer."""
        counts = self._sized(int(questions.max(initial=0)), int(skills.max(initial=0)))
        out = np.empty((len(questions), len(FEATURES)), dtype=np.float32)
        return _write(
            out,
            counts.skill_attempts[skills],
            counts.skill_successes[skills],
            counts.skill_last[skills],
            counts.skill_last_right[skills],
            counts.item_attempts[questions],
            counts.item_last_right[questions],
            self.length,
            self.right,
            sum(self.recent) / len(self.recent) if self.recent else 0.5,
            self.last_seconds,
            counts.skill_last_seconds[skills],
        )

    def next_features(self, question: int, skill: int) -> np.ndarray:
        """:meth:`features` of a single (question, skill), ``[1, F]``, in plain Python: a
        growing history needs one per answer, and two dozen array operations on one row
        cost ten times the arithmetic. The same formulas as :func:`_write`."""
        if question >= len(self.item_attempts) or skill >= len(self.skill_attempts):
            return self.features(np.array([question]), np.array([skill]))
        attempts, successes = int(self.skill_attempts[skill]), int(self.skill_successes[skill])
        last, position = int(self.skill_last[skill]), self.length
        seen = last >= 0
        row = (
            math.log1p(attempts),
            math.log1p(successes),
            math.log1p(attempts - successes),
            (successes + 1) / (attempts + 2),
            float(seen),
            float(self.skill_last_right[skill]) if seen else 0.0,
            math.log1p(max(position - last - 1, 0)) if seen else 0.0,
            math.log1p(int(self.item_attempts[question])),
            float(self.item_last_right[question]),
            math.log1p(position),
            (self.right + 1) / (position + 2),
            sum(self.recent) / len(self.recent) if self.recent else 0.5,
            self.last_seconds,
            float(self.skill_last_seconds[skill]) if seen else 0.0,
        )
        return np.array([row], dtype=np.float32)

    def _sized(self, question: int, skill: int) -> HistoryCounts:
        """These counts, or a copy with arrays long enough to index ``question``, ``skill``."""
        items, skills = len(self.item_attempts), len(self.skill_attempts)
        if question < items and skill < skills:
            return self

        def grow(array: np.ndarray, size: int, fill: int) -> np.ndarray:
            extra = max(0, size - len(array))
            return np.concatenate([array, np.full(extra, fill, dtype=array.dtype)])

        items, skills = max(items, question + 1), max(skills, skill + 1)
        return HistoryCounts(
            grow(self.skill_attempts, skills, 0),
            grow(self.skill_successes, skills, 0),
            grow(self.skill_last, skills, -1),
            grow(self.skill_last_right, skills, 0),
            grow(self.item_attempts, items, 0),
            grow(self.item_last_right, items, 0),
            self.length,
            self.right,
            self.recent,
            grow(self.skill_last_seconds, skills, 0.0),
            self.last_seconds,
        )
