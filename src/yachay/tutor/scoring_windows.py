"""Reading a history's windows through a model and growing them answer by answer: the state
bookkeeping behind :class:`~yachay.tutor.scoring.CandidateScorer`.

A :class:`~yachay.tutor.scoring_paths.State` holds the model over the window that scores the
next answer (:func:`yachay.tutor.data.window_start`) and, once a growing history has reached
the next window's start, that window too, so that moving into it costs nothing.
:class:`WindowStates` makes such states: :meth:`WindowStates.read` reads a history's window
in one pass, :meth:`WindowStates.grow` steps a shorter history's state by the answers after
it. Which state to grow from (remembered, or shared by another worker) is the scorer's
business.
"""

from __future__ import annotations

import numpy as np
import torch

from yachay.tutor.data import window_start
from yachay.tutor.history_counts import FEATURES, HistoryCounts, sequence_features
from yachay.tutor.models import KTModel
from yachay.tutor.scoring_numpy import step_evidence
from yachay.tutor.scoring_paths import Answers, FastPath, State, Window, begin_evidence

__all__ = ["WindowStates"]


class WindowStates:
    """The states of one model's histories, read in windows of ``window`` answers starting
    every ``stride`` (as evaluation cut them); ``sizes`` presizes the counts' arrays.

    A history is four int64 arrays: the model's question ids ``q``, skill ids ``s``,
    responses ``r`` and response times ``m`` in ms (-1: unknown)."""

    def __init__(
        self, model: KTModel, fast: FastPath, window: int, stride: int, sizes: tuple[int, int]
    ) -> None:
        self.model = model
        self.fast = fast
        self.window = window
        self.stride = stride
        self.sizes = sizes
        self._empty: tuple[tuple[torch.Tensor, ...], torch.Tensor | None] | None = None

    def with_upcoming(
        self, state: State, q: np.ndarray, s: np.ndarray, r: np.ndarray, m: np.ndarray
    ) -> State:
        """``state`` with the next window read, once the history has reached its start (as
        :meth:`grow` would have made it, had it grown the state from there)."""
        following = state.current.start + self.stride
        if state.upcoming is not None or len(q) <= following:
            return state
        return State(state.counts, state.current, self.read_window(q, s, r, m, following))

    def read(self, q: np.ndarray, s: np.ndarray, r: np.ndarray, m: np.ndarray, start: int) -> State:
        """The state of a history read afresh: one pass over its window."""
        return State(
            HistoryCounts.of(q, s, r, self.sizes, ms=m), self.read_window(q, s, r, m, start)
        )

    def read_window(
        self, q: np.ndarray, s: np.ndarray, r: np.ndarray, m: np.ndarray, start: int
    ) -> Window:
        """The window from ``start`` over the rest of the history, in one pass."""
        window = Answers.of(
            self.model, q[start:], s[start:], r[start:], sequence_features(q, s, r, m)[start:]
        )
        return Window(
            start, self.fast.begin(self.model, window), begin_evidence(self.model, window)
        )

    def grow(
        self, state: State, q: np.ndarray, s: np.ndarray, r: np.ndarray, m: np.ndarray
    ) -> State:
        """``state`` (of a prefix of the history) grown by the answers after it.

        From the start of the next window on, that window is grown too, so that when the
        history moves into it (every ``stride`` answers) nothing has to be read.
        """
        counts, current, upcoming = state.counts, state.current, state.upcoming
        for position in range(counts.length, len(q)):
            question, skill, right = int(q[position]), int(s[position]), int(r[position])
            features = counts.next_features(question, skill)
            answer = Answers.of(
                self.model,
                q[position : position + 1],
                s[position : position + 1],
                r[position : position + 1],
                features,
            )
            if upcoming is None and position == current.start + self.stride:
                upcoming = self._empty_window(position)
            if upcoming is None:
                current = self._step(current, answer)
            else:
                current, upcoming = self._step_both(current, upcoming, answer)
            counts = counts.extended(question, skill, right, int(m[position]))
            start = window_start(position + 1, self.window, self.stride)
            if start == current.start:
                continue
            if upcoming is not None and upcoming.start == start:
                current, upcoming = upcoming, None
            elif start == position + 1:  # the new window has no answers yet
                current, upcoming = self._empty_window(start), None
            else:  # windows closer than half their length: more than one to follow
                return self.read(q, s, r, m, window_start(len(q), self.window, self.stride))
        return State(counts, current, upcoming)

    def _step(self, window: Window, answer: Answers) -> Window:
        return Window(
            window.start,
            self.fast.step(self.model, window.sequence, answer),
            step_evidence(self.model, window.evidence, answer),
        )

    def _step_both(
        self, current: Window, upcoming: Window, answer: Answers
    ) -> tuple[Window, Window]:
        """Both windows stepped by the same answer: in one pass when the fast path stacks
        states (one LSTM step on a batch of two costs about what one window does)."""
        if not self.fast.stacks:
            return self._step(current, answer), self._step(upcoming, answer)
        # NumPy, not torch: these few-microsecond operations would cost ~10 us each
        # (see scoring_numpy).
        sequence = tuple(
            torch.from_numpy(np.concatenate([a.numpy(), b.numpy()], axis=1))
            for a, b in zip(current.sequence, upcoming.sequence, strict=True)
        )
        stepped = [t.numpy() for t in self.fast.step(self.model, sequence, answer)]
        evidence: tuple[torch.Tensor | None, torch.Tensor | None] = (None, None)
        if current.evidence is not None and upcoming.evidence is not None:
            totals = torch.from_numpy(
                np.stack([current.evidence.numpy(), upcoming.evidence.numpy()])
            )
            both = step_evidence(self.model, totals, answer)
            assert both is not None
            first, second = both.numpy()
            evidence = (torch.from_numpy(first), torch.from_numpy(second))
        return (
            Window(current.start, tuple(torch.from_numpy(t[:, :1]) for t in stepped), evidence[0]),
            Window(upcoming.start, tuple(torch.from_numpy(t[:, 1:]) for t in stepped), evidence[1]),
        )

    def _empty_window(self, start: int) -> Window:
        """A window before its first answer (the model has read only the start token)."""
        if self._empty is None:
            nothing = np.zeros(0, dtype=np.int64)
            features = np.zeros((0, len(FEATURES)), dtype=np.float32)
            answers = Answers.of(self.model, nothing, nothing, nothing, features)
            self._empty = (
                self.fast.begin(self.model, answers),
                begin_evidence(self.model, answers),
            )
        return Window(start, *self._empty)
