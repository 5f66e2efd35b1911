"""Serving: score candidate questions for one student's history with a trained model.

    tracer = KnowledgeTracer.load("var/tutor/dkt+f.pt")
    history = [Answer(question=3, correct=True), Answer(question=7, correct=False)]
    tracer.predict(history, candidates=[3, 7, 12])   # -> array of P(right) per candidate

Ids are the model's integer ids (1-based, as in the training files); a serving layer keeps
the mapping from its own question keys (the checkpoint's ``metadata`` is the place for it).
Ids above the model's vocabulary are scored with the shared "unknown" embedding.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from yachay.tutor.checkpoint import Checkpoint, load_checkpoint
from yachay.tutor.data import StudentSequence, collate, history_features
from yachay.tutor.models import KTModel

__all__ = ["Answer", "KnowledgeTracer"]


@dataclass(frozen=True)
class Answer:
    """One answer in a student's history. ``skill`` defaults to ``question``."""

    question: int
    correct: bool
    skill: int | None = None


Candidate = int | tuple[int, int]  # a question id, or (question id, skill id)


class KnowledgeTracer:
    """A trained model wrapped for one-student-at-a-time scoring (no gradients, CPU)."""

    def __init__(self, model: KTModel, window: int, checkpoint: Checkpoint | None = None):
        self.model = model.eval()
        self.window = window
        self.checkpoint = checkpoint

    @classmethod
    def load(cls, path: str | Path) -> KnowledgeTracer:
        checkpoint = load_checkpoint(path)
        return cls(checkpoint.model, checkpoint.train_config.window, checkpoint)

    @property
    def num_items(self) -> int:
        return self.model.config.num_items

    @torch.no_grad()
    def predict(self, history: Sequence[Answer], candidates: Sequence[Candidate]) -> np.ndarray:
        """P(right) if each candidate were asked next, given ``history`` (oldest first).

        History counts (attempts, successes, recency) use the whole history; the sequence
        model reads the last ``window - 1`` answers.
        """
        if not candidates:
            return np.zeros(0)
        items = []
        for candidate in candidates:
            question, skill = candidate if isinstance(candidate, tuple) else (candidate, None)
            seq = _sequence([*history, Answer(question, False, skill)])
            feats = history_features(seq)
            start = max(0, len(seq) - self.window)
            score = np.zeros(len(seq) - start, dtype=bool)
            score[-1] = True
            items.append(
                {
                    "questions": seq.questions[start:],
                    "skills": seq.skills[start:],
                    "responses": seq.responses[start:],
                    "features": feats[start:],
                    "score": score,
                    "student": np.int64(0),
                    "offset": np.int64(start),
                }
            )
        probs, _ = self.model(collate(items))
        return probs[:, -1].double().numpy()

    @torch.no_grad()
    def trace(self, history: Sequence[Answer]) -> np.ndarray:
        """The model's prediction for each answer of ``history`` from the answers before it."""
        from yachay.tutor.train import predict_sequences

        if not history:
            return np.zeros(0)
        config = self.checkpoint.train_config if self.checkpoint else None
        if config is None:
            from yachay.tutor.train import TrainConfig

            config = TrainConfig(window=self.window, eval_stride=max(1, self.window // 2))
        _, probs = predict_sequences(self.model, [_sequence(history)], config)
        return probs


def _sequence(history: Sequence[Answer]) -> StudentSequence:
    return StudentSequence.from_lists(
        [a.question for a in history],
        [int(a.correct) for a in history],
        [a.question if a.skill is None else a.skill for a in history],
    )
