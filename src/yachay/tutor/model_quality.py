"""Metrics for probabilistic predictions of right (1) / wrong (0) answers."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["accuracy", "all_metrics", "auc", "ece", "log_loss"]

_EPS = 1e-7


def _arrays(y_true: ArrayLike, y_prob: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y_true, dtype=np.float64).ravel()
    p = np.asarray(y_prob, dtype=np.float64).ravel()
    if y.shape != p.shape:
        raise ValueError(f"{y.size} labels but {p.size} predictions")
    if y.size == 0:
        raise ValueError("no predictions to score")
    return y, p


def auc(y_true: ArrayLike, y_prob: ArrayLike) -> float:
    """Area under the ROC curve (Mann-Whitney U; tied scores count one half)."""
    y, p = _arrays(y_true, y_prob)
    n_pos = y.sum()
    n_neg = y.size - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ValueError("AUC needs both right and wrong answers")
    order = np.argsort(p, kind="mergesort")
    sorted_p = p[order]
    ranks = np.empty(y.size, dtype=np.float64)
    # average 1-based ranks over runs of tied scores
    boundaries = np.flatnonzero(np.diff(sorted_p)) + 1
    starts = np.concatenate([[0], boundaries])
    ends = np.concatenate([boundaries, [y.size]])
    avg = (starts + ends + 1) / 2.0
    ranks[order] = np.repeat(avg, ends - starts)
    return float((ranks[y == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def accuracy(y_true: ArrayLike, y_prob: ArrayLike, threshold: float = 0.5) -> float:
    """Share of answers where ``probability >= threshold`` matches the answer."""
    y, p = _arrays(y_true, y_prob)
    return float(np.mean((p >= threshold) == (y == 1)))


def log_loss(y_true: ArrayLike, y_prob: ArrayLike) -> float:
    """Mean negative log-likelihood, natural log, probabilities clipped to [1e-7, 1 - 1e-7]."""
    y, p = _arrays(y_true, y_prob)
    p = np.clip(p, _EPS, 1 - _EPS)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def ece(y_true: ArrayLike, y_prob: ArrayLike, bins: int = 10) -> float:
    """Expected calibration error with ``bins`` equal-width bins of the predicted probability.

    Bins split [0, 1] into equal widths (the last bin includes 1.0). ECE is the mean over
    bins of ``|mean predicted probability - share right|``, weighted by the share of
    predictions in the bin (empty bins count 0).
    """
    y, p = _arrays(y_true, y_prob)
    index = np.clip((p * bins).astype(np.int64), 0, bins - 1)
    pred_sum = np.bincount(index, weights=p, minlength=bins)
    true_sum = np.bincount(index, weights=y, minlength=bins)
    return float(np.abs(pred_sum - true_sum).sum() / y.size)


def all_metrics(y_true: ArrayLike, y_prob: ArrayLike) -> dict[str, float]:
    """``auc``, ``acc``, ``logloss`` and ``ece`` (10 equal-width bins)."""
    return {
        "auc": auc(y_true, y_prob),
        "acc": accuracy(y_true, y_prob),
        "logloss": log_loss(y_true, y_prob),
        "ece": ece(y_true, y_prob),
    }
