"""The history features: what a student's earlier answers say about the answer asked next.

:data:`FEATURE_NAMES` is the one list of them; :func:`history_features` gives every answer
of a history its features (training, evaluation, and the history serving reads), and
:func:`next_features` the ones each candidate question would have as the next answer
(serving). Both come from one definition (:class:`_RunningCounts`). The counts span the
student's whole history, so they survive cutting a long history into windows.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import log1p
from typing import TYPE_CHECKING

import numpy as np

from yachay.tutor.response_times import seconds

if TYPE_CHECKING:
    from yachay.tutor.data import StudentSequence

__all__ = [
    "FEATURE_NAMES",
    "UNTIMED_FEATURES",
    "feature_count",
    "history_features",
    "next_features",
]

FEATURE_NAMES = (
    "skill_attempts",  # log1p of earlier answers on this skill
    "skill_successes",  # log1p of earlier right answers on this skill
    "skill_failures",  # log1p of earlier wrong answers on this skill
    "skill_rate",  # (successes + 1) / (attempts + 2) on this skill
    "skill_seen",  # 1 if the skill was answered before
    "skill_last",  # the last response on this skill (0 if never)
    "skill_gap",  # log1p of answers since the last one on this skill (0 if never)
    "item_attempts",  # log1p of earlier answers on this very question
    "item_last",  # the last response on this question (0 if never)
    "total_attempts",  # log1p of all earlier answers
    "total_rate",  # (all successes + 1) / (all attempts + 2)
    "recent_rate",  # mean of the last 5 responses (0.5 with none)
    # Response times (see seconds()): 0 when unknown, and in data without times.
    "last_seconds",  # the time of the answer just before
    "skill_last_seconds",  # the time of the last answer on this skill (0 if never)
)
#: The features that do not need response times: a model trained on data without any
#: (the three-line files) reads only these, the first ones of FEATURE_NAMES.
UNTIMED_FEATURES = FEATURE_NAMES.index("last_seconds")


def feature_count(sequences: Sequence[StudentSequence]) -> int:
    """How many of FEATURE_NAMES a model trained on ``sequences`` reads: all of them when
    the data carries response times, the untimed ones when none does (a column that is 0
    everywhere teaches nothing, and leaving it out keeps such a model what it was)."""
    timed = any(s.ms is not None for s in sequences)
    return len(FEATURE_NAMES) if timed else UNTIMED_FEATURES


class _RunningCounts:
    """What :data:`FEATURE_NAMES` are computed from, answer by answer: one definition of the
    features for both a history's own answers and the questions that could come next."""

    def __init__(self) -> None:
        self.skill_att: dict[int, int] = {}
        self.skill_succ: dict[int, int] = {}
        self.skill_last: dict[int, tuple[int, int]] = {}  # skill -> (position, response)
        self.skill_seconds: dict[int, float] = {}
        self.item_att: dict[int, int] = {}
        self.item_last: dict[int, int] = {}
        self.total_succ = 0
        self.recent: list[int] = []
        self.last_seconds = 0.0

    def row(self, t: int, q: int, s: int) -> list[float]:
        """The features of question ``q`` (skill ``s``) asked at position ``t``."""
        att, succ = self.skill_att.get(s, 0), self.skill_succ.get(s, 0)
        last = self.skill_last.get(s)
        recent = self.recent
        seen, last_response, gap = (
            (0.0, 0.0, 0.0)
            if last is None
            else (
                1.0,
                last[1],
                log1p(t - last[0] - 1),
            )
        )
        return [
            log1p(att),
            log1p(succ),
            log1p(att - succ),
            (succ + 1) / (att + 2),
            seen,
            last_response,
            gap,
            log1p(self.item_att.get(q, 0)),
            self.item_last.get(q, 0),
            log1p(t),
            (self.total_succ + 1) / (t + 2),
            sum(recent) / len(recent) if recent else 0.5,
            self.last_seconds if t else 0.0,
            self.skill_seconds.get(s, 0.0),
        ]

    def add(self, t: int, q: int, s: int, r: int, secs: float) -> None:
        """Count the answer ``r`` to ``q`` (skill ``s``) at position ``t``."""
        self.skill_att[s] = self.skill_att.get(s, 0) + 1
        self.skill_succ[s] = self.skill_succ.get(s, 0) + r
        self.skill_last[s] = (t, r)
        self.skill_seconds[s] = secs
        self.item_att[q] = self.item_att.get(q, 0) + 1
        self.item_last[q] = r
        self.total_succ += r
        self.recent.append(r)
        if len(self.recent) > 5:
            self.recent.pop(0)
        self.last_seconds = secs


def _counted(sequence: StudentSequence, out: np.ndarray | None, start: int = 0) -> _RunningCounts:
    """Count the whole history; the features of positions ``start`` on go to ``out``."""
    counts = _RunningCounts()
    n = len(sequence)
    questions = sequence.questions.tolist()
    skills = sequence.skills.tolist()
    responses = sequence.responses.tolist()
    times = [seconds(v) for v in sequence.ms.tolist()] if sequence.ms is not None else [0.0] * n
    for t in range(n):
        q, s = questions[t], skills[t]
        if out is not None and t >= start:
            out[t - start] = counts.row(t, q, s)
        counts.add(t, q, s, responses[t], times[t])
    return counts


def history_features(sequence: StudentSequence) -> np.ndarray:
    """``[T, len(FEATURE_NAMES)]`` float32: what the history says about each position's answer.

    Position ``t`` only uses answers before ``t`` (never its own response, nor its time).
    """
    out = np.zeros((len(sequence), len(FEATURE_NAMES)), dtype=np.float32)
    _counted(sequence, out)
    return out


def next_features(
    sequence: StudentSequence, questions: np.ndarray, skills: np.ndarray, *, start: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """``history_features(sequence)[start:]``, and ``[C, len(FEATURE_NAMES)]`` float32: the
    features each of the questions (with their skills) would have if asked right after
    ``sequence`` — both from one pass over the history (what scoring a round needs)."""
    window = np.zeros((len(sequence) - start, len(FEATURE_NAMES)), dtype=np.float32)
    counts = _counted(sequence, window, start)
    t = len(sequence)
    candidates = np.array(
        [counts.row(t, q, s) for q, s in zip(questions.tolist(), skills.tolist(), strict=True)],
        dtype=np.float32,
    ).reshape(len(questions), len(FEATURE_NAMES))
    return window, candidates
