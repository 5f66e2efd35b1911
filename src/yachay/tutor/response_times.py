"""Response times as the tutor's models read them (no torch: serving imports this).

A time is in milliseconds, as the database stores ``answers.response_ms``; -1 (or None on
the way in) is unknown. The models read :func:`seconds`, log1p of the seconds, 0 when
unknown.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = ["as_seconds", "known_ms", "seconds"]


def known_ms(ms: Sequence[int | None]) -> np.ndarray:
    """Response times as an int64 array, -1 for the unknown ones (None or negative)."""
    return np.fromiter(
        (-1 if v is None or v < 0 else int(v) for v in ms), dtype=np.int64, count=len(ms)
    )


def seconds(ms: int) -> float:
    """A response time as a feature: log1p of its seconds (0 when unknown). The log because a
    child's times are skewed: 3 s against 6 s says more than 33 s against 36 s."""
    return math.log1p(ms / 1000) if ms > 0 else 0.0


def as_seconds(ms: np.ndarray | None, n: int) -> np.ndarray:
    """:func:`seconds` of each time, float64; zeros for no times (None)."""
    if ms is None:
        return np.zeros(n)
    ms = np.asarray(ms, dtype=np.int64)
    return np.where(ms > 0, np.log1p(np.maximum(ms, 0) / 1000), 0.0)
