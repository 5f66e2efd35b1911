"""The tutor's named choices and defaults, without importing PyTorch.

The command line needs them for its choices and help, and importing torch costs seconds on
every ``yachay`` command; ``yachay.tutor.models`` checks that its registry matches.
"""

from __future__ import annotations

MODEL_NAMES: tuple[str, ...] = ("dkt", "dkt+f", "sakt", "attn+f")

SELECTIONS: dict[str, tuple[str, ...]] = {
    # An LSTM and an attention model with the same features: neither wins everywhere.
    "auto": ("dkt+f", "attn+f"),
}

# What retraining and serving build when not told otherwise: a model, not a selection.
DEFAULT_MODEL = "dkt+f"
# What `yachay tutor evaluate` trains when not told otherwise.
DEFAULT_EVALUATION = "auto"
# Each model's training budget in `yachay tutor evaluate`: with two candidates trained side
# by side and the baselines after, one dataset evaluates in under 10 minutes on two cores.
TRAIN_MINUTES = 5.5
# Epochs a training run may take at most (early stopping usually ends it sooner).
MAX_EPOCHS = 50

__all__ = [
    "DEFAULT_EVALUATION",
    "DEFAULT_MODEL",
    "MAX_EPOCHS",
    "MODEL_NAMES",
    "SELECTIONS",
    "TRAIN_MINUTES",
]
