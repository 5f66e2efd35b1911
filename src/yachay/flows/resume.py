"""What the caller did while we waited, in the engine's terms (the adapter parses requests)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Keys:
    digits: str
    at: datetime


@dataclass(frozen=True)
class Silence:
    """The wait ended with no input (Gather timeout, or an empty recording)."""

    at: datetime


@dataclass(frozen=True)
class Recording:
    url: str
    sid: str
    duration_seconds: int
    at: datetime


Resume = Keys | Silence | Recording
