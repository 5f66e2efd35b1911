"""Knowledge-tracing models, by name. Add a model: one file, one line in ``MODELS``."""

from __future__ import annotations

from yachay.tutor.models.base import KTConfig, KTModel
from yachay.tutor.models.dkt import DKT
from yachay.tutor.models.dkt_features import DKTFeatures

MODELS: dict[str, type[KTModel]] = {
    "dkt": DKT,
    "dkt+f": DKTFeatures,
}

DEFAULT_MODEL = "dkt+f"


def build_model(name: str, **config: object) -> KTModel:
    """A fresh model from its registry name and config fields (sizes included)."""
    try:
        cls = MODELS[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; known: {', '.join(sorted(MODELS))}") from None
    return cls(cls.Config(**config))


__all__ = ["DEFAULT_MODEL", "MODELS", "KTConfig", "KTModel", "build_model"]
