"""One simulated call from the first webhook to the status callback."""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any

import requests

from yachay.phone.keys import KeyPrompt, KeySource, KeyToken, ScriptedKeys, parse_key
from yachay.phone.outcomes import End, Goto, ScriptError, new_sid
from yachay.phone.signing import with_query
from yachay.phone.transcript import CallTranscript, Step
from yachay.phone.twiml import TwimlError, Verb, check_response, lint, parse_document
from yachay.phone.verbs import execute

if TYPE_CHECKING:
    from yachay.phone.simulator import Listener, PhoneSimulator

# Twilio announces itself so; some servers log or branch on it.
USER_AGENT = "TwilioProxy/1.1"


class CallRun:
    def __init__(
        self,
        sim: PhoneSimulator,
        source: KeySource,
        *,
        listener: Listener | None,
        from_number: str,
        to_number: str,
        start_url: str,
        direction: str,
        extra_params: dict[str, str],
        send_status: bool,
        call_sid: str | None = None,
    ) -> None:
        self.sim = sim
        self.source = source
        self.listener = listener
        self.start_url = start_url
        self.direction = direction
        self.extra_params = extra_params
        self.send_status = send_status
        self.transcript = CallTranscript(
            call_sid=call_sid or new_sid("CA"),
            account_sid=new_sid("AC"),
            from_number=from_number,
            to_number=to_number,
        )
        #: Simulated seconds of the call so far.
        self.duration = 0.0
        #: Twilio answers (and bills) once it runs a verb other than <Reject>/<Redirect>.
        self.answered = False
        #: What the caller heard since their last input, for the key source.
        self.heard: list[str] = []
        #: URL of the TwiML being executed: relative URLs resolve against it.
        self.doc_url = start_url
        self.step: Step | None = None
        self.requests_made = 0
        self.connection_failed = False
        #: Callbacks Twilio sends asynchronously (recording status), sent after the next answer.
        self.pending: list[Goto] = []
        self.session: requests.Session | None = None

    # -- parameters and events -------------------------------------------------------

    def params(self, call_status: str = "in-progress", **extra: str) -> dict[str, str]:
        t = self.transcript
        params = {
            "AccountSid": t.account_sid,
            "ApiVersion": "2010-04-01",
            "CallSid": t.call_sid,
            "CallStatus": call_status,
            "Called": t.to_number,
            "Caller": t.from_number,
            "Direction": self.direction,
            "From": t.from_number,
            "FromCountry": "PE",
            "To": t.to_number,
            "ToCountry": "PE",
        }
        params.update(self.extra_params)
        params.update(extra)
        return params

    def emit(self, event: str, data: Any) -> None:
        if self.listener is not None:
            self.listener(event, data)

    def error(self, message: str) -> None:
        self.transcript.errors.append(message)
        self.emit("error", message)

    def next_key(self, prompt: KeyPrompt) -> KeyToken | None:
        """The caller's next action, or ``None`` when they hang up for want of keys."""
        raw = self.source.next_key(prompt)
        self.heard = []
        if self.step is not None:
            self.step.key = raw
        if raw is None:
            self.transcript.out_of_keys = True
            self.transcript.notes.append(
                f"the caller ran out of keys at <{prompt.kind.capitalize()}> of {prompt.url} "
                "and hung up"
            )
            return None
        self.transcript.keys_used.append(raw)
        self.emit("key", raw)
        try:
            return parse_key(raw)
        except ValueError as exc:
            raise ScriptError(str(exc)) from None

    # -- HTTP -------------------------------------------------------------------------

    def request(
        self, kind: str, method: str, url: str, params: dict[str, str]
    ) -> requests.Response:
        """One signed webhook, recorded as a step; transport failures raise TwimlError."""
        assert self.session is not None
        full_url, data = (with_query(url, params), None) if method == "GET" else (url, params)
        headers = {"User-Agent": USER_AGENT}
        headers.update(self.sim.signer.headers(full_url, data or {}))
        step = Step(kind, method, full_url, dict(params))
        self.transcript.steps.append(step)
        where = f"{method} {full_url}"
        started = time.perf_counter()
        failure: TwimlError | None = None
        try:
            response = self.session.request(
                method,
                full_url,
                data=data,
                headers=headers,
                timeout=self.sim.timeout,
                allow_redirects=False,
            )
        except requests.Timeout:
            failure = TwimlError(
                11200,
                f"HTTP retrieval failure: {where} did not answer within {self.sim.timeout:g} s",
            )
        except requests.RequestException as exc:
            self.connection_failed = True
            failure = TwimlError(
                11205,
                f"HTTP connection failure: could not reach {where} ({type(exc).__name__}); "
                "is the server running (`make run`)?",
            )
        step.latency_ms = round((time.perf_counter() - started) * 1000, 1)
        if failure is not None:
            step.error = str(failure)
            raise failure
        step.status = response.status_code
        step.content_type = response.headers.get("Content-Type", "")
        self.emit("request", step.to_json())
        return response

    def fetch(self, goto: Goto) -> tuple[Step, list[Verb]]:
        self.requests_made += 1
        response = self.request(goto.kind, goto.method, goto.url, goto.params)
        step = self.transcript.steps[-1]
        where = f"{goto.method} {step.url}"
        try:
            check_response(
                where, response.status_code, step.content_type, response.content, response.headers
            )
            verbs = parse_document(response.content, where)
        except TwimlError as exc:
            step.error = str(exc)
            raise
        self.doc_url = goto.url
        for warning in lint(verbs):
            message = f"{goto.url}: {warning}"
            if message not in self.transcript.warnings:
                self.transcript.warnings.append(message)
        return step, verbs

    def callback(self, goto: Goto, *, need_200: bool = False) -> None:
        """A request whose answer is not executed; only its status is checked."""
        try:
            response = self.request(goto.kind, goto.method, goto.url, goto.params)
        except TwimlError as exc:
            self.error(str(exc))
            return
        ok = response.status_code == 200 if need_200 else 200 <= response.status_code < 300
        if not ok:
            message = (
                f"11200 HTTP retrieval failure: {goto.kind} {goto.method} "
                f"{self.transcript.steps[-1].url} answered {response.status_code}"
            )
            self.transcript.steps[-1].error = message
            self.error(message)

    def send_pending(self) -> None:
        while self.pending:
            self.callback(self.pending.pop(0))

    # -- the call ---------------------------------------------------------------------

    def run(self) -> CallTranscript:
        with requests.Session() as session:
            self.session = session
            first_status = "ringing" if self.direction == "inbound" else "in-progress"
            end = self.loop(Goto("voice", "POST", self.start_url, self.params(first_status)))
            self.finish(end)
            self.session = None
        return self.transcript

    def loop(self, goto: Goto) -> End:
        while True:
            if self.requests_made >= self.sim.max_requests:
                self.error(
                    f"the call did not end after {self.sim.max_requests} requests — "
                    f"a Redirect loop? (last: {goto.method} {goto.url})"
                )
                return End("error")
            try:
                self.step, verbs = self.fetch(goto)
            except TwimlError as exc:
                self.error(str(exc))
                if self.sim.fallback_path is None or goto.kind == "fallback":
                    return End("error")
                fallback = self.params(ErrorCode=str(exc.code), ErrorUrl=goto.url)
                goto = Goto("fallback", "POST", self.sim.url(self.sim.fallback_path), fallback)
                continue
            self.send_pending()
            try:
                outcome = execute(self, verbs, self.step.verbs)
            except (TwimlError, ScriptError) as exc:
                self.error(f"{exc} (in {self.step.method} {self.step.url})")
                return End("error")
            if outcome is None:
                return End("end-of-document")
            if isinstance(outcome, End):
                return outcome
            goto = outcome

    def finish(self, end: End) -> None:
        self.send_pending()
        t = self.transcript
        t.ended_by = end.ended_by
        t.call_status = end.call_status
        # Twilio answers a failing call to say "an application error has occurred".
        answered = self.answered or (end.ended_by == "error" and not self.connection_failed)
        t.duration = max(1, math.ceil(self.duration)) if answered else 0
        if isinstance(self.source, ScriptedKeys):
            t.unused_keys = self.source.remaining
            if t.unused_keys:
                t.notes.append(f"the call ended before using the keys {t.unused_keys}")
        if self.send_status and self.sim.status_path and not self.connection_failed:
            params = self.params(
                end.call_status,
                CallDuration=str(t.duration),
                Timestamp=format_datetime(datetime.now(UTC)),
                SequenceNumber="0",
                CallbackSource="call-progress-events",
            )
            self.callback(Goto("status", "POST", self.sim.url(self.sim.status_path), params))
        self.emit("end", t.to_json())
