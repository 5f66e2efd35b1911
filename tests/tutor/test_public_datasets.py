"""The published datasets: our model reaches the targets and beats the baselines.

Slow (several minutes per dataset on two cores): run with ``pytest -m slow``. The data sit
beside the checkout in ``../shared/datasets`` (never copied into the repository).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from yachay.tutor.evaluate import evaluate_dataset
from yachay.tutor.models import DEFAULT_EVALUATION

REPO = Path(__file__).resolve().parents[2]
DATASETS = REPO.parent / "shared" / "datasets"

# Test AUC our default must reach: a little above DKVMN's published 0.816 and 0.827.
TARGETS = {"assist2009": 0.82, "synthetic5": 0.83}


@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("name", sorted(TARGETS))
def test_default_model_reaches_the_target_and_beats_the_baselines(name: str) -> None:
    folder = DATASETS / name
    if not (folder / "train.csv").is_file() or not (folder / "test.csv").is_file():
        pytest.skip(f"{folder} is absent: the public datasets sit beside the checkout in CI")
    report = evaluate_dataset(folder, progress=False)
    rows = report["models"]
    ours = rows[DEFAULT_EVALUATION]
    assert ours["auc"] >= TARGETS[name], rows
    assert ours["auc"] > rows["bkt"]["auc"] and ours["auc"] > rows["pfa"]["auc"], rows
    assert ours["ece"] < 0.05, rows
