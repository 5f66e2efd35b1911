from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as sk

from yachay.tutor import model_quality as metrics


@pytest.fixture
def predictions() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    p = rng.random(500)
    y = (rng.random(500) < p).astype(int)
    p[:50] = np.round(p[:50], 1)  # some ties
    return y, p


def test_auc_matches_sklearn(predictions: tuple[np.ndarray, np.ndarray]) -> None:
    y, p = predictions
    assert metrics.auc(y, p) == pytest.approx(sk.roc_auc_score(y, p), abs=1e-12)
    assert metrics.auc([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5]) == 0.5


def test_accuracy_and_log_loss_match_sklearn(predictions: tuple[np.ndarray, np.ndarray]) -> None:
    y, p = predictions
    assert metrics.accuracy(y, p) == pytest.approx(sk.accuracy_score(y, p >= 0.5))
    assert metrics.log_loss(y, p) == pytest.approx(sk.log_loss(y, p), rel=1e-6)


def test_ece_by_hand() -> None:
    # bins [0.1, 0.2): two predictions of 0.15, one right -> |0.15 - 0.5| = 0.35
    # bin [0.9, 1.0]: 1.0 and 0.9, both right -> |0.95 - 1| = 0.05
    y = [1, 0, 1, 1]
    p = [0.15, 0.15, 0.9, 1.0]
    assert metrics.ece(y, p) == pytest.approx((2 * 0.35 + 2 * 0.05) / 4)
    assert metrics.ece([1, 0], [1.0, 0.0]) == 0.0


def test_all_metrics_keys_and_errors() -> None:
    assert set(metrics.all_metrics([0, 1], [0.2, 0.7])) == {"auc", "acc", "logloss", "ece"}
    with pytest.raises(ValueError, match="both right and wrong"):
        metrics.auc([1, 1], [0.2, 0.3])
    with pytest.raises(ValueError, match="2 labels but 3"):
        metrics.log_loss([1, 0], [0.2, 0.3, 0.4])
