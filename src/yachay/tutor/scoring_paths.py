"""The fast paths of :mod:`yachay.tutor.scoring`: each model's sequence part, split so that
it can be run over a window of answers, grown by one answer, and read out for many
candidates at once.

A :class:`FastPath` re-implements a model's forward pass with the model's own layers and
weights, in three parts:

- ``begin``: the model's state after the answers of a window (the LSTM's ``(h, c)``, or the
  attention keys and values), in one pass;
- ``step``: that state after one more answer, from the state before it: what makes a
  student's next question cheap;
- ``read``: the logit of every candidate as the next answer, from the state.

They mirror the models' code, so :class:`~yachay.tutor.scoring.CandidateScorer` checks them
against the naive path before serving with them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from yachay.tutor.history_counts import HistoryCounts
from yachay.tutor.models import KTModel
from yachay.tutor.scoring_numpy import dkt_features_read, dkt_read, lstm_step, membership

__all__ = ["FAST_PATHS", "Answers", "Candidates", "FastPath", "SplitMLP", "State", "Window"]

Tensors = tuple[torch.Tensor, ...]


class Answers(NamedTuple):
    """Answers as the model reads them: ids clamped to the vocabulary ("unknown" is the last
    id), and each answer's history features (``[L, F]``)."""

    items: torch.Tensor
    skills: torch.Tensor
    responses: torch.Tensor
    features: torch.Tensor

    @classmethod
    def of(
        cls, model: KTModel, q: np.ndarray, s: np.ndarray, r: np.ndarray, features: np.ndarray
    ) -> Answers:
        config = model.config
        return cls(
            torch.from_numpy(np.minimum(q, config.num_items + 1)),
            torch.from_numpy(np.minimum(s, config.num_skills + 1)),
            torch.from_numpy(r),
            # the features the model reads (KTModel.features)
            torch.from_numpy(features[:, : config.num_features]),
        )


class Candidates(NamedTuple):
    """The questions to score, as the model reads them, with their next-answer features."""

    items: torch.Tensor
    skills: torch.Tensor
    features: torch.Tensor

    @classmethod
    def of(
        cls, model: KTModel, questions: np.ndarray, skills: np.ndarray, counts: HistoryCounts
    ) -> Candidates:
        config = model.config
        return cls(
            torch.from_numpy(np.minimum(questions, config.num_items + 1)),
            torch.from_numpy(np.minimum(skills, config.num_skills + 1)),
            torch.from_numpy(counts.features(questions, skills)[:, : config.num_features]),
        )

    @property
    def count(self) -> int:
        return len(self.items)


class Window(NamedTuple):
    """The model's state over the answers of one window, from its start."""

    start: int
    sequence: Tensors  # the LSTM's (h, c), or the attention keys and values
    evidence: torch.Tensor | None  # [concepts, 2]: right and wrong totals over the window


@dataclass(frozen=True)
class State:
    """What the scorer keeps of one history: enough to score candidates after it and to grow
    it by an answer without reading the history again. Never changed once made (threads
    share it)."""

    counts: HistoryCounts  # for the features of the next answer (and the history's length)
    #: The model over the window that scores the next answer (data.window_start).
    current: Window
    #: The window after it, over the answers since its start, once a growing history has
    #: reached it: when the history moves into that window it is already read.
    upcoming: Window | None = None

    @property
    def windows(self) -> tuple[Window, ...]:
        """The current window, then the upcoming one if any: what another worker needs."""
        return (self.current,) if self.upcoming is None else (self.current, self.upcoming)

    def grows_into(self, start: int, stride: int) -> bool:
        """Whether growing this state gives the state of a history scored by the window at
        ``start``: it is that window's, or the one before and has followed that one since
        it began (or is just at its start)."""
        if self.current.start == start:
            return True
        if self.current.start + stride != start:
            return False
        return self.counts.length == start or (
            self.upcoming is not None and self.upcoming.start == start
        )


class FastPath(NamedTuple):
    begin: Callable[[KTModel, Answers], Tensors]
    step: Callable[[KTModel, Tensors, Answers], Tensors]
    #: The logits (float32 NumPy) of the candidates as the next answer.
    read: Callable[[KTModel, Window, Candidates, SplitMLP | None], np.ndarray]
    #: Whether ``step`` takes several windows' states stacked along dimension 1 (the
    #: LSTM's batch) and steps them all by the same answer in one pass.
    stacks: bool = False


# --- the first layer of an MLP, part by part ----------------------------------------------


class Lookup(NamedTuple):
    """An MLP input that is a sum of embedding lookups, e.g. ``item(q) + skill(s)``.

    The first layer is linear, so it is applied to each embedding table once (cached) and
    the candidates gather rows of the projected tables instead of multiplying.
    """

    lookups: tuple[tuple[nn.Embedding, torch.Tensor], ...]


#: One MLP input: a 1-D tensor is the same for every candidate, a 2-D one has a row each.
Part = torch.Tensor | Lookup


class SplitMLP:
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
            if isinstance(part, Lookup):
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


# --- pieces several models share ----------------------------------------------------------


def interactions(model: KTModel, answers: Answers) -> torch.Tensor:
    """The interaction ids of answers: ``skill + (num_skills + 2) * response``."""
    return answers.skills + (model.config.num_skills + 2) * answers.responses


def start_token(model: KTModel) -> torch.Tensor:
    """The interaction id before a window's first answer (see ``previous_interactions``)."""
    return torch.tensor([2 * (model.config.num_skills + 2)])


def begin_evidence(model: KTModel, answers: Answers) -> torch.Tensor | None:
    """ConceptEvidence's per-concept right and wrong totals over a window: ``[k, 2]``."""
    module = getattr(model, "evidence", None)
    if module is None:
        return None
    member = F.embedding(answers.items, membership(module))  # [L, k]
    right = answers.responses.float()
    return torch.stack([right @ member, (1 - right) @ member], dim=1)


def read_evidence(
    model: KTModel, window: Window, candidates: Candidates
) -> tuple[list[Part], torch.Tensor]:
    """ConceptEvidence at the candidate's position: the MLP inputs and the logit term.

    The per-concept totals are the same for every candidate; only the read through the
    candidate's own concept membership differs.
    """
    module = getattr(model, "evidence", None)
    if module is None or window.evidence is None:
        return [], torch.zeros(candidates.count)
    totals = window.evidence
    read = torch.log1p(F.embedding(candidates.items, membership(module)) @ totals)  # [C, 2]
    term = ((module.weight + module.item_weight(candidates.items)) * read).sum(-1)
    return [torch.log1p(totals.T.reshape(-1)), read], term


def pfa(model: KTModel, candidates: Candidates) -> torch.Tensor:
    if model.pfa is None:
        return torch.zeros(candidates.count)
    return model.pfa(candidates.skills, candidates.features)


# --- LSTM models: DKT, DKT+F ------------------------------------------------------------------


def _lstm_inputs(model: KTModel, answers: Answers, *, features: bool) -> torch.Tensor:
    x = model.interaction(interactions(model, answers))
    return torch.cat([x, answers.features], -1) if features else x


def _lstm_begin(features: bool) -> Callable[[KTModel, Answers], Tensors]:
    def begin(model: KTModel, answers: Answers) -> Tensors:
        first = model.interaction(start_token(model))
        if features:  # the start token comes with all-zero features
            first = torch.cat([first, torch.zeros(1, answers.features.shape[1])], -1)
        x = torch.cat([first, _lstm_inputs(model, answers, features=features)])
        _, (h, c) = model.lstm(x.unsqueeze(0))
        return h, c

    return begin


# --- attention: AttentionFeatures ---------------------------------------------------------


def _attention_rows(model, answers: Answers) -> Tensors:  # noqa: ANN001
    asked = model.item(answers.items) + model.skill(answers.skills)
    return asked, asked + model.interaction(interactions(model, answers))


def _attention_begin(model, answers: Answers) -> Tensors:  # noqa: ANN001
    """The keys (what was asked) and values (what was asked and how it went) of a window,
    after the start slot."""
    keys, values = _attention_rows(model, answers)
    return (
        torch.cat([model.start_key.unsqueeze(0), keys]),
        torch.cat([model.interaction.weight[-1:], values]),
    )


def _attention_step(model, sequence: Tensors, answer: Answers) -> Tensors:  # noqa: ANN001
    keys, values = _attention_rows(model, answer)
    return torch.cat([sequence[0], keys]), torch.cat([sequence[1], values])


def _attention_read(
    model,  # noqa: ANN001
    window: Window,
    candidates: Candidates,
    mlp: SplitMLP,
) -> torch.Tensor:
    key, value = window.sequence
    slots = len(key)
    # The candidate sits after the last slot and reads every slot.
    distance = torch.log1p(torch.arange(slots - 1, -1, -1, dtype=torch.float32))
    x = model.item(candidates.items) + model.skill(candidates.skills)  # [C, d]
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
    evidence, term = read_evidence(model, window, candidates)
    lookups = Lookup(((model.item, candidates.items), (model.skill, candidates.skills)))
    parts = [x, lookups, candidates.features, *evidence]
    return (mlp(parts, candidates.count) + term + pfa(model, candidates)).numpy()


#: Fast paths by model class name (the scorer checks each one before using it).
FAST_PATHS: dict[str, FastPath] = {
    "DKT": FastPath(_lstm_begin(False), lstm_step(False), dkt_read, stacks=True),
    "DKTFeatures": FastPath(_lstm_begin(True), lstm_step(True), dkt_features_read, stacks=True),
    "AttentionFeatures": FastPath(_attention_begin, _attention_step, _attention_read),
}
