"""SAKT (Pandey & Karypis, 2019): self-attention from the question asked to past interactions.

The query at ``t`` is the embedding of the question asked at ``t``; keys and values are the
(skill, response) interactions before ``t`` (a start token stands in at ``t = 0``) plus a
learned position embedding. A causal mask keeps the future out.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from yachay.tutor.models.base import (
    Context,
    KTConfig,
    KTModel,
    previous_interactions,
    query_positions,
)


@dataclass
class SAKTConfig(KTConfig):
    dim: int = 64
    heads: int = 4
    layers: int = 1
    dropout: float = 0.2
    max_positions: int = 512  # positions past this share the last position embedding


class SAKTBlock(nn.Module):
    def __init__(self, dim: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.attention = nn.MultiheadAttention(dim, heads, dropout=dropout, batch_first=True)
        self.norm1 = nn.LayerNorm(dim)
        self.ffn = nn.Sequential(
            nn.Linear(dim, dim), nn.ReLU(), nn.Dropout(dropout), nn.Linear(dim, dim)
        )
        self.norm2 = nn.LayerNorm(dim)
        self.dropout = nn.Dropout(dropout)

    def forward(self, query: torch.Tensor, memory: torch.Tensor, causal: torch.Tensor):
        attended, _ = self.attention(query, memory, memory, attn_mask=causal, need_weights=False)
        x = self.norm1(query + self.dropout(attended))
        return self.norm2(x + self.dropout(self.ffn(x)))


class SAKT(KTModel):
    Config = SAKTConfig

    def __init__(self, config: SAKTConfig) -> None:
        super().__init__(config)
        width = config.num_skills + 2
        self.interaction = nn.Embedding(2 * width + 1, config.dim, padding_idx=0)
        self.question = nn.Embedding(config.num_items + 2, config.dim, padding_idx=0)
        self.position = nn.Embedding(config.max_positions, config.dim)
        self.blocks = nn.ModuleList(
            SAKTBlock(config.dim, config.heads, config.dropout) for _ in range(config.layers)
        )
        self.out = nn.Linear(config.dim, 1)

    def encode(self, batch: dict[str, torch.Tensor]) -> Context:
        skills = self.skill_ids(batch)
        length = skills.shape[1]
        positions = torch.arange(length).clamp(max=self.config.max_positions - 1)
        prev = previous_interactions(
            skills, batch["responses"], batch["mask"], self.config.num_skills
        )
        return {"memory": self.interaction(prev) + self.position(positions)}

    def read_out(self, context: Context, asked: dict[str, torch.Tensor]) -> torch.Tensor:
        memory = context["memory"]
        length = memory.shape[1]
        # True = may not attend: a question asked at t sees the interactions shifted in at
        # 0..t (the answers before t).
        hidden = torch.arange(length).view(1, -1) > query_positions(asked, length).view(-1, 1)
        x = self.question(self.item_ids(asked))
        for block in self.blocks:
            x = block(x, memory, hidden)
        return self.out(x).squeeze(-1)
