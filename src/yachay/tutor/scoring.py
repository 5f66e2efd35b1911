"""Fast scoring: P(right) for every candidate question after one history, in one pass.

:meth:`yachay.tutor.predict.KnowledgeTracer.predict` scores each candidate as its own
sequence (history + candidate), so the sequence model reads the history once per candidate:
300 candidates after 200 answers is a batch of 60,000 steps. But every model here is causal —
the state before the next position depends on the history alone — and only the read-out at
the next position depends on the candidate. :class:`CandidateScorer` therefore

1. computes the history features once, vectorised (:func:`sequence_features`), and the
   features each candidate would have as the next answer (:func:`next_features`);
2. runs the sequence part of the model once over the history window (the LSTM state, or the
   attention keys and values);
3. evaluates the read-out for all candidates as one batch.

The fast paths re-implement the read-out of the models they know (``DKT``, ``DKTFeatures``,
``AttentionFeatures``, by class name), reusing the model's own layers and weights. Because
they mirror another module's code, every scorer checks itself against the naive path when
it is built (:meth:`CandidateScorer.self_check`) and falls back to the naive path, with a
warning in the log, if the two disagree — a model changed without this file cannot serve
wrong probabilities, only slower ones. An unknown model class uses the naive path.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from yachay.tutor.data import FEATURE_NAMES
from yachay.tutor.models import KTModel
from yachay.tutor.predict import Answer, KnowledgeTracer

__all__ = ["CandidateScorer", "next_features", "sequence_features"]

log = logging.getLogger(__name__)

#: The features computed here, in order; they must be the ones yachay.tutor.data computes.
_FEATURES = (
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
)
_RECENT = 5
#: Histories whose history-side work the scorer keeps (a few per student being served).
MEMO_HISTORIES = 256
#: The most a fast path may differ from the naive path (float32 sums in another order).
TOLERANCE = 1e-4


# --- history features, vectorised ------------------------------------------------------


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


def sequence_features(
    questions: np.ndarray, skills: np.ndarray, responses: np.ndarray
) -> np.ndarray:
    """The same array as :func:`yachay.tutor.data.history_features`, without a Python loop."""
    n = len(questions)
    out = np.zeros((n, len(_FEATURES)), dtype=np.float32)
    if n == 0:
        return out
    r = responses.astype(np.int64)
    t = np.arange(n)
    att, succ, prev = _earlier_same(skills, r)
    item_att, _, item_prev = _earlier_same(questions, r)
    seen = prev >= 0
    total_before = np.cumsum(r) - r
    cum = np.concatenate([[0], np.cumsum(r)])
    k = np.minimum(t, _RECENT)
    out[:, 0] = np.log1p(att)
    out[:, 1] = np.log1p(succ)
    out[:, 2] = np.log1p(att - succ)
    out[:, 3] = (succ + 1) / (att + 2)
    out[:, 4] = seen
    out[:, 5] = np.where(seen, r[prev], 0)
    out[:, 6] = np.where(seen, np.log1p(np.maximum(t - prev - 1, 0)), 0.0)
    out[:, 7] = np.log1p(item_att)
    out[:, 8] = np.where(item_prev >= 0, r[item_prev], 0)
    out[:, 9] = np.log1p(t)
    out[:, 10] = (total_before + 1) / (t + 2)
    out[:, 11] = np.where(k > 0, (cum[t] - cum[t - k]) / np.maximum(k, 1), 0.5)
    return out


def next_features(
    questions: np.ndarray,
    skills: np.ndarray,
    responses: np.ndarray,
    candidate_questions: np.ndarray,
    candidate_skills: np.ndarray,
) -> np.ndarray:
    """``[C, F]``: the features each candidate would have as the answer after the history."""
    n, c = len(questions), len(candidate_questions)
    out = np.zeros((c, len(_FEATURES)), dtype=np.float32)
    r = responses.astype(np.int64)
    size = (
        int(
            max(
                questions.max(initial=0),
                skills.max(initial=0),
                candidate_questions.max(initial=0),
                candidate_skills.max(initial=0),
            )
        )
        + 1
    )
    positions = np.arange(n)

    def per_key(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        attempts = np.bincount(keys, minlength=size)
        successes = np.bincount(keys, weights=r, minlength=size).astype(np.int64)
        last = np.full(size, -1, dtype=np.int64)
        np.maximum.at(last, keys, positions)
        return attempts, successes, last

    s_att, s_succ, s_last = per_key(skills)
    q_att, _, q_last = per_key(questions)
    att, succ, last = s_att[candidate_skills], s_succ[candidate_skills], s_last[candidate_skills]
    seen = last >= 0
    out[:, 0] = np.log1p(att)
    out[:, 1] = np.log1p(succ)
    out[:, 2] = np.log1p(att - succ)
    out[:, 3] = (succ + 1) / (att + 2)
    out[:, 4] = seen
    out[:, 5] = np.where(seen, r[last] if n else 0, 0)
    out[:, 6] = np.where(seen, np.log1p(np.maximum(n - last - 1, 0)), 0.0)
    item_last = q_last[candidate_questions]
    out[:, 7] = np.log1p(q_att[candidate_questions])
    out[:, 8] = np.where(item_last >= 0, r[item_last] if n else 0, 0)
    out[:, 9] = math.log1p(n)
    out[:, 10] = (int(r.sum()) + 1) / (n + 2)
    k = min(n, _RECENT)
    out[:, 11] = r[n - k :].mean() if k else 0.5
    return out


# --- the scorer ------------------------------------------------------------------------


class _Call:
    """One scoring call: the history window and the candidates, as the model reads them.

    The sequence model reads the last ``window - 1`` answers (the candidate takes the last
    slot of the window); history features span the whole history and are computed only if
    the model uses them. ``tables`` holds per-model precomputations (kept by the scorer).
    """

    def __init__(
        self,
        model: KTModel,
        window: int,
        tables: dict,
        q: np.ndarray,
        s: np.ndarray,
        r: np.ndarray,
        cq: np.ndarray,
        cs: np.ndarray,
        memo: dict[str, torch.Tensor] | None = None,
    ) -> None:
        config = model.config
        #: What depends on the history alone, shared by the calls that score one history.
        self.memo: dict[str, torch.Tensor] = {} if memo is None else memo
        tail = max(0, len(q) - (window - 1))
        self.model, self.tables, self._tail = model, tables, tail
        self._history = (q, s, r)
        self._candidates = (cq, cs)
        self.items = torch.from_numpy(q[tail:]).clamp(max=config.num_items + 1)
        self.skills = torch.from_numpy(s[tail:]).clamp(max=config.num_skills + 1)
        self.responses = torch.from_numpy(r[tail:])
        self.candidate_items = torch.from_numpy(cq).clamp(max=config.num_items + 1)
        self.candidate_skills = torch.from_numpy(cs).clamp(max=config.num_skills + 1)
        self.count = len(cq)
        self.width = config.num_skills + 2

    @property
    def features(self) -> torch.Tensor:
        """History features of the window's answers."""
        return self.remember(
            "features", lambda: torch.from_numpy(sequence_features(*self._history)[self._tail :])
        )

    def remember(self, key: str, make: Callable[[], torch.Tensor]) -> torch.Tensor:
        """A value that depends on the history alone, computed once per history."""
        found = self.memo.get(key)
        if found is None:
            found = self.memo[key] = make()
        return found

    @functools.cached_property
    def candidate_features(self) -> torch.Tensor:
        """``[C, F]``: the features of each candidate as the next answer."""
        return torch.from_numpy(next_features(*self._history, *self._candidates))

    def previous_interactions(self) -> torch.Tensor:
        """The interaction before each window position, the candidate's included."""
        ids = self.skills + self.width * self.responses
        return torch.cat([torch.tensor([2 * self.width]), ids])

    def table(self, key: str, make: Callable[[], torch.Tensor]) -> torch.Tensor:
        found = self.tables.get(key)
        if found is None:
            found = self.tables[key] = make()
        return found


class _Lookup(NamedTuple):
    """An MLP input that is a sum of embedding lookups, e.g. ``item(q) + skill(s)``.

    The first layer is linear, so it is applied to each embedding table once (cached) and
    the candidates gather rows of the projected tables instead of multiplying.
    """

    lookups: tuple[tuple[nn.Embedding, torch.Tensor], ...]


#: One MLP input: a 1-D tensor is the same for every candidate, a 2-D one has a row each.
Part = torch.Tensor | _Lookup


class _SplitMLP:
    """``mlp(torch.cat(parts, -1))`` for an MLP whose first layer is an ``nn.Linear``: the
    first layer is applied part by part, so the parts shared by all candidates cost one
    matrix-vector product and embedding lookups cost a gather."""

    def __init__(self, mlp: nn.Sequential) -> None:
        self.first: nn.Linear = mlp[0]
        # Dropout is the identity in eval mode: skip the call.
        self.rest = [layer for layer in list(mlp)[1:] if not isinstance(layer, nn.Dropout)]
        self.tables: dict[tuple[object, int], torch.Tensor] = {}

    def __call__(self, parts: Sequence[Part], count: int) -> torch.Tensor:
        shared = self.first.bias
        rows: torch.Tensor | None = None
        offset = 0
        for part in parts:
            if isinstance(part, _Lookup):
                width = part.lookups[0][0].embedding_dim
                for module, ids in part.lookups:
                    term = F.embedding(ids, self._table(module, offset, width))
                    rows = term if rows is None else rows.add_(term)
            elif part.dim() == 1:
                width = part.shape[0]
                shared = torch.addmv(shared, self._columns(offset, width), part)
            else:
                width = part.shape[1]
                columns = self._columns(offset, width).T
                rows = part @ columns if rows is None else torch.addmm(rows, part, columns)
            offset += width
        if offset != self.first.in_features:
            raise ValueError(f"the parts are {offset} wide, the MLP takes {self.first.in_features}")
        x = shared.expand(count, -1) if rows is None else rows.add_(shared)
        for layer in self.rest:
            x = layer(x)
        return x.squeeze(-1)

    def _columns(self, offset: int, width: int) -> torch.Tensor:
        """The first layer's weights for one part, contiguous."""
        key = ("columns", offset)
        found = self.tables.get(key)
        if found is None:
            found = self.tables[key] = self.first.weight[:, offset : offset + width].contiguous()
        return found

    def _table(self, module: nn.Embedding, offset: int, width: int) -> torch.Tensor:
        """An embedding table through the first layer: row i is ``W_part @ embedding_i``."""
        key = (module, offset)
        found = self.tables.get(key)
        if found is None:
            found = self.tables[key] = module.weight @ self._columns(offset, width).T
        return found


def _evidence(model: KTModel, call: _Call) -> tuple[list[Part], torch.Tensor]:
    """ConceptEvidence at the candidate's position: the MLP inputs and the logit term.

    The per-concept totals (over the window's answers) are the same for every candidate;
    only the read through the candidate's own concept membership differs.
    """
    module = getattr(model, "evidence", None)
    if module is None:
        return [], torch.zeros(call.count)
    member = call.table("membership", lambda: torch.softmax(module.membership.weight, dim=-1))

    def history_totals() -> torch.Tensor:
        history = F.embedding(call.items, member)  # [L, k]
        right = call.responses.float()
        return torch.stack([right @ history, (1 - right) @ history], dim=1)  # [k, 2]

    totals = call.remember("evidence", history_totals)
    read = torch.log1p(F.embedding(call.candidate_items, member) @ totals)  # [C, 2]
    term = ((module.weight + module.item_weight(call.candidate_items)) * read).sum(-1)
    return [torch.log1p(totals.T.reshape(-1)), read], term


def _pfa(model: KTModel, call: _Call) -> torch.Tensor:
    if model.pfa is None:
        return torch.zeros(call.count)
    return model.pfa(call.candidate_skills, call.candidate_features)


def _lstm_state(model: KTModel, inputs: torch.Tensor) -> torch.Tensor:
    hidden, _ = model.lstm(inputs.unsqueeze(0))
    return hidden[0, -1]


def _dkt(model, call: _Call, mlp: _SplitMLP | None) -> torch.Tensor:  # noqa: ANN001
    state = call.remember(
        "state", lambda: _lstm_state(model, model.interaction(call.previous_interactions()))
    )
    return model.out(state)[call.candidate_skills]


def _dkt_features(model, call: _Call, mlp: _SplitMLP) -> torch.Tensor:  # noqa: ANN001
    def history_state() -> torch.Tensor:
        feats = call.features
        prev_feats = torch.cat([torch.zeros(1, feats.shape[1]), feats])
        return _lstm_state(
            model, torch.cat([model.interaction(call.previous_interactions()), prev_feats], -1)
        )

    state = call.remember("state", history_state)
    evidence, term = _evidence(model, call)
    parts = [
        state,
        _Lookup(((model.item, call.candidate_items),)),
        _Lookup(((model.skill, call.candidate_skills),)),
        call.candidate_features,
        *evidence,
    ]
    return mlp(parts, call.count) + term + _pfa(model, call)


def _attention_features(model, call: _Call, mlp: _SplitMLP) -> torch.Tensor:  # noqa: ANN001
    asked_tail = model.item(call.items) + model.skill(call.skills)
    answered = asked_tail + model.interaction(call.skills + call.width * call.responses)
    key = torch.cat([model.start_key.unsqueeze(0), asked_tail])  # [S, d]
    value = torch.cat([model.interaction.weight[-1:], answered])
    slots = len(key)
    # The candidate sits at window position len(tail) and reads every slot.
    distance = torch.log1p(torch.arange(slots - 1, -1, -1, dtype=torch.float32))
    asked = model.item(call.candidate_items) + model.skill(call.candidate_skills)  # [C, d]
    x = asked
    for block in model.blocks:
        attention = block.attention
        h = attention.heads
        d = x.shape[-1]
        q = attention.query(x).view(-1, h, d // h).transpose(0, 1)  # [h, C, dh]
        k = attention.key(key).view(slots, h, d // h).transpose(0, 1)  # [h, S, dh]
        v = attention.value(value).view(slots, h, d // h).transpose(0, 1)
        scores = q @ k.transpose(-1, -2) / math.sqrt(d // h)
        scores = scores - F.softplus(attention.slope).view(h, 1, 1) * distance
        mixed = (torch.softmax(scores, dim=-1) @ v).transpose(0, 1).reshape(-1, d)
        x = block.norm1(x + attention.out(mixed))
        x = block.norm2(x + block.ffn(x))
    evidence, term = _evidence(model, call)
    lookups = _Lookup(((model.item, call.candidate_items), (model.skill, call.candidate_skills)))
    parts = [x, lookups, call.candidate_features, *evidence]
    return mlp(parts, call.count) + term + _pfa(model, call)


FastPath = Callable[..., torch.Tensor]
#: Fast read-outs by model class name (the scorer checks each one before using it).
FAST_PATHS: dict[str, FastPath] = {
    "DKT": _dkt,
    "DKTFeatures": _dkt_features,
    "AttentionFeatures": _attention_features,
}


class CandidateScorer:
    """Score all candidates for one student's history: ``scorer.score(history, candidates)``.

    Ids are the model's integer ids (1-based); an id above the vocabulary is read as the
    model's "unknown" id, as in training. Not thread-safe to build, safe to share for
    scoring (``torch.inference_mode``, no state kept between calls).
    """

    def __init__(self, model: KTModel, window: int, *, check: bool = True) -> None:
        self.model = model.eval()
        self.window = window
        self.naive = KnowledgeTracer(model, window)
        self.fast: FastPath | None = FAST_PATHS.get(type(model).__name__)
        mlp = getattr(model, "mlp", None)
        self.mlp = _SplitMLP(mlp) if isinstance(mlp, nn.Sequential) else None
        self.tables: dict[str, torch.Tensor] = {}
        # A practice round scores one history several times (reviews, then each skill):
        # the history's half of the work is kept for the latest few histories.
        self._memos: OrderedDict[bytes, dict[str, torch.Tensor]] = OrderedDict()
        self._memos_lock = threading.Lock()
        if FEATURE_NAMES != _FEATURES:
            log.warning("history features changed (%s); scoring the slow way", FEATURE_NAMES)
            self.fast = None
        if self.fast is not None and check:
            try:
                difference = self.self_check()
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

    @property
    def is_fast(self) -> bool:
        return self.fast is not None

    @torch.inference_mode()
    def score(
        self,
        questions: Sequence[int] | np.ndarray,
        skills: Sequence[int] | np.ndarray,
        responses: Sequence[int] | np.ndarray,
        candidate_questions: Sequence[int] | np.ndarray,
        candidate_skills: Sequence[int] | np.ndarray,
    ) -> np.ndarray:
        """P(right) of each candidate (question, skill) as the next answer (float64)."""
        q = np.asarray(questions, dtype=np.int64)
        s = np.asarray(skills, dtype=np.int64)
        r = np.asarray(responses, dtype=np.int64)
        cq = np.asarray(candidate_questions, dtype=np.int64)
        cs = np.asarray(candidate_skills, dtype=np.int64)
        if len(cq) == 0:
            return np.zeros(0)
        if self.fast is None:
            return self.score_naive(q, s, r, cq, cs)
        call = _Call(self.model, self.window, self.tables, q, s, r, cq, cs, self._memo(q, s, r))
        logits = self.fast(self.model, call, self.mlp)
        return torch.sigmoid(logits).double().numpy()

    def _memo(self, q: np.ndarray, s: np.ndarray, r: np.ndarray) -> dict[str, torch.Tensor]:
        digest = hashlib.blake2b(digest_size=16)
        for part in (q, s, r):
            digest.update(np.ascontiguousarray(part).view(np.uint8))
            digest.update(b"|")
        key = digest.digest()
        with self._memos_lock:
            memo = self._memos.get(key)
            if memo is None:
                memo = self._memos[key] = {}
                if len(self._memos) > MEMO_HISTORIES:
                    self._memos.popitem(last=False)
            else:
                self._memos.move_to_end(key)
        return memo

    def score_naive(
        self, q: np.ndarray, s: np.ndarray, r: np.ndarray, cq: np.ndarray, cs: np.ndarray
    ) -> np.ndarray:
        """The reference: one sequence per candidate (:meth:`KnowledgeTracer.predict`)."""
        history = [Answer(int(a), bool(b), int(c)) for a, b, c in zip(q, r, s, strict=True)]
        return self.naive.predict(history, list(zip(cq.tolist(), cs.tolist(), strict=True)))

    def self_check(self, seed: int = 0) -> float:
        """The largest difference between the fast and the naive path on a made-up history."""
        config = self.model.config
        rng = np.random.default_rng(seed)
        n = min(self.window + 5, 40)
        q = rng.integers(1, config.num_items + 2, n)
        s = rng.integers(1, config.num_skills + 2, n)
        r = rng.integers(0, 2, n)
        cq = np.concatenate([q[:3], rng.integers(1, config.num_items + 3, 6)])
        cs = np.concatenate([s[:3], rng.integers(1, config.num_skills + 3, 6)])
        with torch.inference_mode():
            fast = self.score(q, s, r, cq, cs)
            naive = self.score_naive(q, s, r, cq, cs)
        return float(np.abs(fast - naive).max())
