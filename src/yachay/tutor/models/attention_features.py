"""ATTN+F: attention from the question asked to past answers, plus history features.

Our own model, between SAKT and AKT. The question asked at ``t`` (item and skill
embeddings) attends to the answers before ``t``: keys are the past questions, values the past
(question, skill, response) interactions, so relevance depends on what was asked and the
read-out on how it went. Each head has a learned recency bias (``-slope * log(1 + distance)``,
a soft form of AKT's monotonic decay). A small MLP combines the attention read-out with the
history features of ``t`` (:data:`yachay.tutor.features.FEATURE_NAMES`) and learned-concept
evidence (:class:`~yachay.tutor.models.base.ConceptEvidence`), which carry counts that an
attention average cannot; a PFA-like logistic head is added to the logit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from yachay.tutor.models.base import (
    ConceptEvidence,
    Context,
    KTConfig,
    KTModel,
    PFAHead,
    at_positions,
    query_positions,
)


@dataclass
class AttentionFeaturesConfig(KTConfig):
    dim: int = 64
    heads: int = 4
    layers: int = 1
    mlp_dim: int = 128
    dropout: float = 0.2
    concepts: int = 16  # learned concepts for ConceptEvidence; 0 turns it off
    pfa_head: bool = True


def causal_distances(positions: torch.Tensor, length: int) -> tuple[torch.Tensor, torch.Tensor]:
    """For questions asked at ``positions`` (``[Q]``) over memory slots ``0..length-1``: which
    slots each may read (``[1, 1, Q, length]``: slot ``j`` holds the answer before ``j``, so
    up to its own position) and their log distances (``[Q, length]``)."""
    slots = torch.arange(length)
    allowed = positions.view(1, 1, -1, 1) >= slots.view(1, 1, 1, -1)
    distance = torch.log1p((positions.view(-1, 1) - slots.view(1, -1)).clamp(min=0).float())
    return allowed, distance


class RecencyAttention(nn.Module):
    """Multi-head attention over a memory, causal, with a learned log-distance bias per head."""

    def __init__(self, dim: int, heads: int, dropout: float) -> None:
        super().__init__()
        if dim % heads:
            raise ValueError("dim must be a multiple of heads")
        self.heads = heads
        self.query = nn.Linear(dim, dim)
        self.key = nn.Linear(dim, dim)
        self.value = nn.Linear(dim, dim)
        self.out = nn.Linear(dim, dim)
        self.slope = nn.Parameter(torch.zeros(heads))
        self.dropout = nn.Dropout(dropout)

    def forward(
        self,
        query: torch.Tensor,
        key: torch.Tensor,
        value: torch.Tensor,
        allowed: torch.Tensor,
        distance: torch.Tensor,
    ) -> torch.Tensor:
        b, t, d = query.shape
        h = self.heads

        def split(x: torch.Tensor) -> torch.Tensor:
            return x.view(b, -1, h, d // h).transpose(1, 2)

        q, k, v = split(self.query(query)), split(self.key(key)), split(self.value(value))
        scores = q @ k.transpose(-1, -2) / math.sqrt(d // h)
        scores = scores - nn.functional.softplus(self.slope).view(1, h, 1, 1) * distance
        scores = scores.masked_fill(~allowed, float("-inf"))
        weights = self.dropout(torch.softmax(scores, dim=-1))
        return self.out((weights @ v).transpose(1, 2).reshape(b, t, d))


class AttentionBlock(nn.Module):
    def __init__(self, dim: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.attention = RecencyAttention(dim, heads, dropout)
        self.norm1 = nn.LayerNorm(dim)
        self.ffn = nn.Sequential(
            nn.Linear(dim, 2 * dim), nn.ReLU(), nn.Dropout(dropout), nn.Linear(2 * dim, dim)
        )
        self.norm2 = nn.LayerNorm(dim)
        self.dropout = nn.Dropout(dropout)

    def forward(
        self,
        x: torch.Tensor,
        key: torch.Tensor,
        value: torch.Tensor,
        allowed: torch.Tensor,
        distance: torch.Tensor,
    ) -> torch.Tensor:
        x = self.norm1(x + self.dropout(self.attention(x, key, value, allowed, distance)))
        return self.norm2(x + self.dropout(self.ffn(x)))


class AttentionFeatures(KTModel):
    Config = AttentionFeaturesConfig

    def __init__(self, config: AttentionFeaturesConfig) -> None:
        super().__init__(config)
        d = config.dim
        self.item = nn.Embedding(config.num_items + 2, d, padding_idx=0)
        self.skill = nn.Embedding(config.num_skills + 2, d, padding_idx=0)
        # (skill, response) interactions; row 0 is padding, the last row the start token
        self.interaction = nn.Embedding(2 * (config.num_skills + 2) + 1, d, padding_idx=0)
        self.start_key = nn.Parameter(torch.zeros(d))
        self.blocks = nn.ModuleList(
            AttentionBlock(d, config.heads, config.dropout) for _ in range(config.layers)
        )
        self.evidence = (
            ConceptEvidence(config.num_items, config.concepts) if config.concepts else None
        )
        evidence_size = self.evidence.size if self.evidence is not None else 0
        self.mlp = nn.Sequential(
            nn.Linear(2 * d + config.num_features + evidence_size, config.mlp_dim),
            nn.ReLU(),
            nn.Dropout(config.dropout),
            nn.Linear(config.mlp_dim, 1),
        )
        self.pfa = PFAHead(config.num_skills, config.num_features) if config.pfa_head else None
        self.dropout = nn.Dropout(config.dropout)

    def encode(self, batch: dict[str, torch.Tensor]) -> Context:
        skills, items = self.skill_ids(batch), self.item_ids(batch)
        responses, mask = batch["responses"], batch["mask"]
        b = skills.shape[0]
        asked = self.item(items) + self.skill(skills)  # [B, T, d]
        width = self.config.num_skills + 2
        answered = asked + self.interaction(torch.where(mask, skills + width * responses, 0))
        # Memory slot 0 is a start token, slot j + 1 the answer at j; position t may read
        # slots 0..t, i.e. the start and the answers before t.
        start_value = self.interaction.weight[-1].expand(b, 1, -1)
        context = {
            "key": torch.cat([self.start_key.expand(b, 1, -1), asked[:, :-1]], dim=1),
            "value": torch.cat([start_value, answered[:, :-1]], dim=1),
        }
        if self.evidence is not None:
            context["evidence"] = self.evidence.totals(items, responses, mask)
        return context

    def read_out(self, context: Context, asked: dict[str, torch.Tensor]) -> torch.Tensor:
        skills, items, feats = self.skill_ids(asked), self.item_ids(asked), self.features(asked)
        length = context["key"].shape[1]
        allowed, distance = causal_distances(query_positions(asked, length), length)
        question = self.item(items) + self.skill(skills)  # [B, Q, d]
        x = self.dropout(question)
        key, value = self.dropout(context["key"]), self.dropout(context["value"])
        for block in self.blocks:
            x = block(x, key, value, allowed, distance)
        parts = [x, question, feats]
        extra = torch.zeros_like(feats[..., 0])
        if self.evidence is not None:
            evidence, read = self.evidence.read(items, at_positions(context["evidence"], asked))
            parts.append(evidence)
            extra = extra + read
        if self.pfa is not None:
            extra = extra + self.pfa(skills, feats)
        return self.mlp(torch.cat(parts, dim=-1)).squeeze(-1) + extra
