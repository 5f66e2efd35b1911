"""A phone that dials our server exactly as Twilio would: signed webhooks, TwiML verb by verb.

    sim = PhoneSimulator(base_url="http://127.0.0.1:5000", auth_token=token)
    transcript = sim.call(keys=["1", "3", "s", "1"])
    assert "Hola" in transcript.spoken_text()

See :mod:`yachay.phone.keys` for the key-token grammar.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from yachay.phone.keys import KeyPrompt, KeysLike, KeySource, ScriptedKeys, as_key_source
from yachay.phone.run import CallRun
from yachay.phone.signing import SignatureMode, Signer
from yachay.phone.transcript import CallTranscript, Step

__all__ = [
    "CallTranscript",
    "KeyPrompt",
    "KeySource",
    "Listener",
    "PhoneSimulator",
    "ScriptedKeys",
    "SimulatorError",
    "Step",
]

#: Called as events happen: ``("request", step_json)``, ``("verb", verb_record)``,
#: ``("error", message)``, ``("end", transcript_json)``. The terminal display uses it.
Listener = Callable[[str, Any], None]


class SimulatorError(Exception):
    """The call went wrong; ``transcript`` holds everything up to the failure."""

    def __init__(self, message: str, transcript: CallTranscript | None = None) -> None:
        super().__init__(message)
        self.transcript = transcript


class PhoneSimulator:
    """Places simulated calls to one server. Cheap to create; holds no connection."""

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:5000",
        auth_token: str = "",
        from_number: str = "+51987654321",
        to_number: str = "+5116409999",
        voice_path: str = "/voice",
        status_path: str | None = "/voice/status",
        signature_mode: SignatureMode = "sha1",
        shared_key_id: str | None = None,
        timeout: float = 15.0,
        *,
        fallback_path: str | None = None,
        max_requests: int = 200,
        strict: bool = True,
        send_status: bool = True,
    ) -> None:
        """``auth_token`` is the shared-key secret in ``sha256`` mode.

        ``fallback_path``: when set, a failed answer makes the simulator request it with
        ``ErrorCode`` and ``ErrorUrl``, like a number configured with a fallback URL.
        ``strict``: :meth:`call` raises :class:`SimulatorError` when the call had errors.
        """
        self.base_url = base_url.rstrip("/")
        self.signer = Signer(auth_token, signature_mode, shared_key_id)
        self.from_number = from_number
        self.to_number = to_number
        self.voice_path = voice_path
        self.status_path = status_path
        self.fallback_path = fallback_path
        self.timeout = timeout
        self.max_requests = max_requests
        self.strict = strict
        self.send_status = send_status

    def url(self, path: str) -> str:
        """An absolute URL on the server for ``path`` (absolute URLs pass through)."""
        if "://" in path:
            return path
        return self.base_url + "/" + path.lstrip("/")

    def call(
        self,
        keys: KeysLike = (),
        *,
        strict: bool | None = None,
        send_status: bool | None = None,
        listener: Listener | None = None,
        from_number: str | None = None,
        to_number: str | None = None,
        path: str | None = None,
        direction: str = "inbound",
        extra_params: Mapping[str, str] | None = None,
        call_sid: str | None = None,
    ) -> CallTranscript:
        """Place one call and play it to the end.

        ``keys``: a script (``["1", "s", "r5"]`` or ``"1,s,r5"``), a :class:`KeySource`,
        or a callable ``(KeyPrompt) -> str | None``; ``None`` means the caller hangs up.
        ``path`` replaces ``voice_path`` (e.g. the URL of an outbound call, then with
        ``direction="outbound-api"``); ``extra_params`` are added to every webhook
        (e.g. ``{"AnsweredBy": "human"}``); ``call_sid``: the CallSid of a call placed
        through the REST API (the one Twilio's ``calls.create`` returned), else a new one.
        """
        run = CallRun(
            self,
            as_key_source(keys),
            listener=listener,
            from_number=from_number or self.from_number,
            to_number=to_number or self.to_number,
            start_url=self.url(path or self.voice_path),
            direction=direction,
            extra_params=dict(extra_params or {}),
            send_status=self.send_status if send_status is None else send_status,
            call_sid=call_sid,
        )
        transcript = run.run()
        if (self.strict if strict is None else strict) and transcript.errors:
            raise SimulatorError("; ".join(transcript.errors), transcript)
        return transcript
