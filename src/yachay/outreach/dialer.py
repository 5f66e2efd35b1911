"""Places calls through Twilio's REST API (the `twilio` library's `calls.create`).

Synchronous answering-machine detection: Twilio requests the answer URL once it knows
who answered, with `AnsweredBy`, so the lesson is sent only to a person and a voicemail
gets a short message after the beep (`DetectMessageEnd`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlencode

from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

#: Twilio's API host, which the library writes into every URL it requests.
TWILIO_API = "https://api.twilio.com"
#: Where the voice adapter answers an outbound call and takes its status callbacks.
ANSWER_PATH = "/voice/outbound"
STATUS_PATH = "/voice/outbound/status"
#: Seconds a call rings before Twilio gives up (no-answer); voicemail often picks up at ~25.
RING_SECONDS = 25


class DialError(RuntimeError):
    """Twilio refused the call (a bad number, the account's limits): not worth retrying
    the same request at once."""


@dataclass(frozen=True)
class Placed:
    call_sid: str
    status: str


class Dialer(Protocol):
    def place(self, to: str, attempt_id: int) -> Placed: ...


class _QuietHttpClient(TwilioHttpClient):
    """The library's client, at another base URL if set, and logging nothing: its request
    log holds the child's number."""

    def __init__(self, base_url: str, timeout: float) -> None:
        quiet = logging.getLogger("yachay.outreach.twilio_http")
        quiet.setLevel(logging.WARNING)
        super().__init__(timeout=timeout, logger=quiet)
        self.base_url = base_url.rstrip("/")

    def request(self, method: str, url: str, *args: object, **kwargs: object):  # type: ignore[no-untyped-def,override]
        if self.base_url != TWILIO_API and url.startswith(TWILIO_API):
            url = self.base_url + url[len(TWILIO_API) :]
        return super().request(method, url, *args, **kwargs)  # type: ignore[arg-type]


class TwilioDialer:
    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str,
        public_url: str,
        api_url: str = TWILIO_API,
        timeout: float = 10.0,
    ) -> None:
        if not account_sid or not from_number:
            raise ValueError(
                "outbound calls need TWILIO_ACCOUNT_SID and TWILIO_FROM_NUMBER to be set"
            )
        if not public_url:
            raise ValueError(
                "outbound calls need YACHAY_PUBLIC_URL: the base URL Twilio reaches us at"
            )
        self.client = Client(
            account_sid, auth_token, http_client=_QuietHttpClient(api_url, timeout)
        )
        self.from_number = from_number
        self.public_url = public_url.rstrip("/")

    def place(self, to: str, attempt_id: int) -> Placed:
        query = urlencode({"attempt": attempt_id})
        try:
            call = self.client.calls.create(
                to=to,
                from_=self.from_number,
                url=f"{self.public_url}{ANSWER_PATH}?{query}",
                method="POST",
                status_callback=f"{self.public_url}{STATUS_PATH}?{query}",
                status_callback_method="POST",
                status_callback_event=["initiated", "ringing", "answered", "completed"],
                machine_detection="DetectMessageEnd",
                timeout=RING_SECONDS,
            )
        except TwilioRestException as error:
            raise DialError(f"Twilio error {error.code}: {error.msg}"[:200]) from error
        return Placed(call_sid=str(call.sid), status=str(call.status or "queued"))
