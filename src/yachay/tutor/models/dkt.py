"""DKT (Piech et al., 2015): an LSTM over (skill, response) interactions.

The hidden state after answers ``0..t-1`` is mapped to one logit per skill and the logit of
the skill asked at ``t`` is read off, as in the original paper.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from yachay.tutor.models.base import (
    Context,
    KTConfig,
    KTModel,
    at_positions,
    previous_interactions,
)


@dataclass
class DKTConfig(KTConfig):
    embed_dim: int = 100
    hidden_dim: int = 100
    num_layers: int = 1
    dropout: float = 0.2


class DKT(KTModel):
    Config = DKTConfig

    def __init__(self, config: DKTConfig) -> None:
        super().__init__(config)
        width = config.num_skills + 2
        self.interaction = nn.Embedding(2 * width + 1, config.embed_dim, padding_idx=0)
        self.lstm = nn.LSTM(
            config.embed_dim,
            config.hidden_dim,
            num_layers=config.num_layers,
            batch_first=True,
            dropout=config.dropout if config.num_layers > 1 else 0.0,
        )
        self.dropout = nn.Dropout(config.dropout)
        self.out = nn.Linear(config.hidden_dim, width)

    def encode(self, batch: dict[str, torch.Tensor]) -> Context:
        skills = self.skill_ids(batch)
        x = self.interaction(
            previous_interactions(skills, batch["responses"], batch["mask"], self.config.num_skills)
        )
        hidden, _ = self.lstm(self.dropout(x))
        return {"hidden": hidden}

    def read_out(self, context: Context, asked: dict[str, torch.Tensor]) -> torch.Tensor:
        skills = self.skill_ids(asked)
        per_skill = self.out(self.dropout(at_positions(context["hidden"], asked)))
        return per_skill.gather(-1, skills.unsqueeze(-1)).squeeze(-1)
