"""What happened on a simulated call: every request, the verbs each answer held, the keys."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

EndedBy = Literal["hangup-verb", "caller", "end-of-document", "reject", "error"]


@dataclass
class Step:
    """One HTTP request to the server and what it answered.

    ``kind`` is ``voice`` (the first webhook), ``action`` (<Gather>/<Record>/<Dial>
    action), ``redirect``, ``fallback``, ``recording-status`` or ``status``.
    ``verbs`` are plain dicts: ``{"verb": "Say", <attributes>, "text": ...}``; a
    <Gather> holds its nested verbs under ``"verbs"``. ``key`` is the token the caller
    gave that ended this document, if any.
    """

    kind: str
    method: str
    url: str
    params: dict[str, str]
    status: int | None = None
    latency_ms: float | None = None
    content_type: str = ""
    verbs: list[dict[str, Any]] = field(default_factory=list)
    key: str | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "method": self.method,
            "url": self.url,
            "params": dict(self.params),
            "status": self.status,
            "latency_ms": self.latency_ms,
            "content_type": self.content_type,
            "verbs": self.verbs,
            "key": self.key,
            "error": self.error,
        }


def _walk(verbs: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for verb in verbs:
        yield verb
        yield from _walk(verb.get("verbs", []))


@dataclass
class CallTranscript:
    call_sid: str
    account_sid: str
    from_number: str
    to_number: str
    steps: list[Step] = field(default_factory=list)
    ended_by: EndedBy | None = None
    #: The CallStatus of the status callback: completed, busy or no-answer.
    call_status: str = "completed"
    #: Simulated seconds, as sent in CallDuration.
    duration: int = 0
    errors: list[str] = field(default_factory=list)
    #: Design habits the TwiML broke (see :func:`yachay.phone.twiml.lint`); not errors.
    warnings: list[str] = field(default_factory=list)
    #: Things worth knowing that are not errors (e.g. the script ran out of keys).
    notes: list[str] = field(default_factory=list)
    #: Tokens the caller used, in order.
    keys_used: list[str] = field(default_factory=list)
    #: Scripted tokens never used because the call ended first.
    unused_keys: list[str] = field(default_factory=list)
    out_of_keys: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def requests(self) -> list[Step]:
        """Every request made to the server, status callbacks included."""
        return list(self.steps)

    @property
    def documents(self) -> list[Step]:
        """The requests that answered TwiML (not status or recording callbacks)."""
        return [s for s in self.steps if s.kind not in ("status", "recording-status")]

    @property
    def status_callbacks(self) -> list[Step]:
        return [s for s in self.steps if s.kind == "status"]

    def verbs(self, name: str | None = None) -> list[dict[str, Any]]:
        """All executed verbs in order (nested ones after their <Gather>), or one kind."""
        found = [v for step in self.steps for v in _walk(step.verbs)]
        return [v for v in found if name is None or v["verb"] == name]

    def said(self) -> list[str]:
        return [v["text"] for v in self.verbs("Say")]

    def played(self) -> list[str]:
        return [v["url"] for v in self.verbs("Play") if v.get("url")]

    def spoken_text(self) -> str:
        return " ".join(self.said())

    def to_json(self) -> dict[str, Any]:
        return {
            "call_sid": self.call_sid,
            "account_sid": self.account_sid,
            "from": self.from_number,
            "to": self.to_number,
            "ended_by": self.ended_by,
            "call_status": self.call_status,
            "duration": self.duration,
            "ok": self.ok,
            "errors": list(self.errors),
            "warnings": list(self.warnings),
            "notes": list(self.notes),
            "keys_used": list(self.keys_used),
            "unused_keys": list(self.unused_keys),
            "steps": [step.to_json() for step in self.steps],
        }

    def summary(self) -> str:
        """A few lines for people: how the call ended, and every error."""
        lines = [
            f"call {self.call_sid}: {len(self.documents)} TwiML request(s), "
            f"ended by {self.ended_by}, {self.call_status}, {self.duration} s"
        ]
        lines += [f"note: {note}" for note in self.notes]
        lines += [f"warning: {warning}" for warning in self.warnings]
        lines += [f"error: {error}" for error in self.errors]
        return "\n".join(lines)
