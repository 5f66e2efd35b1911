"""Executing TwiML verbs as Twilio does, each returning what the call does next.

An executor returns ``None`` (go on with the next verb), a :class:`Goto` (request a new
document) or an :class:`End`. Time is simulated, never slept: each verb adds to
``run.duration`` what it would last on a real call.
"""

from __future__ import annotations

import io
import time
import wave
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urljoin

import requests

from yachay.phone.keys import KeyPrompt
from yachay.phone.outcomes import End, Goto, ScriptError, new_sid
from yachay.phone.twiml import (
    RECORD_FINISH_KEYS,
    TwimlError,
    Verb,
    bool_attr,
    int_attr,
    method_attr,
)

if TYPE_CHECKING:
    from yachay.phone.run import CallRun

Outcome = Goto | End | None
Sink = list[dict[str, Any]]

#: Speaking rate used to estimate how long a <Say> lasts.
CHARS_PER_SECOND = 15
#: Bytes per second of a 128 kbit/s MP3, to estimate how long a non-WAV file plays.
MP3_BYTES_PER_SECOND = 16_000
#: Twilio's default <Record maxLength> (one hour).
RECORD_MAX_LENGTH = 3600
#: Where Twilio keeps the recordings callers make (<Record> results). The simulator's own
#: recordings exist only by name, so playing one back is shown, never fetched.
TWILIO_RECORDINGS = "https://api.twilio.com/"


def execute(run: CallRun, verbs: list[Verb], sink: Sink) -> Outcome:
    for verb in verbs:
        outcome = EXECUTORS[verb.name](run, verb, sink)
        if outcome is not None:
            return outcome
    return None


def _where(run: CallRun, verb: Verb) -> str:
    return f"<{verb.name}> of {run.doc_url}"


def _record(verb: Verb, sink: Sink, **results: Any) -> dict[str, Any]:
    record: dict[str, Any] = {"verb": verb.name, **verb.attributes, **results}
    sink.append(record)
    return record


def _loops(run: CallRun, verb: Verb) -> int:
    # loop="0" means "until the caller acts" (Twilio stops at 1000): count it once.
    return int_attr(verb, "loop", 1, _where(run, verb)) or 1


def _action_url(run: CallRun, verb: Verb) -> str:
    action = verb.attributes.get("action", "").strip()
    return urljoin(run.doc_url, action) if action else run.doc_url


def say(run: CallRun, verb: Verb, sink: Sink) -> Outcome:
    run.answered = True
    run.duration += len(verb.text) / CHARS_PER_SECOND * _loops(run, verb)
    run.heard.append(verb.text)
    run.emit("verb", _record(verb, sink, text=verb.text))
    return None


def audio_seconds(body: bytes, content_type: str) -> float:
    if "wav" in content_type:
        try:
            with wave.open(io.BytesIO(body)) as audio:
                return audio.getnframes() / audio.getframerate()
        except (wave.Error, EOFError):
            return 0.0
    return len(body) / MP3_BYTES_PER_SECOND


def play(run: CallRun, verb: Verb, sink: Sink) -> Outcome:
    run.answered = True
    if not verb.text:
        record = _record(verb, sink, url=None)
        run.duration += 0.5 * len(verb.attributes.get("digits", ""))
        run.emit("verb", record)
        return None
    url = urljoin(run.doc_url, verb.text)
    record = _record(verb, sink, url=url)
    if url.startswith(TWILIO_RECORDINGS) and "/Recordings/" in url:
        record["recording_sid"] = url.rstrip("/").rsplit("/", 1)[-1].split(".")[0]
        run.heard.append(url)
        run.emit("verb", record)
        return None
    assert run.session is not None
    started = time.perf_counter()
    try:
        response = run.session.get(url, timeout=run.sim.timeout)
    except requests.RequestException as exc:
        record["error"] = f"{type(exc).__name__}"
        raise TwimlError(11205, f"<Play> could not fetch {url} ({type(exc).__name__})") from None
    record["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
    record["status"] = response.status_code
    content_type = response.headers.get("Content-Type", "")
    record["content_type"] = content_type
    if response.status_code != 200:
        raise TwimlError(
            11200, f"<Play> GET {url} answered {response.status_code}: the caller hears nothing"
        )
    if not content_type.lower().startswith("audio/"):
        raise TwimlError(
            12300,
            f"<Play> GET {url} answered Content-Type {content_type or '(none)'!r}, "
            "not audio (audio/mpeg, audio/wav, ...)",
        )
    if "X-Yachay-Text" in response.headers:  # our server says what the audio says
        record["text"] = unquote(response.headers["X-Yachay-Text"])
    seconds = audio_seconds(response.content, content_type.lower())
    record["seconds"] = round(seconds, 2)
    run.duration += seconds * _loops(run, verb)
    run.heard.append(url)
    run.emit("verb", record)
    return None


def pause(run: CallRun, verb: Verb, sink: Sink) -> Outcome:
    run.answered = True
    length = int_attr(verb, "length", 1, _where(run, verb)) or 0
    run.duration += length
    run.emit("verb", _record(verb, sink, seconds=length))
    return None


def gather(run: CallRun, verb: Verb, sink: Sink) -> Outcome:
    run.answered = True
    where = _where(run, verb)
    record = _record(verb, sink, verbs=[])
    for child in verb.children:
        EXECUTORS[child.name](run, child, record["verbs"])
    inputs = set(verb.attributes.get("input", "dtmf").lower().split())
    accepts = (("digits",) if "dtmf" in inputs else ()) + ("s", "h")
    accepts += ("v:words",) if "speech" in inputs else ()
    prompt = KeyPrompt("gather", dict(verb.attributes), run.doc_url, tuple(run.heard), accepts)
    token = run.next_key(prompt)
    record["key"] = token.raw if token else None
    run.emit("verb", record)
    if token is None or token.kind == "hangup":
        return End("caller")
    timeout = int_attr(verb, "timeout", 5, where) or 0
    url, method = _action_url(run, verb), method_attr(verb, where)
    if token.kind == "speech":
        if "speech" not in inputs:
            raise ScriptError(f"key {token.raw!r}: {where} does not listen for speech")
        run.duration += len(token.speech) / CHARS_PER_SECOND
        params = run.params(SpeechResult=token.speech, Confidence="0.9")
        return Goto("action", method, url, params)
    if token.kind == "record":
        raise ScriptError(f"key {token.raw!r} records, but {where} waits for keys")
    typed, finished = "", ""
    if token.kind == "digits":
        if "dtmf" not in inputs:
            raise ScriptError(f"key {token.raw!r}: {where} listens for speech only")
        typed, finished = _collect(verb, token.digits, where)
        record["digits"], record["finished_on_key"] = typed, finished
        num_digits = int_attr(verb, "numDigits", None, where)
        if not finished and (not num_digits or len(typed) < num_digits):
            run.duration += timeout  # Twilio waits for more keys before it submits
    else:
        run.duration += timeout
    if not typed and not bool_attr(verb, "actionOnEmptyResult", where):
        return None  # Twilio's rule: no input, no action; on to the next verb
    return Goto("action", method, url, run.params(Digits=typed, FinishedOnKey=finished))


def _collect(verb: Verb, keys: str, where: str) -> tuple[str, str]:
    """The digits Twilio submits for ``keys``, and the finishing key if one was pressed."""
    finish = verb.attributes.get("finishOnKey", "#")
    num_digits = int_attr(verb, "numDigits", None, where)
    typed = ""
    for key in keys:
        if finish and key == finish:
            return typed, key
        typed += key
        if num_digits and len(typed) >= num_digits:
            break
    return typed, ""


def record(run: CallRun, verb: Verb, sink: Sink) -> Outcome:
    run.answered = True
    where = _where(run, verb)
    entry = _record(verb, sink)
    accepts = ("r", "r7", "s", "h")
    prompt = KeyPrompt("record", dict(verb.attributes), run.doc_url, tuple(run.heard), accepts)
    token = run.next_key(prompt)
    entry["key"] = token.raw if token else None
    run.emit("verb", entry)
    if token is None:
        return End("caller")
    if token.kind in ("digits", "speech"):
        raise ScriptError(f"key {token.raw!r} at {where}: use r, r7 (seconds), s or h")
    url, method = _action_url(run, verb), method_attr(verb, where)
    if token.kind == "silence":
        run.duration += int_attr(verb, "timeout", 5, where) or 0
        return None  # an empty recording: Twilio skips the action
    max_length = int_attr(verb, "maxLength", RECORD_MAX_LENGTH, where) or RECORD_MAX_LENGTH
    seconds = min(token.seconds or 5, max_length)
    run.duration += seconds
    recording_sid = new_sid("RE")
    recording_url = (
        f"https://api.twilio.com/2010-04-01/Accounts/{run.transcript.account_sid}"
        f"/Recordings/{recording_sid}"
    )
    fields = {
        "RecordingUrl": recording_url,
        "RecordingSid": recording_sid,
        "RecordingDuration": str(seconds),
    }
    entry.update(recording_sid=recording_sid, seconds=seconds)
    _queue_recording_status(run, verb, fields)
    if token.kind == "hangup":
        params = run.params("completed", Digits="hangup", **fields)
        run.callback(Goto("action", method, url, params), need_200=True)
        return End("caller")
    finish = verb.attributes.get("finishOnKey", RECORD_FINISH_KEYS)
    if token.seconds <= max_length and finish:
        fields["Digits"] = "#" if "#" in finish else finish[0]
    return Goto("action", method, url, run.params(**fields))


def _queue_recording_status(run: CallRun, verb: Verb, fields: dict[str, str]) -> None:
    callback = verb.attributes.get("recordingStatusCallback", "").strip()
    if not callback:
        return
    method = verb.attributes.get("recordingStatusCallbackMethod", "POST").upper()
    params = {
        "AccountSid": run.transcript.account_sid,
        "CallSid": run.transcript.call_sid,
        "RecordingChannels": "1",
        "RecordingSource": "RecordVerb",
        "RecordingStartTime": format_datetime(datetime.now(UTC)),
        "RecordingStatus": "completed",
        **fields,
    }
    run.pending.append(Goto("recording-status", method, urljoin(run.doc_url, callback), params))


def redirect(run: CallRun, verb: Verb, sink: Sink) -> Outcome:
    url = urljoin(run.doc_url, verb.text)
    run.emit("verb", _record(verb, sink, url=url))
    return Goto("redirect", method_attr(verb, _where(run, verb)), url, run.params())


def hangup(run: CallRun, verb: Verb, sink: Sink) -> Outcome:
    run.answered = True
    run.emit("verb", _record(verb, sink))
    return End("hangup-verb")


def reject(run: CallRun, verb: Verb, sink: Sink) -> Outcome:
    reason = verb.attributes.get("reason", "rejected")
    run.emit("verb", _record(verb, sink, reason=reason))
    if run.answered:
        return End("reject")  # too late to refuse: it only hangs up
    return End("reject", "busy" if reason == "busy" else "no-answer")


def dial(run: CallRun, verb: Verb, sink: Sink) -> Outcome:
    """Bridges to `number` (shown with the callerId the other phone sees); the other side
    answers and hangs up at once, then Twilio requests the action, if any."""
    run.answered = True
    run.emit("verb", _record(verb, sink, number=verb.text.strip()))
    if "action" not in verb.attributes:
        return None
    params = run.params(DialCallStatus="completed", DialCallDuration="0", DialCallSid=new_sid("CA"))
    return Goto("action", method_attr(verb, _where(run, verb)), _action_url(run, verb), params)


EXECUTORS: dict[str, Callable[[CallRun, Verb, Sink], Outcome]] = {
    "Say": say,
    "Play": play,
    "Pause": pause,
    "Gather": gather,
    "Record": record,
    "Redirect": redirect,
    "Hangup": hangup,
    "Reject": reject,
    "Dial": dial,
}
