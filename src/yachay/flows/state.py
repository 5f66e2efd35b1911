"""A call's conversation state: small, JSON-serialisable, stored by CallSid between turns."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class CallState:
    call_sid: str
    phone: str
    #: The node waiting for the caller's next input ("" before the call started).
    node: str = ""
    language: str = "es"
    student_id: int | None = None
    #: The parent or teacher calling (users.id), once known.
    user_id: int | None = None
    #: The current node's own values (lesson id, question index, score so far, ...).
    vars: dict[str, Any] = field(default_factory=dict)
    #: Consecutive waits at this node that ended in silence.
    misses: int = 0
    #: A call Yachay placed for one student (students.id): whom it greets first.
    placed_for: int | None = None
    #: What that call was placed for: "lesson", "review" or "callback" ("" when inbound).
    purpose: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CallState:
        return cls(**data)
