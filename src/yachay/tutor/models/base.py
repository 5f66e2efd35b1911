"""What every knowledge-tracing model shares: the batch contract, the loss, id handling.

A model maps a batch (see :mod:`yachay.tutor.data`) to ``(probabilities, loss)``:
``probabilities`` is ``[B, T]``, the chance that the answer at each position is right given
the answers before it; ``loss`` is the mean binary cross-entropy over the positions marked in
``batch["score"]`` (padding and context-only positions never count).

Every model is causal, and says so in two steps that its ``forward`` is made of:

- :meth:`KTModel.encode` reads the answers: per position, what the answers *before* it say
  (an LSTM's state, attention keys and values, evidence totals);
- :meth:`KTModel.read_out` predicts the answer to a question asked at a position from that
  context and the question itself (its item, skill and history features).

Training reads out each position's own question. Serving
(:func:`yachay.tutor.scoring.score_candidates`) encodes a student's history once and reads
out every candidate question at the next position, in one batch, with the same two
functions: there is no second copy of any model.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from yachay.tutor.features import FEATURE_NAMES


@dataclass
class KTConfig:
    """Sizes every model needs; each model's config adds its own hyperparameters."""

    num_items: int
    num_skills: int
    #: The model reads the first this many of FEATURE_NAMES (data.feature_count).
    num_features: int = len(FEATURE_NAMES)


#: What a model's encode step returns: named tensors over the batch's positions.
Context = dict[str, torch.Tensor]


class KTModel(nn.Module):
    """Base class: subclasses set ``Config`` and implement :meth:`encode` and
    :meth:`read_out`."""

    Config: type[KTConfig] = KTConfig

    def __init__(self, config: KTConfig) -> None:
        super().__init__()
        self.config = config

    def encode(self, batch: dict[str, torch.Tensor]) -> Context:
        """What the answers before each position say, ``[B, T, ...]`` tensors."""
        raise NotImplementedError

    def read_out(self, context: Context, asked: dict[str, torch.Tensor]) -> torch.Tensor:
        """Logits of the questions in ``asked`` (``questions``, ``skills``: ``[B, Q]``;
        ``features``: ``[B, Q, F]``). Without ``asked["positions"]`` question ``t`` is asked
        at position ``t`` (training: ``Q == T``); with it (``[Q]``), each is asked at that
        position (serving: every candidate at the position after the history)."""
        raise NotImplementedError

    def logits(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.read_out(self.encode(batch), batch)

    def forward(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        logits = self.logits(batch)
        return torch.sigmoid(logits), masked_bce(logits, batch["responses"], batch["score"])

    # Ids above the training vocabulary (an item first seen at test time) share one
    # "unknown" embedding row; 0 stays padding.
    def item_ids(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return batch["questions"].clamp(max=self.config.num_items + 1)

    def skill_ids(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return batch["skills"].clamp(max=self.config.num_skills + 1)

    # A batch carries every feature this code computes; a model trained without response
    # times (or before they were features) reads the ones it was trained on.
    def features(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return batch["features"][..., : self.config.num_features]


def at_positions(values: torch.Tensor, asked: dict[str, torch.Tensor]) -> torch.Tensor:
    """``values`` ``[B, T, ...]`` at the positions the questions are asked at."""
    positions = asked.get("positions")
    return values if positions is None else values[:, positions]


def query_positions(asked: dict[str, torch.Tensor], length: int) -> torch.Tensor:
    """The position of each asked question, ``[Q]``, in a context of ``length`` positions."""
    positions = asked.get("positions")
    return torch.arange(length) if positions is None else positions


def masked_bce(logits: torch.Tensor, targets: torch.Tensor, score: torch.Tensor) -> torch.Tensor:
    """Mean binary cross-entropy over the scored positions (0 when none is scored)."""
    if not bool(score.any()):
        return logits.sum() * 0.0
    return F.binary_cross_entropy_with_logits(logits[score], targets[score].float())


def previous_interactions(
    skills: torch.Tensor, responses: torch.Tensor, mask: torch.Tensor, num_skills: int
) -> torch.Tensor:
    """Id of the interaction *before* each position: ``skill + (num_skills + 2) * response``.

    Position 0 gets the start token (the largest id, ``2 * (num_skills + 2)``), padding gets 0,
    so the embedding table needs ``2 * (num_skills + 2) + 1`` rows.
    """
    width = num_skills + 2
    ids = torch.where(mask, skills + width * responses, torch.zeros_like(skills))
    start = torch.full_like(ids[:, :1], 2 * width)
    return torch.cat([start, ids[:, :-1]], dim=1)


class PFAHead(nn.Module):
    """A per-skill logistic regression on the history features: ``b_s + w_s . features``.

    Starts at zero, so it only adds what the rest of the model misses.
    """

    def __init__(self, num_skills: int, num_features: int) -> None:
        super().__init__()
        self.weights = nn.Embedding(num_skills + 2, num_features + 1)
        nn.init.zeros_(self.weights.weight)

    def forward(self, skills: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
        w = self.weights(skills)
        return (w[..., :-1] * features).sum(-1) + w[..., -1]


class ConceptEvidence(nn.Module):
    """PFA with a learned Q-matrix: right/wrong evidence per learned concept.

    Each item belongs softly (a softmax) to ``concepts`` learned concepts. Before each
    position, every earlier right (wrong) answer has added its item's membership to a running
    total of right (wrong) evidence per concept. For the item asked at ``t`` the evidence is
    read through its own membership, ``E = sum_k m_k(item_t) * S_k``: with crisp concepts,
    the counts of earlier right and wrong answers on the same concept, as in PFA.

    Returns ``log1p`` of the per-concept totals and of the two read-outs,
    ``[B, T, 2 * concepts + 2]``, and a logit term ``(w + w_item) . log1p(E)``, where ``w``
    starts at (+0.5, -0.5) (right answers raise the chance) and ``w_item`` at zero.
    Sums span the window the model sees.
    """

    def __init__(self, num_items: int, concepts: int) -> None:
        super().__init__()
        self.concepts = concepts
        self.membership = nn.Embedding(num_items + 2, concepts)
        self.weight = nn.Parameter(torch.tensor([0.5, -0.5]))
        self.item_weight = nn.Embedding(num_items + 2, 2)
        nn.init.zeros_(self.item_weight.weight)

    @property
    def size(self) -> int:
        return 2 * self.concepts + 2

    def totals(
        self, items: torch.Tensor, responses: torch.Tensor, mask: torch.Tensor
    ) -> torch.Tensor:
        """Right and wrong evidence per concept before each position, ``[B, T, 2 * concepts]``."""
        member = torch.softmax(self.membership(items), dim=-1)
        weight = member * mask.unsqueeze(-1)
        right = responses.unsqueeze(-1).float()
        per_step = torch.cat([weight * right, weight * (1 - right)], dim=-1)
        return torch.cumsum(per_step, dim=1) - per_step  # before t: exclusive

    def read(self, items: torch.Tensor, totals: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The evidence features and logit term of ``items`` asked after ``totals``."""
        member = torch.softmax(self.membership(items), dim=-1)
        k = self.concepts
        read = torch.stack(
            [(member * totals[..., :k]).sum(-1), (member * totals[..., k:]).sum(-1)], dim=-1
        )
        read = torch.log1p(read)
        term = ((self.weight + self.item_weight(items)) * read).sum(-1)
        return torch.cat([torch.log1p(totals), read], dim=-1), term
