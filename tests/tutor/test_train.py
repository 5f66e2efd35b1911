"""The trainer's stopping rules: early stopping, the time budget, the epoch cap."""

from __future__ import annotations

import pytest

from tests.tutor.conftest import simulate
from yachay.tutor.models import build_model
from yachay.tutor.train import BestCheckpoint, EarlyStopping, Trainer
from yachay.tutor.train_config import TrainConfig


def fit(config: TrainConfig) -> Trainer:
    students = simulate(60, length=12)
    model = build_model("dkt", num_items=6, num_skills=6)
    trainer = Trainer(model, config, [EarlyStopping(config.patience), BestCheckpoint()])
    trainer.fit(students[:48], students[48:])
    return trainer


def test_the_epoch_cap_ends_training() -> None:
    trainer = fit(TrainConfig(max_epochs=3, patience=10))
    assert len(trainer.history) == 3 and trainer.stopped_by == "max epochs"


def test_no_epoch_starts_that_would_end_past_the_time_budget() -> None:
    # Any epoch takes longer than a microsecond: the first one ends the training, and its
    # weights are kept.
    trainer = fit(TrainConfig(max_epochs=20, patience=10, max_seconds=1e-6))
    assert len(trainer.history) == 1 and trainer.stopped_by == "time budget"
    assert trainer.best_epoch == 0


def test_early_stopping_wins_over_the_cap() -> None:
    # A learning rate of zero never improves on the first epoch's validation AUC.
    trainer = fit(TrainConfig(max_epochs=20, patience=2, lr=0.0, ema=None, lr_patience=None))
    assert trainer.stopped_by == "early stopping"
    assert len(trainer.history) == 3
    assert trainer.best_epoch == 0


@pytest.mark.parametrize(("minutes", "stopped_by"), [(None, "max epochs"), (1e-9, "time budget")])
def test_evaluation_reports_why_each_training_stopped(tiny_dataset, minutes, stopped_by) -> None:
    from yachay.tutor.evaluate import evaluate_dataset

    report = evaluate_dataset(
        tiny_dataset,
        models=["dkt"],
        baselines=[],
        workers=1,
        progress=False,
        train_minutes=minutes,
        train_config=TrainConfig(max_epochs=2),
    )
    assert report["models"]["dkt"]["stopped_by"] == [stopped_by]
