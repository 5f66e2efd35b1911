"""DKT+F: DKT whose prediction also sees the item asked and PFA-style history counts.

Our own variant. An LSTM reads the (skill, response) interactions and the history features
they were answered under; the answer at ``t`` is predicted by a small MLP from the LSTM
state, embeddings of the question and skill asked at ``t``, the history features of ``t``
(per-skill counts of earlier attempts and successes, recency, overall rate:
:data:`yachay.tutor.features.FEATURE_NAMES`) and learned-concept evidence
(:class:`~yachay.tutor.models.base.ConceptEvidence`), plus a PFA-like logistic head. The
counts in the features span the student's whole history, so they keep what the LSTM loses
when a long history is cut into windows.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from yachay.tutor.models.attention_features import RecencyAttention, causal_distances
from yachay.tutor.models.base import (
    ConceptEvidence,
    Context,
    KTConfig,
    KTModel,
    PFAHead,
    at_positions,
    previous_interactions,
    query_positions,
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

    def encode(self, batch: dict[str, torch.Tensor]) -> Context:
        skills, items, feats = self.skill_ids(batch), self.item_ids(batch), self.features(batch)
        responses, mask = batch["responses"], batch["mask"]
        prev = previous_interactions(skills, responses, mask, self.config.num_skills)
        # The LSTM input at t is interaction t-1 with the features it was answered under.
        prev_feats = torch.cat([torch.zeros_like(feats[:, :1]), feats[:, :-1]], dim=1)
        interactions = self.interaction(prev)
        hidden, _ = self.lstm(self.dropout(torch.cat([interactions, prev_feats], -1)))
        context = {"hidden": hidden}
        if self.attention is not None:
            # Slot t holds what was asked at t-1 (the start key at 0) and how it went.
            asked = self.item(items) + self.skill(skills)
            key = torch.cat([self.start_key.expand(len(asked), 1, -1), asked[:, :-1]], dim=1)
            context.update(key=key, value=interactions + key)
        if self.evidence is not None:
            context["evidence"] = self.evidence.totals(items, responses, mask)
        return context

    def read_out(self, context: Context, asked: dict[str, torch.Tensor]) -> torch.Tensor:
        skills, items, feats = self.skill_ids(asked), self.item_ids(asked), self.features(asked)
        item, skill = self.item(items), self.skill(skills)
        parts = [self.dropout(at_positions(context["hidden"], asked)), item, skill, feats]
        if self.attention is not None:
            parts.append(self.attend(item + skill, context, asked))
        extra = torch.zeros_like(feats[..., 0])
        if self.evidence is not None:
            evidence, read = self.evidence.read(items, at_positions(context["evidence"], asked))
            parts.append(evidence)
            extra = extra + read
        if self.pfa is not None:
            extra = extra + self.pfa(skills, feats)
        return self.mlp(torch.cat(parts, dim=-1)).squeeze(-1) + extra

    def attend(
        self, query: torch.Tensor, context: Context, asked: dict[str, torch.Tensor]
    ) -> torch.Tensor:
        """Attention from each question asked to the answers before its position."""
        length = context["key"].shape[1]
        allowed, distance = causal_distances(query_positions(asked, length), length)
        value = self.dropout(context["value"])
        return self.attention(query, context["key"], value, allowed, distance)
