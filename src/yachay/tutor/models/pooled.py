"""POOL+F: one ability per skill, read by every question of the skill.

A logistic model on the history features (:data:`yachay.tutor.data.FEATURE_NAMES`), which
count the student's earlier answers per skill over the whole history: every question of a
skill reads the same pooled evidence (attempts, right and wrong answers, the rate, the last
answer and its time), weighed per skill (:class:`~yachay.tutor.models.base.PFAHead`) and
across skills, and each question adds only its own difficulty (a learned offset). It keeps
no state of its own, so a long history cut into windows loses nothing.

Why it exists: the simulation (``yachay.tutor.simulation``) found that the per-skill
filter decided better than ``dkt+f`` although its next-answer AUC was no better; mastery
is the mean over all of a skill's questions, most of them never asked, and a model that
pools a skill's evidence estimates those as well as the ones it was asked.
"""

from __future__ import annotations

import torch
from torch import nn

from yachay.tutor.models.base import Context, KTConfig, KTModel, PFAHead


class PooledSkill(KTModel):
    Config = KTConfig

    def __init__(self, config: KTConfig) -> None:
        super().__init__(config)
        self.difficulty = nn.Embedding(config.num_items + 2, 1, padding_idx=0)
        nn.init.zeros_(self.difficulty.weight)
        self.shared = nn.Linear(config.num_features, 1)
        self.pfa = PFAHead(config.num_skills, config.num_features)

    def encode(self, batch: dict[str, torch.Tensor]) -> Context:
        return {}  # the features carry the history

    def read_out(self, context: Context, asked: dict[str, torch.Tensor]) -> torch.Tensor:
        skills, items, feats = self.skill_ids(asked), self.item_ids(asked), self.features(asked)
        return (
            self.difficulty(items).squeeze(-1)
            + self.shared(feats).squeeze(-1)
            + self.pfa(skills, feats)
        )
