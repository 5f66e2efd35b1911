"""Predictors the simulated policies read besides the skill filter
(:mod:`yachay.tutor.skill_filter`): the oracle's view of the hidden knowledge."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from yachay.tutor.simulation.world import Student, World


class TruePredictor:
    """The true P(right) now, read from the hidden state."""

    def __init__(self, world: World, student: Student) -> None:
        self.world = world
        self.student = student

    def predict(
        self, history: Sequence[tuple[str, bool]], candidate_ids: Sequence[str], /
    ) -> dict[str, float]:
        rows = np.fromiter(
            map(self.world.row.__getitem__, candidate_ids), dtype=int, count=len(candidate_ids)
        )
        p = self.world.p_correct(self.student.k, rows)
        return dict(zip(candidate_ids, p.tolist(), strict=True))
