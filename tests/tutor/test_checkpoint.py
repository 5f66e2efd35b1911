from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from tests.tutor.conftest import simulate
from tests.tutor.reference_scorer import Answer, KnowledgeTracer
from yachay.tutor.checkpoint import (
    SCHEMA_VERSION,
    CheckpointError,
    load_checkpoint,
    save_checkpoint,
)
from yachay.tutor.data import collate, windows
from yachay.tutor.features import FEATURE_NAMES, UNTIMED_FEATURES
from yachay.tutor.models import MODELS, build_model
from yachay.tutor.train import TrainConfig


@pytest.mark.parametrize("name", sorted(MODELS))
def test_round_trip_gives_the_same_predictions(name: str, tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = build_model(name, num_items=6, num_skills=6).eval()
    path = save_checkpoint(
        tmp_path / "sub" / "model.pt",
        model,
        train_config=TrainConfig(window=50),
        best_metric={"val_auc": 0.75},
        metadata={"items": {"suma-1": 1}},
    )
    loaded = load_checkpoint(path)
    assert loaded.model_name == name
    assert loaded.train_config.window == 50
    assert loaded.best_metric == {"val_auc": 0.75}
    assert loaded.metadata == {"items": {"suma-1": 1}}
    assert (loaded.num_items, loaded.num_skills) == (6, 6)
    assert not loaded.model.training
    batch = collate(windows(simulate(4, length=15), 15))
    assert torch.equal(model(batch)[0], loaded.model(batch)[0])


def test_the_checkpoint_describes_itself(tmp_path: Path) -> None:
    model = build_model("dkt", num_items=4, num_skills=3, hidden_dim=8, embed_dim=8)
    path = save_checkpoint(tmp_path / "m.pt", model)
    payload = torch.load(path, weights_only=True)
    assert payload["schema_version"] == SCHEMA_VERSION
    assert payload["model_config"]["hidden_dim"] == 8
    assert payload["num_items"] == 4 and payload["num_skills"] == 3
    assert set(payload) >= {"train_config", "feature_names", "best_metric", "state_dict"}


def test_unusable_checkpoints_are_refused_with_a_reason(tmp_path: Path) -> None:
    model = build_model("dkt", num_items=4, num_skills=4)
    path = save_checkpoint(tmp_path / "m.pt", model)
    payload = torch.load(path, weights_only=True)
    payload["schema_version"] = SCHEMA_VERSION + 1
    torch.save(payload, tmp_path / "new.pt")
    with pytest.raises(CheckpointError, match="retrain"):
        load_checkpoint(tmp_path / "new.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        load_checkpoint(tmp_path / "junk.pt")


def test_a_model_trained_before_the_response_time_features_still_loads(tmp_path: Path) -> None:
    """Features are only ever appended: a checkpoint of the first ones (an older model, or
    one trained on data without times) loads and reads those; other names are refused."""
    torch.manual_seed(0)
    model = build_model("dkt+f", num_items=6, num_skills=6, num_features=UNTIMED_FEATURES).eval()
    path = save_checkpoint(tmp_path / "old.pt", model)
    payload = torch.load(path, weights_only=True)
    assert payload["feature_names"] == list(FEATURE_NAMES[:UNTIMED_FEATURES])
    loaded = load_checkpoint(path)
    assert loaded.model.config.num_features == UNTIMED_FEATURES
    batch = collate(windows(simulate(4, length=15), 15))
    assert torch.equal(model(batch)[0], loaded.model(batch)[0])

    payload["feature_names"] = ["skill_rate", *FEATURE_NAMES[1:UNTIMED_FEATURES]]
    torch.save(payload, tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="trained with features"):
        load_checkpoint(tmp_path / "other.pt")


def test_knowledge_tracer_scores_candidates_like_the_full_sequence(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = build_model("attn+f", num_items=6, num_skills=6)
    path = save_checkpoint(
        tmp_path / "m.pt", model, train_config=TrainConfig(window=8, eval_stride=1)
    )
    tracer = KnowledgeTracer.load(path)
    student = simulate(1, length=12)[0]
    history = [
        Answer(int(q), bool(r)) for q, r in zip(student.questions, student.responses, strict=True)
    ]
    traced = tracer.trace(history)
    assert traced.shape == (12,)
    # Scoring the last answer's question as a candidate after the first 11 answers gives
    # what the model predicted for it in the full sequence.
    candidates = [int(student.questions[-1]), 1, 2]
    scores = tracer.predict(history[:-1], candidates)
    assert scores.shape == (3,)
    assert scores[0] == pytest.approx(traced[-1], abs=1e-5)
    assert ((scores > 0) & (scores < 1)).all()
    assert tracer.predict(history, []).shape == (0,)
    # A new student: candidates are scored from nothing.
    assert np.isfinite(tracer.predict([], [1, 2, 99])).all()
