"""The slow reference the tests hold serving to: each candidate question scored as its own
sequence (the history plus that candidate) through the model's ``forward``.

    tracer = KnowledgeTracer.load("var/tutor/dkt+f.pt")
    history = [Answer(question=3, correct=True), Answer(question=7, correct=False)]
    tracer.predict(history, candidates=[3, 7, 12])   # -> array of P(right) per candidate

Ids are the model's integer ids (1-based). Serving
(:func:`yachay.tutor.scoring.score_candidates`) reads the history once instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from yachay.tutor.checkpoint import Checkpoint, load_checkpoint
from yachay.tutor.data import StudentSequence, collate, window_start
from yachay.tutor.features import history_features
from yachay.tutor.models import KTModel

__all__ = ["Answer", "KnowledgeTracer"]


@dataclass(frozen=True)
class Answer:
    """One answer in a student's history. ``skill`` defaults to ``question``;
    ``response_ms`` is how long the answer took (None: unknown)."""

    question: int
    correct: bool
    skill: int | None = None
    response_ms: int | None = None


Candidate = int | tuple[int, int]  # a question id, or (question id, skill id)


class KnowledgeTracer:
    """A trained model wrapped for one-student-at-a-time scoring (no gradients, CPU)."""

    def __init__(
        self,
        model: KTModel,
        window: int,
        checkpoint: Checkpoint | None = None,
        *,
        stride: int | None = None,
    ) -> None:
        self.model = model.eval()
        self.window = window
        #: Evaluation windows start every ``stride`` answers (the training default: half a
        #: window); the next answer is read in the window evaluation would score it in.
        self.stride = default_stride(window) if stride is None else stride
        self.checkpoint = checkpoint

    @classmethod
    def load(cls, path: str | Path) -> KnowledgeTracer:
        checkpoint = load_checkpoint(path)
        config = checkpoint.train_config
        return cls(checkpoint.model, config.window, checkpoint, stride=config.stride)

    @property
    def num_items(self) -> int:
        return self.model.config.num_items

    @torch.no_grad()
    def predict(self, history: Sequence[Answer], candidates: Sequence[Candidate]) -> np.ndarray:
        """P(right) if each candidate were asked next, given ``history`` (oldest first).

        History counts (attempts, successes, recency) use the whole history; the sequence
        model reads the answers since the start of the evaluation window that would score
        the next answer (:func:`~yachay.tutor.data.window_start`): at least
        ``window - stride`` of them, at most ``window - 1``.
        """
        if not candidates:
            return np.zeros(0)
        items = []
        start = window_start(len(history), self.window, self.stride)
        for candidate in candidates:
            question, skill = candidate if isinstance(candidate, tuple) else (candidate, None)
            seq = _sequence([*history, Answer(question, False, skill)])
            feats = history_features(seq)
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

            config = TrainConfig(window=self.window, eval_stride=self.stride)
        _, probs = predict_sequences(self.model, [_sequence(history)], config)
        return probs


def default_stride(window: int) -> int:
    """The evaluation stride of a window when the checkpoint does not say: half a window."""
    return max(1, window // 2)


def _sequence(history: Sequence[Answer]) -> StudentSequence:
    return StudentSequence.from_lists(
        [a.question for a in history],
        [int(a.correct) for a in history],
        [a.question if a.skill is None else a.skill for a in history],
        [a.response_ms for a in history],
    )
