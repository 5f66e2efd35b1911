"""Twilio's form fields, checked before they reach a turn: what the database can hold and a
turn can use. A malformed field is the request's fault (400), never a 500."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

from werkzeug.exceptions import BadRequest

from yachay.calls import StatusUpdate
from yachay.flows.resume import Keys, Recording, Resume, Silence
from yachay.voice.caller_id import caller_number

#: Twilio's SIDs are two letters and 32 hex digits; the simulator and tests use the same
#: alphabet. The column holds 64.
_SID = re.compile(r"[A-Za-z0-9_-]{2,64}")
#: PostgreSQL's INTEGER: larger counts are not Twilio's.
_COUNT = re.compile(r"[0-9]{1,9}")
DIRECTIONS = frozenset({"inbound", "outbound-api", "outbound-dial", "trunking-originating"})
STATUSES = frozenset(
    {
        "queued",
        "initiated",
        "ringing",
        "in-progress",
        "answered",
        "completed",
        "busy",
        "failed",
        "no-answer",
        "canceled",
    }
)
#: Keys a caller can press in one <Gather>, with room to spare.
MAX_DIGITS = 32


def call_sid_of(form: Mapping[str, str]) -> str:
    sid = form.get("CallSid", "")
    if not _SID.fullmatch(sid):
        raise BadRequest("CallSid is missing or not a call SID")
    return sid


def direction(form: Mapping[str, str]) -> str:
    value = form.get("Direction", "inbound")
    return value if value in DIRECTIONS else "inbound"


def _count(value: str | None) -> int | None:
    return int(value) if value and _COUNT.fullmatch(value) else None


def parse_resume(form: Mapping[str, str], silence: bool, at: datetime) -> Resume:
    url = form.get("RecordingUrl", "")
    if url:
        sid = form.get("RecordingSid", "")
        if url.startswith("https://") and len(url) <= 500 and _SID.fullmatch(sid):
            duration = _count(form.get("RecordingDuration")) or 0
            return Recording(url=url, sid=sid, duration_seconds=duration, at=at)
        return Silence(at=at)  # not a recording Twilio made
    digits = form.get("Digits", "")
    if silence or not digits or digits == "hangup" or len(digits) > MAX_DIGITS:
        return Silence(at=at)
    return Keys(digits=digits, at=at)


def status_update(form: Mapping[str, str]) -> StatusUpdate:
    sid = call_sid_of(form)
    status = form.get("CallStatus", "")
    if status not in STATUSES:
        raise BadRequest("CallStatus is missing or not a call status")
    sequence = form.get("SequenceNumber")
    if sequence is not None and _count(sequence) is None:
        raise BadRequest("SequenceNumber is not a count")
    return StatusUpdate(
        call_sid=sid,
        status=status,
        sequence_number=_count(sequence) or 0,
        phone=caller_number(form.get("From")),
        direction=direction(form),
        duration_seconds=_count(form.get("CallDuration")),
        timestamp=(form.get("Timestamp") or None) and form["Timestamp"][:64],
    )
