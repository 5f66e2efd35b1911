"""DKT+F: DKT whose prediction also sees the item asked and PFA-style history counts.

Our own variant. An LSTM reads the (skill, response) interactions, as in DKT; the answer at
``t`` is predicted by a small MLP from the LSTM state, embeddings of the question and skill
asked at ``t`` and the history features of ``t`` (per-skill counts of earlier attempts and
successes, recency, overall rate: :data:`yachay.tutor.data.FEATURE_NAMES`), plus a
PFA-like logistic head (a per-skill bias and per-skill weights on those features). The
counts are computed over the student's whole history, so they carry information the LSTM
loses when a long history is cut into windows.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from yachay.tutor.models.base import KTConfig, KTModel, previous_interactions


@dataclass
class DKTFeaturesConfig(KTConfig):
    embed_dim: int = 64
    hidden_dim: int = 128
    mlp_dim: int = 128
    dropout: float = 0.3
    pfa_head: bool = True
    concepts: int = 16  # learned soft skills whose evidence is summed over the window; 0: off


class DKTFeatures(KTModel):
    Config = DKTFeaturesConfig

    def __init__(self, config: DKTFeaturesConfig) -> None:
        super().__init__(config)
        width = config.num_skills + 2
        self.interaction = nn.Embedding(2 * width + 1, config.embed_dim, padding_idx=0)
        self.lstm = nn.LSTM(config.embed_dim + config.num_features, config.hidden_dim,
                            batch_first=True)
        self.item = nn.Embedding(config.num_items + 2, config.embed_dim, padding_idx=0)
        self.skill = nn.Embedding(width, config.embed_dim, padding_idx=0)
        self.dropout = nn.Dropout(config.dropout)
        # Each item belongs softly to `concepts` learned concepts; right and wrong answers
        # add evidence to its concepts (a PFA with a learned Q-matrix).
        self.membership = (
            nn.Embedding(config.num_items + 2, config.concepts) if config.concepts else None
        )
        self.concept_weights = (
            nn.Embedding(config.num_items + 2, 2 * config.concepts) if config.concepts else None
        )
        if self.concept_weights is not None:
            nn.init.zeros_(self.concept_weights.weight)
        self.mlp = nn.Sequential(
            nn.Linear(config.hidden_dim + 2 * config.embed_dim + config.num_features
                      + 2 * config.concepts, config.mlp_dim),
            nn.ReLU(),
            nn.Dropout(config.dropout),
            nn.Linear(config.mlp_dim, 1),
        )
        # Per-skill logistic regression on the features: weights and a bias per skill.
        self.pfa = nn.Embedding(width, config.num_features + 1) if config.pfa_head else None
        if self.pfa is not None:
            nn.init.zeros_(self.pfa.weight)

    def logits(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        skills, items = self.skill_ids(batch), self.item_ids(batch)
        feats = batch["features"]
        prev = previous_interactions(skills, batch["responses"], batch["mask"],
                                     self.config.num_skills)
        # The LSTM input at t is interaction t-1 with the features it was answered under.
        prev_feats = torch.cat([torch.zeros_like(feats[:, :1]), feats[:, :-1]], dim=1)
        hidden, _ = self.lstm(self.dropout(torch.cat([self.interaction(prev), prev_feats], -1)))
        parts = [self.dropout(hidden), self.item(items), self.skill(skills), feats]
        evidence = self.concept_evidence(items, batch["responses"], batch["mask"])
        if evidence is not None:
            parts.append(evidence)
        logit = self.mlp(torch.cat(parts, dim=-1)).squeeze(-1)
        if evidence is not None:
            logit = logit + (self.concept_weights(items) * evidence).sum(-1)
        if self.pfa is not None:
            w = self.pfa(skills)
            logit = logit + (w[..., :-1] * feats).sum(-1) + w[..., -1]
        return logit

    def concept_evidence(
        self, items: torch.Tensor, responses: torch.Tensor, mask: torch.Tensor
    ) -> torch.Tensor | None:
        """``log1p`` of the right and wrong answers per concept before each position."""
        if self.membership is None:
            return None
        weight = torch.softmax(self.membership(items), dim=-1) * mask.unsqueeze(-1)
        right = responses.unsqueeze(-1).float()
        per_step = torch.cat([weight * right, weight * (1 - right)], dim=-1)
        before = torch.cumsum(per_step, dim=1) - per_step
        return torch.log1p(before)
