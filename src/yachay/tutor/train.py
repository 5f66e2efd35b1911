"""A small trainer: one flat loop, with logging, early stopping and checkpointing as callbacks."""

from __future__ import annotations

import copy
import math
import os
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from yachay.tutor import model_quality
from yachay.tutor.data import StudentSequence, batches, windows
from yachay.tutor.features import history_features
from yachay.tutor.models import KTModel
from yachay.tutor.train_config import TrainConfig

__all__ = [
    "BestCheckpoint",
    "Callback",
    "EarlyStopping",
    "ProgressBar",
    "Trainer",
    "predict",
    "seed_everything",
    "set_threads",
]


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch, and ask torch for deterministic kernels."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)


def set_threads(threads: int | None = None) -> int:
    """Use ``threads`` intra-op threads (default: the CPUs this process may run on)."""
    if threads is None:
        try:
            threads = len(os.sched_getaffinity(0))
        except AttributeError:  # not on Linux
            threads = os.cpu_count() or 1
    torch.set_num_threads(max(1, threads))
    return torch.get_num_threads()


class Callback:
    """Hooks the trainer calls; override the ones you need."""

    def on_train_start(self, trainer: Trainer) -> None: ...

    def on_epoch_start(self, trainer: Trainer, num_batches: int) -> None: ...

    def on_batch_end(self, trainer: Trainer, loss: float) -> None: ...

    def on_epoch_end(self, trainer: Trainer, logs: dict[str, float]) -> None: ...

    def on_train_end(self, trainer: Trainer) -> None: ...


class ProgressBar(Callback):
    """A tqdm bar per epoch on stderr (stdout stays free for ``--json``).

    ``position`` is the terminal line, for bars of several processes at once.
    """

    def __init__(
        self, description: str = "train", enabled: bool = True, position: int | None = None
    ) -> None:
        self.description = description
        self.enabled = enabled
        self.position = position
        self.bar: tqdm | None = None

    def on_epoch_start(self, trainer: Trainer, num_batches: int) -> None:
        self.bar = tqdm(
            total=num_batches,
            desc=f"{self.description} epoch {trainer.epoch + 1}",
            file=sys.stderr,
            leave=False,
            disable=not self.enabled,
            dynamic_ncols=True,
            position=self.position,
        )

    def on_batch_end(self, trainer: Trainer, loss: float) -> None:
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(loss=f"{loss:.4f}", refresh=False)

    def on_epoch_end(self, trainer: Trainer, logs: dict[str, float]) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        if self.enabled:
            tqdm.write(
                f"{self.description} epoch {trainer.epoch + 1}: loss {logs['loss']:.4f}  "
                f"val auc {logs['val_auc']:.4f}  best {trainer.best_metric:.4f}",
                file=sys.stderr,
            )


class EarlyStopping(Callback):
    """Stop when validation AUC has not improved for ``patience`` epochs."""

    def __init__(self, patience: int) -> None:
        self.patience = patience

    def on_epoch_end(self, trainer: Trainer, logs: dict[str, float]) -> None:
        if trainer.epoch - trainer.best_epoch >= self.patience:
            trainer.should_stop = True


class BestCheckpoint(Callback):
    """Keep the weights of the best validation epoch; restore them (and save them) at the end."""

    def __init__(self, path: str | Path | None = None, metadata: dict[str, Any] | None = None):
        self.path = Path(path) if path is not None else None
        self.metadata = metadata
        self.state: dict[str, torch.Tensor] | None = None

    def on_epoch_end(self, trainer: Trainer, logs: dict[str, float]) -> None:
        if trainer.best_epoch == trainer.epoch:
            self.state = copy.deepcopy(trainer.model.state_dict())

    def on_train_end(self, trainer: Trainer) -> None:
        if self.state is not None:
            trainer.model.load_state_dict(self.state)
        if self.path is not None:
            from yachay.tutor.checkpoint import save_checkpoint

            save_checkpoint(
                self.path,
                trainer.model,
                train_config=trainer.config,
                best_metric={"val_auc": trainer.best_metric},
                metadata=self.metadata,
            )


@dataclass
class Trainer:
    model: KTModel
    config: TrainConfig
    callbacks: Sequence[Callback] = ()
    epoch: int = 0
    best_metric: float = -math.inf
    best_epoch: int = -1
    should_stop: bool = False
    history: list[dict[str, float]] = field(default_factory=list)
    #: Why training ended: "early stopping", "time budget" or "max epochs".
    stopped_by: str = ""

    def fit(
        self, train: Sequence[StudentSequence], val: Sequence[StudentSequence]
    ) -> dict[str, float]:
        """Train on ``train``, select the epoch by AUC on ``val``; returns the best logs."""
        config = self.config
        seed_everything(config.seed)
        train_items = windows(train, config.window)
        val_items = windows(val, config.window, config.stride)
        rng = np.random.default_rng(config.seed)
        optimizer = torch.optim.Adam(
            self.model.parameters(), lr=config.lr, weight_decay=config.weight_decay
        )
        averaged = (
            torch.optim.swa_utils.AveragedModel(
                self.model, multi_avg_fn=torch.optim.swa_utils.get_ema_multi_avg_fn(config.ema)
            )
            if config.ema
            else None
        )
        scheduler = (
            torch.optim.lr_scheduler.ReduceLROnPlateau(
                optimizer, mode="max", factor=0.5, patience=config.lr_patience
            )
            if config.lr_patience is not None
            else None
        )
        num_batches = math.ceil(len(train_items) / config.batch_size)
        per_batch = sum(len(item["questions"]) for item in train_items) / num_batches
        started = time.monotonic()
        for cb in self.callbacks:
            cb.on_train_start(self)
        for self.epoch in range(config.max_epochs):
            for cb in self.callbacks:
                cb.on_epoch_start(self, num_batches)
            self.model.train()
            total, count = 0.0, 0
            for batch in batches(train_items, config.batch_size, shuffle=True, generator=rng):
                _, loss = self.model(batch)
                optimizer.zero_grad(set_to_none=True)
                # Batches hold windows of similar length, so their sizes differ a lot; weight
                # each batch's mean loss by its answers so that every answer counts the same.
                (loss * (batch["score"].sum() / per_batch)).backward()
                if config.grad_clip:
                    torch.nn.utils.clip_grad_norm_(self.model.parameters(), config.grad_clip)
                optimizer.step()
                if averaged is not None:
                    averaged.update_parameters(self.model)
                total += loss.item()
                count += 1
                for cb in self.callbacks:
                    cb.on_batch_end(self, loss.item())
            if averaged is not None:  # validate the averaged weights, in the model itself
                live = copy.deepcopy(self.model.state_dict())
                self.model.load_state_dict(averaged.module.state_dict())
            y, p = predict(self.model, val_items, config.batch_size * 4)
            logs = {"epoch": self.epoch + 1, "loss": total / max(count, 1)}
            logs.update({f"val_{k}": v for k, v in model_quality.all_metrics(y, p).items()})
            if logs["val_auc"] > self.best_metric:
                self.best_metric, self.best_epoch = logs["val_auc"], self.epoch
            self.history.append(logs)
            if scheduler is not None:
                scheduler.step(logs["val_auc"])
            for cb in self.callbacks:
                cb.on_epoch_end(self, logs)
            if averaged is not None:
                self.model.load_state_dict(live)
            # Stop before an epoch that would end past the budget (epochs take about as
            # long as the mean so far), so the budget is a limit, not a starting point.
            elapsed = time.monotonic() - started
            out_of_time = config.max_seconds is not None and (
                elapsed * (self.epoch + 2) / (self.epoch + 1) > config.max_seconds
            )
            if self.should_stop or out_of_time:
                self.stopped_by = "early stopping" if self.should_stop else "time budget"
                break
        else:
            self.stopped_by = "max epochs"
        for cb in self.callbacks:
            cb.on_train_end(self)
        return self.history[self.best_epoch]


@torch.no_grad()
def predict(
    model: KTModel, items: Sequence[dict[str, np.ndarray]], batch_size: int = 128
) -> tuple[np.ndarray, np.ndarray]:
    """Labels and predicted probabilities at every scored position, in a fixed order."""
    was_training = model.training
    model.eval()
    keys, labels, probs = [], [], []
    for batch in batches(items, batch_size):
        p, _ = model(batch)
        score = batch["score"]
        student, position = torch.nonzero(score, as_tuple=True)
        keys.append(
            torch.stack([batch["student"][student], batch["offset"][student] + position], 1)
        )
        labels.append(batch["responses"][score])
        probs.append(p[score])
    model.train(was_training)
    key = torch.cat(keys).numpy()
    order = np.lexsort((key[:, 1], key[:, 0]))
    return torch.cat(labels).numpy()[order], torch.cat(probs).double().numpy()[order]


def predict_sequences(
    model: KTModel, sequences: Sequence[StudentSequence], config: TrainConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Predict every answer of every student (ordered by student, then position)."""
    features = [history_features(s) for s in sequences]
    items = windows(sequences, config.window, config.stride, features)
    return predict(model, items, config.batch_size * 4)
