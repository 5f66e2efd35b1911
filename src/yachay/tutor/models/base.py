"""What every knowledge-tracing model shares: the batch contract, the loss, id handling.

A model maps a batch (see :mod:`yachay.tutor.data`) to ``(probabilities, loss)``:
``probabilities`` is ``[B, T]``, the chance that the answer at each position is right given
the answers before it; ``loss`` is the mean binary cross-entropy over the positions marked in
``batch["score"]`` (padding and context-only positions never count).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from yachay.tutor.data import FEATURE_NAMES


@dataclass
class KTConfig:
    """Sizes every model needs; each model's config adds its own hyperparameters."""

    num_items: int
    num_skills: int
    num_features: int = len(FEATURE_NAMES)


class KTModel(nn.Module):
    """Base class: subclasses set ``Config`` and implement :meth:`logits`."""

    Config: type[KTConfig] = KTConfig

    def __init__(self, config: KTConfig) -> None:
        super().__init__()
        self.config = config

    def logits(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        logits = self.logits(batch)
        return torch.sigmoid(logits), masked_bce(logits, batch["responses"], batch["score"])

    # Ids above the training vocabulary (an item first seen at test time) share one
    # "unknown" embedding row; 0 stays padding.
    def item_ids(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return batch["questions"].clamp(max=self.config.num_items + 1)

    def skill_ids(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return batch["skills"].clamp(max=self.config.num_skills + 1)


def masked_bce(logits: torch.Tensor, targets: torch.Tensor, score: torch.Tensor) -> torch.Tensor:
    """Mean binary cross-entropy over the scored positions (0 when none is scored)."""
    if not bool(score.any()):
        return logits.sum() * 0.0
    return F.binary_cross_entropy_with_logits(logits[score], targets[score].float())


def previous_interactions(skills: torch.Tensor, responses: torch.Tensor, mask: torch.Tensor,
                          num_skills: int) -> torch.Tensor:
    """Id of the interaction *before* each position: ``skill + (num_skills + 2) * response``.

    Position 0 gets the start token (the largest id, ``2 * (num_skills + 2)``), padding gets 0,
    so the embedding table needs ``2 * (num_skills + 2) + 1`` rows.
    """
    width = num_skills + 2
    ids = torch.where(mask, skills + width * responses, torch.zeros_like(skills))
    start = torch.full_like(ids[:, :1], 2 * width)
    return torch.cat([start, ids[:, :-1]], dim=1)
