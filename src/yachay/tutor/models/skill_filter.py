"""FILTER: a Bayesian belief over one ability per skill, learned by gradient descent.

The simulation's per-skill filter (``yachay.tutor.simulation``) as a knowledge-tracing
model that trains, registers and serves like the others. Each skill has a belief over a
latent ability ``theta`` (a grid from -4 to 4), a normal prior whose centre is learned per
skill. A question answered right with ``guess + (1 - guess - slip) sigmoid(theta - d)``
(``d`` its learned difficulty) updates the belief of its skill by Bayes; how long the
answer took does too (log seconds normal around ``a - b (theta - d)``: abler children
answer faster); then practice may move ability up a few grid cells (a learned distribution
over jumps of 0, 1, 2 and 4 cells). Every question of a skill reads the same belief: all
of a skill's evidence is pooled, which is what deciding mastery over its questions needs.

Serving asks every candidate at the position after the history; the model reads them from
the belief after the whole window. The time of an answer is in the features of the next
position (``last_seconds``), so the last answer of a history is read without its time.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from yachay.tutor.data import FEATURE_NAMES
from yachay.tutor.models.base import Context, KTConfig, KTModel

_GRID = torch.linspace(-4.0, 4.0, 33)
_JUMPS = (0, 1, 2, 4)
_SECONDS = FEATURE_NAMES.index("last_seconds")
_GUESS = 0.25


class SkillFilter(KTModel):
    Config = KTConfig

    def __init__(self, config: KTConfig) -> None:
        super().__init__(config)
        self.register_buffer("grid", _GRID.clone(), persistent=False)
        self.difficulty = nn.Embedding(config.num_items + 2, 1)
        nn.init.zeros_(self.difficulty.weight)
        self.prior = nn.Embedding(config.num_skills + 2, 1)
        nn.init.zeros_(self.prior.weight)
        self.log_spread = nn.Parameter(torch.tensor(0.4))  # e^0.4 = 1.5 grid units
        self.slip_logit = nn.Parameter(torch.tensor(-3.0))
        self.jump_logits = nn.Parameter(torch.tensor([2.0, 0.5, 0.0, -1.0]))
        # log1p(seconds) ~ Normal(time_base - time_slope (theta - d), e^log_time_sd)
        self.time_base = nn.Parameter(torch.tensor(2.0))
        self.time_slope = nn.Parameter(torch.tensor(0.2))
        self.log_time_sd = nn.Parameter(torch.tensor(-0.5))

    @property
    def timed(self) -> bool:
        return self.config.num_features > _SECONDS

    def _emission(self, items: torch.Tensor) -> torch.Tensor:
        """P(right | theta) of each item, ``[..., grid]``."""
        slip = torch.sigmoid(self.slip_logit)
        d = self.difficulty(items)  # [..., 1]
        return _GUESS + (1 - _GUESS - slip) * torch.sigmoid(self.grid - d)

    def _prior_belief(self, batch_size: int) -> torch.Tensor:
        centre = self.prior.weight  # [S, 1]
        spread = self.log_spread.exp()
        belief = torch.softmax(-0.5 * ((self.grid - centre) / spread) ** 2, dim=-1)
        return belief.unsqueeze(0).expand(batch_size, -1, -1)  # [B, S, G]

    def encode(self, batch: dict[str, torch.Tensor]) -> Context:
        items, skills = self.item_ids(batch), self.skill_ids(batch)
        responses, mask = batch["responses"], batch["mask"]
        size, length = items.shape
        belief = self._prior_belief(size)
        rows = torch.arange(size)
        emission = self._emission(items)  # [B, T, G]
        if self.timed:
            seconds = batch["features"][..., _SECONDS]
            # the time of answer t is a feature of position t + 1
            seconds = torch.cat([seconds[:, 1:], torch.zeros_like(seconds[:, :1])], dim=1)
            expected = self.time_base - self.time_slope * (
                self.grid - self.difficulty(items)
            )  # [B, T, G]
            sd = self.log_time_sd.exp()
            time_likelihood = torch.exp(-0.5 * ((seconds.unsqueeze(-1) - expected) / sd) ** 2)
            known = (seconds > 0).unsqueeze(-1)
        jumps = torch.softmax(self.jump_logits, dim=0)
        asked = []
        for t in range(length):
            s = skills[:, t]
            before = belief[rows, s]  # [B, G]
            asked.append(before)
            e = emission[:, t]
            right = responses[:, t].unsqueeze(-1).bool()
            likelihood = torch.where(right, e, 1 - e)
            if self.timed:
                likelihood = likelihood * torch.where(known[:, t], time_likelihood[:, t], 1.0)
            posterior = before * likelihood
            posterior = posterior / posterior.sum(-1, keepdim=True).clamp_min(1e-30)
            after = _move_up(posterior, jumps)
            after = torch.where(mask[:, t].unsqueeze(-1), after, before)
            belief = belief.index_put((rows, s), after)
        return {"asked": torch.stack(asked, dim=1), "final": belief}

    def read_out(self, context: Context, asked: dict[str, torch.Tensor]) -> torch.Tensor:
        items = self.item_ids(asked)
        if asked.get("positions") is None:
            belief = context["asked"]  # each position's own skill, before its answer
        else:  # serving: every candidate after the whole window
            final = context["final"]
            skills = self.skill_ids(asked)
            belief = final[torch.arange(len(final)).unsqueeze(-1), skills]  # [B, Q, G]
        p = (belief * self._emission(items)).sum(-1).clamp(1e-6, 1 - 1e-6)
        return torch.log(p) - torch.log1p(-p)


def _move_up(belief: torch.Tensor, jumps: torch.Tensor) -> torch.Tensor:
    """Practice moves mass up by each jump with its probability; the top cell keeps what
    would go past it."""
    out = belief * jumps[0]
    for n, j in enumerate(_JUMPS[1:], start=1):
        shifted = F.pad(belief[..., :-j], (j, 0))
        top = belief[..., -j:].sum(-1, keepdim=True)
        shifted = torch.cat([shifted[..., :-1], shifted[..., -1:] + top], dim=-1)
        out = out + jumps[n] * shifted
    return out
