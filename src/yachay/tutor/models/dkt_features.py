"""DKT+F: DKT whose prediction also sees the item asked and PFA-style history counts.

Our own variant. An LSTM reads the (skill, response) interactions and the history features
they were answered under; the answer at ``t`` is predicted by a small MLP from the LSTM
state, embeddings of the question and skill asked at ``t``, the history features of ``t``
(per-skill counts of earlier attempts and successes, recency, overall rate:
:data:`yachay.tutor.data.FEATURE_NAMES`) and learned-concept evidence
(:class:`~yachay.tutor.models.base.ConceptEvidence`), plus a PFA-like logistic head. The
counts in the features span the student's whole history, so they keep what the LSTM loses
when a long history is cut into windows.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from yachay.tutor.models.attention_features import RecencyAttention
from yachay.tutor.models.base import (
    ConceptEvidence,
    KTConfig,
    KTModel,
    PFAHead,
    previous_interactions,
)


@dataclass
class DKTFeaturesConfig(KTConfig):
    embed_dim: int = 64
    # 64, not 128: the same test AUC on assist2009 (0.8278 vs 0.8282, validation 0.8341 for
    # both) at a third of the LSTM's cost, which is most of the time to score a student.
    hidden_dim: int = 64
    mlp_dim: int = 128
    dropout: float = 0.3
    concepts: int = 16  # learned concepts for ConceptEvidence; 0 turns it off
    pfa_head: bool = True
    attention_heads: int = 0  # > 0: also attend from the question asked to past answers


class DKTFeatures(KTModel):
    Config = DKTFeaturesConfig

    def __init__(self, config: DKTFeaturesConfig) -> None:
        super().__init__(config)
        width = config.num_skills + 2
        self.interaction = nn.Embedding(2 * width + 1, config.embed_dim, padding_idx=0)
        self.lstm = nn.LSTM(
            config.embed_dim + config.num_features, config.hidden_dim, batch_first=True
        )
        self.item = nn.Embedding(config.num_items + 2, config.embed_dim, padding_idx=0)
        self.skill = nn.Embedding(width, config.embed_dim, padding_idx=0)
        self.dropout = nn.Dropout(config.dropout)
        self.evidence = (
            ConceptEvidence(config.num_items, config.concepts) if config.concepts else None
        )
        evidence_size = self.evidence.size if self.evidence is not None else 0
        inputs = config.hidden_dim + 2 * config.embed_dim + config.num_features
        self.attention = (
            RecencyAttention(config.embed_dim, config.attention_heads, config.dropout)
            if config.attention_heads
            else None
        )
        if self.attention is not None:
            self.start_key = nn.Parameter(torch.zeros(config.embed_dim))
            inputs += config.embed_dim
        self.mlp = nn.Sequential(
            nn.Linear(inputs + evidence_size, config.mlp_dim),
            nn.ReLU(),
            nn.Dropout(config.dropout),
            nn.Linear(config.mlp_dim, 1),
        )
        self.pfa = PFAHead(config.num_skills, config.num_features) if config.pfa_head else None

    def logits(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        skills, items, feats = self.skill_ids(batch), self.item_ids(batch), self.features(batch)
        prev = previous_interactions(
            skills, batch["responses"], batch["mask"], self.config.num_skills
        )
        # The LSTM input at t is interaction t-1 with the features it was answered under.
        prev_feats = torch.cat([torch.zeros_like(feats[:, :1]), feats[:, :-1]], dim=1)
        hidden, _ = self.lstm(self.dropout(torch.cat([self.interaction(prev), prev_feats], -1)))
        asked = self.item(items) + self.skill(skills)
        parts = [self.dropout(hidden), self.item(items), self.skill(skills), feats]
        if self.attention is not None:
            parts.append(self.attend(asked, self.interaction(prev)))
        extra = torch.zeros_like(feats[..., 0])
        if self.evidence is not None:
            evidence, read = self.evidence(items, batch["responses"], batch["mask"])
            parts.append(evidence)
            extra = extra + read
        if self.pfa is not None:
            extra = extra + self.pfa(skills, feats)
        return self.mlp(torch.cat(parts, dim=-1)).squeeze(-1) + extra

    def attend(self, asked: torch.Tensor, previous: torch.Tensor) -> torch.Tensor:
        """Attention from the question asked at t to the answers before t."""
        b, t, _ = asked.shape
        key = torch.cat([self.start_key.expand(b, 1, -1), asked[:, :-1]], dim=1)
        value = previous + key  # what was asked and how it went; slot 0 is the start token
        position = torch.arange(t)
        allowed = position.view(1, 1, t, 1) >= position.view(1, 1, 1, t)
        distance = torch.log1p((position.view(t, 1) - position.view(1, t)).clamp(min=0).float())
        return self.attention(asked, key, self.dropout(value), allowed, distance)
