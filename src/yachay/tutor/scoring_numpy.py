"""The LSTM models' step and read-out (DKT, DKT+F) in NumPy.

A student's next question costs one LSTM step and the read-out of a few hundred candidates:
some twenty operations on arrays of 64–128 numbers. In torch each one pays about 10 µs of
dispatch, several times that when another worker process has just had the CPU and its
caches; in NumPy about 1 µs. The arithmetic is the same — the model's own weights, made
into NumPy arrays once per served model, and the model's equations, with float32 sums in
another order — and :meth:`yachay.tutor.scoring.CandidateScorer.self_check` compares the
result with the model before serving with it.

Reading a whole window stays in torch (``nn.LSTM`` over hundreds of answers is one call).
States stay torch tensors that share memory with the arrays (``torch.from_numpy``), so the
rest of the scorer and the shared states file do not change.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import numpy as np
import torch
from torch import nn

from yachay.tutor.models import KTModel

if TYPE_CHECKING:  # scoring_paths registers these functions: no import back at run time
    from yachay.tutor.scoring_paths import Answers, Candidates, SplitMLP, Tensors, Window

__all__ = [
    "UnsupportedModel",
    "dkt_features_read",
    "dkt_read",
    "lstm_step",
    "membership",
    "sigmoid",
    "step_evidence",
]


class UnsupportedModel(TypeError):
    """A configuration of a model that the NumPy path does not implement."""


_MADE: weakref.WeakKeyDictionary[nn.Module, dict[str, object]] = weakref.WeakKeyDictionary()
T = TypeVar("T")


def _once(module: nn.Module, kind: str, make: Callable[[], T]) -> T:
    """``module``'s arrays of one ``kind``, made on first use: a served model's weights never
    change (and a model dropped drops them)."""
    made = _MADE.setdefault(module, {})
    found = made.get(kind)
    if found is None:
        found = made[kind] = make()
    return found  # type: ignore[return-value]


def _array(tensor: torch.Tensor) -> np.ndarray:
    return np.ascontiguousarray(tensor.detach().numpy(), dtype=np.float32)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)) in place of one temporary (each NumPy call costs ~1 us here)."""
    out = np.negative(x)
    np.exp(out, out=out)
    out += 1
    return np.reciprocal(out, out=out)


class _LSTMArrays:
    """An LSTM model's step as arrays: the first layer's input gates are looked up per
    interaction (embedding and first weights multiplied once), plus the features' share."""

    def __init__(self, model: KTModel, features: bool) -> None:
        lstm: nn.LSTM = model.lstm
        width = model.interaction.embedding_dim
        w_ih = _array(lstm.weight_ih_l0)  # [4H, input]
        bias = _array(lstm.bias_ih_l0) + _array(lstm.bias_hh_l0)
        self.gates = _array(model.interaction.weight) @ w_ih[:, :width].T + bias  # [I, 4H]
        self.feature_gates = np.ascontiguousarray(w_ih[:, width:].T) if features else None
        self.w_hh = [
            np.ascontiguousarray(_array(getattr(lstm, f"weight_hh_l{n}")).T)
            for n in range(lstm.num_layers)
        ]
        self.upper = [
            (
                np.ascontiguousarray(_array(getattr(lstm, f"weight_ih_l{n}")).T),
                _array(getattr(lstm, f"bias_ih_l{n}")) + _array(getattr(lstm, f"bias_hh_l{n}")),
            )
            for n in range(1, lstm.num_layers)
        ]
        self.width = model.config.num_skills + 2  # interaction = skill + width * response


def lstm_step(features: bool) -> Callable[[KTModel, Tensors, Answers], Tensors]:
    """The LSTM's ``(h, c)`` after one more answer, for every window stacked in the batch
    dimension (they all take the same answer)."""

    def step(model: KTModel, sequence: Tensors, answer: Answers) -> Tensors:
        arrays = _once(model, "step", lambda: _LSTMArrays(model, features))
        interaction = int(answer.skills.numpy()[0]) + arrays.width * int(
            answer.responses.numpy()[0]
        )
        x = arrays.gates[interaction]  # the input's share of the first layer's gates
        if arrays.feature_gates is not None:
            x = x + answer.features.numpy()[0] @ arrays.feature_gates
        h, c = (t.numpy() for t in sequence)  # [layers, windows, H]
        layers, windows, size = h.shape
        h_out = np.empty((layers, windows, size), dtype=np.float32)
        c_out = np.empty((layers, windows, size), dtype=np.float32)
        for layer, w_hh in enumerate(arrays.w_hh):
            if layer:
                w_ih, bias = arrays.upper[layer - 1]
                x = h_out[layer - 1] @ w_ih + bias
            gates = h[layer] @ w_hh
            gates += x
            gate = sigmoid(gates)  # input, forget, (cell), output: torch's order
            cell = c_out[layer]
            np.multiply(gate[:, size : 2 * size], c[layer], out=cell)
            cell += gate[:, :size] * np.tanh(gates[:, 2 * size : 3 * size])
            np.multiply(gate[:, 3 * size :], np.tanh(cell), out=h_out[layer])
        return torch.from_numpy(h_out), torch.from_numpy(c_out)

    return step


# --- ConceptEvidence --------------------------------------------------------------------


class _EvidenceArrays:
    def __init__(self, module: nn.Module) -> None:
        self.membership = _array(torch.softmax(module.membership.weight, dim=-1))  # [items, k]
        self.weight = _array(module.weight)  # [2]
        self.item_weight = _array(module.item_weight.weight)  # [items, 2]


def _evidence_arrays(module: nn.Module) -> _EvidenceArrays:
    """A served ConceptEvidence's arrays, made once: a served model's weights never change."""
    return _once(module, "evidence", lambda: _EvidenceArrays(module))


def _evidence(model: KTModel) -> _EvidenceArrays | None:
    module = getattr(model, "evidence", None)
    return None if module is None else _evidence_arrays(module)


def membership(module: nn.Module) -> torch.Tensor:
    """ConceptEvidence's memberships (a softmax of its whole table), for the torch paths:
    the same array the NumPy ones read."""
    return torch.from_numpy(_evidence_arrays(module).membership)


def step_evidence(
    model: KTModel, totals: torch.Tensor | None, answer: Answers
) -> torch.Tensor | None:
    """ConceptEvidence's right and wrong totals per concept (``[..., k, 2]``) after one
    more answer."""
    arrays = _evidence(model)
    if totals is None or arrays is None:
        return None
    member = arrays.membership[answer.items.numpy()[0]]
    grown = totals.numpy().copy()
    grown[..., 0 if answer.responses.numpy()[0] else 1] += member  # right, or wrong
    return torch.from_numpy(grown)


# --- read-outs ----------------------------------------------------------------------------


class _DKTFeaturesArrays:
    """DKT+F's output MLP with its first layer split by input (see ``SplitMLP``): the
    embedding tables go through it once, so a candidate's rows are gathered, not multiplied."""

    def __init__(self, model: KTModel) -> None:
        if getattr(model, "attention", None) is not None:
            raise UnsupportedModel(f"the NumPy read-out of {type(model).__name__} does not attend")
        first, relu, *rest = (m for m in model.mlp if not isinstance(m, nn.Dropout))
        if not (isinstance(relu, nn.ReLU) and len(rest) == 1 and isinstance(rest[0], nn.Linear)):
            raise UnsupportedModel(f"the NumPy read-out does not know this MLP: {model.mlp}")
        w = _array(first.weight)  # [M, inputs]: hidden, item, skill, features, evidence
        hidden = model.lstm.hidden_size
        width = model.item.embedding_dim
        features = model.config.num_features
        edges = np.cumsum([0, hidden, width, width, features])
        self.hidden = w[:, edges[0] : edges[1]]  # [M, H]
        self.items = _array(model.item.weight) @ w[:, edges[1] : edges[2]].T  # [items, M]
        self.skills = _array(model.skill.weight) @ w[:, edges[2] : edges[3]].T
        self.features = np.ascontiguousarray(w[:, edges[3] : edges[4]].T)  # [F, M]
        concepts = model.evidence.concepts if model.evidence is not None else 0
        self.totals = w[:, edges[4] : edges[4] + 2 * concepts]  # [M, 2k]
        read = w[:, edges[4] + 2 * concepts :].T  # [2, M]
        # the features and the evidence read-out, one matrix product for both
        self.features_and_read = np.ascontiguousarray(np.concatenate([self.features, read]))
        self.bias = _array(first.bias)
        self.out = _array(rest[0].weight)[0]  # [M]
        self.out_bias = float(rest[0].bias[0])
        self.pfa = _array(model.pfa.weights.weight) if model.pfa is not None else None


def dkt_features_read(
    model: KTModel, window: Window, candidates: Candidates, mlp: SplitMLP | None
) -> np.ndarray:
    """DKT+F's logit of every candidate as the next answer (``[C]`` float32)."""
    arrays = _once(model, "read", lambda: _DKTFeaturesArrays(model))
    items, skills = candidates.items.numpy(), candidates.skills.numpy()
    features = candidates.features.numpy()
    shared = arrays.bias + arrays.hidden @ window.sequence[0].numpy()[-1, 0]
    logits = np.zeros(len(items), dtype=np.float32)
    evidence = _evidence(model)
    if evidence is not None and window.evidence is not None:
        totals = window.evidence.numpy()  # [k, 2]
        read = np.log1p(evidence.membership[items] @ totals)  # [C, 2]
        shared += arrays.totals @ np.log1p(totals.T.reshape(-1))
        logits += ((evidence.weight + evidence.item_weight[items]) * read).sum(-1)
        per_row = np.concatenate([features, read], axis=1) @ arrays.features_and_read
    else:
        per_row = features @ arrays.features
    rows = np.take(arrays.items, items, axis=0)
    rows += np.take(arrays.skills, skills, axis=0)
    rows += per_row
    rows += shared
    logits += np.maximum(rows, 0, out=rows) @ arrays.out + arrays.out_bias
    if arrays.pfa is not None:
        w = arrays.pfa[skills]
        logits += (w[:, :-1] * features).sum(-1) + w[:, -1]
    return logits


def dkt_read(
    model: KTModel, window: Window, candidates: Candidates, mlp: SplitMLP | None
) -> np.ndarray:
    """DKT's logit of every candidate: its skill's output for the last hidden state."""
    weight, bias = _once(model, "out", lambda: (_array(model.out.weight), _array(model.out.bias)))
    per_skill = weight @ window.sequence[0].numpy()[-1, 0] + bias
    return per_skill[candidates.skills.numpy()]
