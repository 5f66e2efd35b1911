"""Fast scoring: P(right) for every candidate question after one history, in one pass.

:meth:`yachay.tutor.predict.KnowledgeTracer.predict` scores each candidate as its own
sequence (history + candidate), so the sequence model reads the history once per candidate:
300 candidates after 200 answers is a batch of 60,000 steps. But every model here is causal —
the state before the next position depends on the history alone — and only the read-out at
the next position depends on the candidate. :class:`CandidateScorer` therefore

1. keeps a :class:`~yachay.tutor.scoring_paths.State` per history: the counts the next
   answer's features come from (:class:`~yachay.tutor.history_counts.HistoryCounts`), the
   model's sequence state after the history's window (the LSTM's ``(h, c)``, or the
   attention keys and values) and the concept evidence totals;
2. reads all candidates out of it as one batch.

A history is read the way evaluation read it: the model sees the answers since the start of
the evaluation window that scores the next answer (:func:`yachay.tutor.data.window_start`,
windows of ``window`` answers every ``stride``), so what is served is what the test AUC
measured. That also makes a student's state grow: the scorer keeps the states of the
:data:`MEMO_HISTORIES` latest histories, and a history that is a remembered one plus a few
answers (the next question of a practice round, or of the next call) is one model step per
new answer, not a pass over the window. Windows overlap (one starts every ``stride``
answers), so from the next window's start on a growing state grows that window as well
(``State.upcoming``), and moving into it costs nothing: a history read once is never read
again while it keeps growing (reading and growing: :mod:`yachay.tutor.scoring_windows`).
A history scored again (a round scores reviews, then each skill) costs only the read-out.
With :class:`~yachay.tutor.shared_states.SharedStates` (the server's default), states are
also shared with the other worker processes of the host, so the next question grows the
state whichever worker scored the question before.

The fast paths (:mod:`yachay.tutor.scoring_paths`) re-implement the models they know
(``DKT``, ``DKTFeatures``, ``AttentionFeatures``, by class name), reusing the model's own
layers and weights. Because they mirror another module's code, every scorer checks itself
against the naive path when it is built (:meth:`CandidateScorer.self_check`, growing a
history answer by answer as serving does) and falls back to the naive path, with a warning
in the log, if the two disagree — a model changed without this file cannot serve wrong
probabilities, only slower ones. An unknown model class uses the naive path.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from yachay.tutor.data import FEATURE_NAMES, UNTIMED_FEATURES, window_start
from yachay.tutor.history_counts import FEATURES, HistoryCounts
from yachay.tutor.models import KTModel
from yachay.tutor.predict import Answer, KnowledgeTracer, default_stride
from yachay.tutor.scoring_numpy import UnsupportedModel, sigmoid
from yachay.tutor.scoring_paths import (
    FAST_PATHS,
    Candidates,
    FastPath,
    SplitMLP,
    State,
)
from yachay.tutor.scoring_windows import WindowStates
from yachay.tutor.shared_states import SharedStates
from yachay.tutor.timing import known_ms

__all__ = ["FAST_PATHS", "MEMO_HISTORIES", "CandidateScorer"]

log = logging.getLogger(__name__)

#: Histories whose state the scorer keeps (a few per student being served; each is the
#: size of the vocabulary's counts, ~35 kB for 1,400 questions).
MEMO_HISTORIES = 256
#: A remembered history this many answers shorter, or fewer, is grown rather than re-read.
MAX_GROWTH = 16
#: The most a fast path may differ from the naive path (float32 sums in another order).
TOLERANCE = 1e-4


class CandidateScorer:
    """Score all candidates for one student's history: ``scorer.score(history, candidates)``.

    Ids are the model's integer ids (1-based); an id above the vocabulary is read as the
    model's "unknown" id, as in training. Not thread-safe to build, safe to share for
    scoring (``torch.inference_mode``; the remembered states are never changed, only added).
    """

    def __init__(
        self,
        model: KTModel,
        window: int,
        *,
        stride: int | None = None,
        check: bool = True,
        shared: SharedStates | None = None,
    ) -> None:
        self.model = model.eval()
        self.window = window
        self.stride = default_stride(window) if stride is None else stride
        self.naive = KnowledgeTracer(model, window, stride=self.stride)
        self.fast: FastPath | None = FAST_PATHS.get(type(model).__name__)
        mlp = getattr(model, "mlp", None)
        self.mlp = SplitMLP(mlp) if isinstance(mlp, nn.Sequential) else None
        config = model.config
        self._sizes = (config.num_items + 3, config.num_skills + 3)
        self._states: OrderedDict[bytes, State] = OrderedDict()
        self._states_lock = threading.Lock()
        self.shared: SharedStates | None = None  # not while checking itself
        self.windows = (
            WindowStates(self.model, self.fast, window, self.stride, self._sizes)
            if self.fast is not None
            else None
        )
        #: Whether the model reads response times (features past the untimed ones).
        self.timed = config.num_features > UNTIMED_FEATURES
        if FEATURE_NAMES != FEATURES:
            log.warning("history features changed (%s); scoring the slow way", FEATURE_NAMES)
            self.fast = None
        if self.fast is not None and check:
            try:
                difference = self.self_check()
            except UnsupportedModel as error:  # a configuration the fast path leaves out
                log.warning("%s; scoring the slow way", error)
                self.fast = None
            except Exception:  # a model changed under the fast path: serve, slowly
                log.exception(
                    "the fast scorer failed on %s; scoring the slow way", type(model).__name__
                )
                self.fast = None
            else:
                if difference > TOLERANCE:
                    log.warning(
                        "the fast scorer differs by %.2g on %s; scoring the slow way",
                        difference,
                        type(model).__name__,
                    )
                    self.fast = None
            self.forget()
        self.shared = shared if self.fast is not None else None

    @property
    def is_fast(self) -> bool:
        return self.fast is not None

    @property
    def remembered(self) -> int:
        """How many histories' states are kept."""
        return len(self._states)

    def forget(self) -> None:
        """Drop every remembered state (the next scoring of each history starts afresh)."""
        with self._states_lock:
            self._states.clear()

    @torch.inference_mode()
    def score(
        self,
        questions: Sequence[int] | np.ndarray,
        skills: Sequence[int] | np.ndarray,
        responses: Sequence[int] | np.ndarray,
        candidate_questions: Sequence[int] | np.ndarray,
        candidate_skills: Sequence[int] | np.ndarray,
        *,
        ms: Sequence[int | None] | np.ndarray | None = None,
    ) -> np.ndarray:
        """P(right) of each candidate (question, skill) as the next answer (float64).

        ``ms``: the history's response times in milliseconds (None or -1: unknown)."""
        q, s, r, cq, cs = _int_arrays(
            questions, skills, responses, candidate_questions, candidate_skills
        )
        m = self._times(ms, len(q))
        if len(cq) == 0:
            return np.zeros(0)
        if self.fast is None:
            return self.score_naive(q, s, r, cq, cs, ms=m)
        state = self._state(q, s, r, m)
        candidates = Candidates.of(self.model, cq, cs, state.counts)
        logits = self.fast.read(self.model, state.current, candidates, self.mlp)
        return sigmoid(logits).astype(np.float64)

    @torch.inference_mode()
    def prepare(
        self,
        questions: Sequence[int] | np.ndarray,
        skills: Sequence[int] | np.ndarray,
        responses: Sequence[int] | np.ndarray,
        *,
        ms: Sequence[int | None] | np.ndarray | None = None,
    ) -> bool:
        """Compute and keep (and share) the state after a history without scoring anything,
        with the next window read too when the history has reached it: growing the state
        from here never reads the history again. False for a scorer without a fast path.

        For a call that begins and for reading ahead of a model switch
        (:meth:`TutorService.prepare_students
        <yachay.tutor.serving.TutorService.prepare_students>`, :meth:`TutorService.read_ahead
        <yachay.tutor.serving.TutorService.read_ahead>`): the cost is paid before a question
        needs the state.
        """
        if self.fast is None:
            return False
        q, s, r = _int_arrays(questions, skills, responses)
        self._state(q, s, r, self._times(ms, len(q)), ahead=True)
        return True

    def _times(self, ms: Sequence[int | None] | np.ndarray | None, n: int) -> np.ndarray:
        """The response times as the scorer keeps them: -1 where unknown; all 0 for a model
        that does not read them, so that a history's key (and state) does not depend on
        whether its caller knew the times."""
        if not self.timed:
            return np.zeros(n, dtype=np.int64)
        if ms is None:
            return np.full(n, -1, dtype=np.int64)
        if isinstance(ms, np.ndarray) and ms.dtype == np.int64:
            times = ms
        else:
            times = known_ms(list(ms))
        if len(times) != n:
            raise ValueError(f"{len(times)} response times for {n} answers")
        return times

    # -- states --

    def _state(
        self, q: np.ndarray, s: np.ndarray, r: np.ndarray, m: np.ndarray, *, ahead: bool = False
    ) -> State:
        """The state after the history: remembered, grown from a remembered shorter one
        (here or, through :attr:`shared`, by another worker), or read afresh. With
        ``ahead``, the next window is read too once the history has reached it."""
        assert self.windows is not None  # scoring the fast way
        rows = np.ascontiguousarray(np.stack([q, s, r, m], axis=1))
        key = _key(rows)
        start = window_start(len(q), self.window, self.stride)
        with self._states_lock:
            found = self._states.get(key)
            if found is not None:
                self._states.move_to_end(key)
        if found is not None:
            base, base_key, state = found, key, found
        else:
            base, base_key = self._base(q, s, r, m, rows, key, start)
            if base is None:
                state = self.windows.read(q, s, r, m, start)
            elif base_key == key:  # another worker scored this very history
                state = base
            else:
                state = self.windows.grow(base, q, s, r, m)
        if ahead:
            state = self.windows.with_upcoming(state, q, s, r, m)
        if state is not found:
            with self._states_lock:
                self._states[key] = state
                if len(self._states) > MEMO_HISTORIES:
                    self._states.popitem(last=False)
        if self.shared is not None and state is not base:
            self.shared.save(key, state.windows, replaces=base_key)
        return state

    def _base(
        self,
        q: np.ndarray,
        s: np.ndarray,
        r: np.ndarray,
        m: np.ndarray,
        rows: np.ndarray,
        key: bytes,
        start: int,
    ) -> tuple[State | None, bytes | None]:
        """The state to grow into the history's (and its key): the longest remembered or
        shared one of the history up to MAX_GROWTH answers shorter, never before the
        window's start (the model reads nothing before it); None when there is none."""
        n = len(q)
        shortest = max(start, n - MAX_GROWTH)
        digest = hashlib.blake2b(rows[:shortest].tobytes(), digest_size=16)
        prefixes = []
        for length in range(shortest, n):
            if length > shortest:
                digest.update(rows[length - 1].tobytes())
            prefixes.append(digest.copy().digest())
        base, base_key = None, None
        with self._states_lock:
            for prefix in reversed(prefixes):
                candidate = self._states.get(prefix)
                if candidate is not None and candidate.grows_into(start, self.stride):
                    base, base_key = candidate, prefix
                    break
        known = start - 1 if base is None else base.counts.length
        if self.shared is not None and known < n - 1:
            # Another worker may have scored a longer part of the history since this one
            # last did (or the first part, if this worker never did).
            keys = [key, *reversed(prefixes)][: n - known]
            shared, shared_key = self._shared_base(q, s, r, m, start, keys)
            if shared is not None:
                return shared, shared_key
        return base, base_key

    def _shared_base(
        self,
        q: np.ndarray,
        s: np.ndarray,
        r: np.ndarray,
        m: np.ndarray,
        start: int,
        keys: list[bytes],
    ) -> tuple[State | None, bytes | None]:
        """The longest of the histories ``keys`` names (the whole history first, then ever
        shorter prefixes) that another worker stored, as a state of this scorer."""
        assert self.shared is not None
        found = self.shared.find(keys)
        if found is None:
            return None, None
        index, windows = found
        length = len(q) - index  # the key is the digest of the history's first answers
        counts = HistoryCounts.of(q[:length], s[:length], r[:length], self._sizes, ms=m[:length])
        state = State(counts, *windows)
        if not state.grows_into(start, self.stride):
            return None, None
        return state, keys[index]

    # -- the reference --

    def score_naive(
        self,
        q: np.ndarray,
        s: np.ndarray,
        r: np.ndarray,
        cq: np.ndarray,
        cs: np.ndarray,
        *,
        ms: np.ndarray | None = None,
    ) -> np.ndarray:
        """The reference: one sequence per candidate (:meth:`KnowledgeTracer.predict`)."""
        times = [-1] * len(q) if ms is None else np.asarray(ms).tolist()
        history = [
            Answer(int(a), bool(b), int(c), None if t < 0 else t)
            for a, b, c, t in zip(q, r, s, times, strict=True)
        ]
        return self.naive.predict(history, list(zip(cq.tolist(), cs.tolist(), strict=True)))

    def self_check(self, seed: int = 0) -> float:
        """The largest difference between the fast and the naive path on a made-up history,
        read afresh, grown by one and by two answers, and scored again; and, where windows
        overlap, on one prepared past the next window's start and grown by one (both windows
        stepped at once). It checks the model code the fast path mirrors; the tests check
        the windows' bookkeeping."""
        config = self.model.config
        rng = np.random.default_rng(seed)
        overlap = self.stride < self.window
        short = min(self.window + self.stride + 2, 60)
        n = max(short, self.stride + 3) if overlap else short
        q = rng.integers(1, config.num_items + 2, n)
        s = rng.integers(1, config.num_skills + 2, n)
        r = rng.integers(0, 2, n)
        ms = np.where(rng.random(n) < 0.2, -1, rng.integers(500, 30_000, n))
        cq = np.concatenate([q[:3], rng.integers(1, config.num_items + 3, 6)])
        cs = np.concatenate([s[:3], rng.integers(1, config.num_skills + 3, 6)])
        worst = 0.0
        checks = [short // 3, short // 3 + 1, short // 3 + 3, short - 1, short, short]
        with torch.inference_mode():
            if overlap:
                k = self.stride + 2
                self.prepare(q[:k], s[:k], r[:k], ms=ms[:k])
                checks.append(self.stride + 3)
            for m in checks:
                fast = self.score(q[:m], s[:m], r[:m], cq, cs, ms=ms[:m])
                naive = self.score_naive(q[:m], s[:m], r[:m], cq, cs, ms=ms[:m])
                worst = max(worst, float(np.abs(fast - naive).max()))
        return worst


def _int_arrays(*values: Sequence[int] | np.ndarray) -> list[np.ndarray]:
    return [np.asarray(v, dtype=np.int64) for v in values]


def _key(rows: np.ndarray) -> bytes:
    """A history's key: the digest of its (question, skill, response, time) rows, the same as the
    digest a longer history computes for this prefix."""
    return hashlib.blake2b(rows.tobytes(), digest_size=16).digest()
