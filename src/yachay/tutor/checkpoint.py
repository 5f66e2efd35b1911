"""Self-describing checkpoints: everything needed to rebuild and use a model, in one file.

A checkpoint is a ``torch.save``'d dict of plain values and tensors (so it loads with
``weights_only=True``)::

    schema_version   int, bumped when the layout or the feature set changes meaning
    model_name       the key in MODELS
    model_config     the model's dataclass config as a dict (num_items/num_skills included)
    train_config     the TrainConfig as a dict (window sizes matter for serving)
    feature_names    the history features the model was trained with, in order
    best_metric      e.g. {"val_auc": 0.82}
    num_items, num_skills
    metadata         free-form, e.g. the mapping from our question slugs to item ids
    state_dict       the weights
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from yachay.tutor.features import FEATURE_NAMES
from yachay.tutor.models import MODELS, KTModel
from yachay.tutor.train_config import TrainConfig

__all__ = ["SCHEMA_VERSION", "Checkpoint", "CheckpointError", "load_checkpoint", "save_checkpoint"]

SCHEMA_VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint this code cannot rebuild a model from."""


@dataclass
class Checkpoint:
    """A loaded checkpoint: the rebuilt model (in eval mode) and what describes it."""

    model: KTModel
    model_name: str
    train_config: TrainConfig
    best_metric: dict[str, float] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def num_items(self) -> int:
        return self.model.config.num_items

    @property
    def num_skills(self) -> int:
        return self.model.config.num_skills


def model_name_of(model: KTModel) -> str:
    for name, cls in MODELS.items():
        if type(model) is cls:
            return name
    raise CheckpointError(f"{type(model).__name__} is not in the model registry")


def save_checkpoint(
    path: str | Path,
    model: KTModel,
    *,
    train_config: TrainConfig | None = None,
    best_metric: dict[str, float] | None = None,
    metadata: dict[str, Any] | None = None,
) -> Path:
    """Write ``model`` and what describes it to ``path`` (parent folders are created)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "schema_version": SCHEMA_VERSION,
        "model_name": model_name_of(model),
        "model_config": dataclasses.asdict(model.config),
        "train_config": dataclasses.asdict(train_config or TrainConfig()),
        "feature_names": list(FEATURE_NAMES[: model.config.num_features]),
        "best_metric": dict(best_metric or {}),
        "num_items": model.config.num_items,
        "num_skills": model.config.num_skills,
        "metadata": dict(metadata or {}),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
    }
    torch.save(payload, path)
    return path


def load_checkpoint(path: str | Path) -> Checkpoint:
    """Rebuild the model from the checkpoint alone; raises :class:`CheckpointError`."""
    path = Path(path)
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise
    except Exception as exc:  # torch raises several types for a damaged file
        raise CheckpointError(f"{path}: not a readable checkpoint ({exc})") from exc
    if not isinstance(payload, dict) or "schema_version" not in payload:
        raise CheckpointError(f"{path}: not a yachay tutor checkpoint")
    if payload["schema_version"] != SCHEMA_VERSION:
        raise CheckpointError(
            f"{path}: checkpoint schema {payload['schema_version']}, this code reads "
            f"{SCHEMA_VERSION}; retrain the model"
        )
    trained = tuple(payload["feature_names"])
    # A model reads the first features (KTModel.features): those it was trained on must be
    # the first ones this code computes, in order (new features are only ever appended).
    if trained != FEATURE_NAMES[: len(trained)]:
        raise CheckpointError(
            f"{path}: trained with features {list(trained)}, this code computes "
            f"{list(FEATURE_NAMES)}; retrain the model"
        )
    name = payload["model_name"]
    if name not in MODELS:
        raise CheckpointError(f"{path}: unknown model {name!r}; known: {', '.join(MODELS)}")
    cls = MODELS[name]
    model = cls(cls.Config(**payload["model_config"]))
    model.load_state_dict(payload["state_dict"])
    model.eval()
    return Checkpoint(
        model=model,
        model_name=name,
        train_config=TrainConfig(**payload["train_config"]),
        best_metric=payload["best_metric"],
        metadata=payload["metadata"],
    )
