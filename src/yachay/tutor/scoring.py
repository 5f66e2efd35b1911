"""P(right) for every candidate question after one student's history, in one pass.

Every model here is causal: what the answers before a position say does not depend on the
question asked there. So a round is scored the way the model was evaluated, once:

1. the history is read in the window evaluation would have scored the next answer in
   (:func:`yachay.tutor.data.window_start`: windows of ``window`` answers every ``stride``),
   so the probabilities served are the ones the test AUC measured; the history features
   (counts of attempts, successes, recency) span the whole history, as in training;
2. the model encodes that window plus one empty position after it
   (:meth:`KTModel.encode <yachay.tutor.models.base.KTModel.encode>`);
3. every candidate is read out at that position, as one batch
   (:meth:`KTModel.read_out <yachay.tutor.models.base.KTModel.read_out>`), with the
   features it would have as the next answer (:func:`yachay.tutor.features.next_features`).

Ids are the model's (1-based); ids above its vocabulary read as its "unknown" id.
"""

from __future__ import annotations

import numpy as np
import torch

from yachay.tutor.data import StudentSequence, window_start
from yachay.tutor.features import next_features
from yachay.tutor.models import KTModel

__all__ = ["score_candidates"]


@torch.inference_mode()
def score_candidates(
    model: KTModel,
    history: StudentSequence,
    questions: np.ndarray,
    skills: np.ndarray,
    *,
    window: int,
    stride: int,
) -> np.ndarray:
    """P(right) of each candidate (``questions[i]``, ``skills[i]``) as the next answer after
    ``history`` (float64, in the candidates' order)."""
    if len(questions) == 0:
        return np.zeros(0)
    n = len(history)
    start = window_start(n, window, stride)
    features, candidate_features = next_features(history, questions, skills, start=start)
    length = n - start + 1  # the window and the position the candidates are asked at

    def padded(values: np.ndarray) -> torch.Tensor:
        out = np.zeros((1, length, *values.shape[1:]), dtype=values.dtype)
        out[0, : n - start] = values
        return torch.from_numpy(out)

    mask = torch.zeros(1, length, dtype=torch.bool)
    mask[0, : n - start] = True
    context = model.encode(
        {
            "questions": padded(history.questions[start:]),
            "skills": padded(history.skills[start:]),
            "responses": padded(history.responses[start:]),
            "features": padded(features),
            "mask": mask,
        }
    )
    asked = {
        "questions": torch.from_numpy(np.asarray(questions, dtype=np.int64)).unsqueeze(0),
        "skills": torch.from_numpy(np.asarray(skills, dtype=np.int64)).unsqueeze(0),
        "features": torch.from_numpy(candidate_features).unsqueeze(0),
        "positions": torch.full((len(questions),), n - start, dtype=torch.int64),
    }
    logits = model.read_out(context, asked)[0]
    return torch.sigmoid(logits).double().numpy()
