"""What a verb tells the call to do next."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from yachay.phone.transcript import EndedBy


def new_sid(prefix: str) -> str:
    return prefix + uuid.uuid4().hex


@dataclass
class Goto:
    """Request a new TwiML document (an action, a redirect, the fallback)."""

    kind: str
    method: str
    url: str
    params: dict[str, str] = field(default_factory=dict)


@dataclass
class End:
    ended_by: EndedBy
    call_status: str = "completed"


class ScriptError(Exception):
    """The caller's script does not fit what the call asks for."""
