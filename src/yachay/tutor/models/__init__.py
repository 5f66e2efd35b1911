"""Knowledge-tracing models, by name. Add a model: one file, one line in ``MODELS`` and its
name in ``yachay.tutor.defaults.MODEL_NAMES`` (a test keeps the two the same).

``SELECTIONS`` name sets of models trained side by side, of which evaluation keeps the one
with the best validation AUC (model selection on the validation split, never on test).
"""

from __future__ import annotations

from yachay.tutor.defaults import DEFAULT_EVALUATION, DEFAULT_MODEL, SELECTIONS
from yachay.tutor.models.attention_features import AttentionFeatures
from yachay.tutor.models.base import KTConfig, KTModel
from yachay.tutor.models.dkt import DKT
from yachay.tutor.models.dkt_features import DKTFeatures
from yachay.tutor.models.sakt import SAKT

MODELS: dict[str, type[KTModel]] = {
    "dkt": DKT,
    "dkt+f": DKTFeatures,
    "sakt": SAKT,
    "attn+f": AttentionFeatures,
}


def build_model(name: str, **config: object) -> KTModel:
    """A fresh model from its registry name and config fields (sizes included)."""
    try:
        cls = MODELS[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; known: {', '.join(sorted(MODELS))}") from None
    return cls(cls.Config(**config))


__all__ = [
    "DEFAULT_EVALUATION",
    "DEFAULT_MODEL",
    "MODELS",
    "SELECTIONS",
    "KTConfig",
    "KTModel",
    "build_model",
]
