"""How a model is trained and read: the settings a checkpoint carries (no torch here, so that
loading a checkpoint's description never imports the trainer)."""

from __future__ import annotations

from dataclasses import dataclass

from yachay.tutor.defaults import MAX_EPOCHS

__all__ = ["TrainConfig"]


@dataclass
class TrainConfig:
    """How to train; the same defaults serve every dataset."""

    batch_size: int = 64
    lr: float = 3e-3
    weight_decay: float = 1e-5
    max_epochs: int = MAX_EPOCHS
    patience: int = 4  # epochs without a better validation AUC before stopping
    window: int = 200  # answers per training window; longer histories are cut
    eval_stride: int = 100  # evaluation windows overlap: >= window - stride answers of context
    val_fraction: float = 0.1  # students split off the training file for early stopping
    split_seed: int = 0  # the validation split does not move with the training seed
    seed: int = 0
    grad_clip: float = 1.0
    ema: float | None = 0.98  # validate (and keep) an exponential moving average of weights
    lr_patience: int | None = 2  # halve the learning rate after this many epochs without
    #                              a better validation AUC (None: constant rate)
    max_seconds: float | None = None  # no epoch starts that would end past this budget

    @property
    def stride(self) -> int:
        """The evaluation stride, never longer than a window (short windows in tests)."""
        return min(self.eval_stride, self.window)
