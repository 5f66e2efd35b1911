"""The Twilio webhooks: few routes, thin. Requests become typed resumes; events become TwiML."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from flask import Blueprint, Response, abort, current_app, request

from yachay.calls import CallService, IncomingCall, StatusUpdate, UnknownCall
from yachay.config import Settings
from yachay.flows.resume import Keys, Recording, Resume, Silence
from yachay.voice.signature import is_valid
from yachay.voice.twiml import TwimlRenderer

log = logging.getLogger(__name__)

bp = Blueprint("voice", __name__, url_prefix="/voice")


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _xml(body: str) -> Response:
    return Response(body, status=200, mimetype="text/xml")


def _service() -> CallService:
    return current_app.extensions["yachay.calls"]


def _renderer() -> TwimlRenderer:
    return current_app.extensions["yachay.twiml"]


@bp.before_request
def check_signature() -> None:
    settings: Settings = current_app.config["YACHAY"]
    if not is_valid(
        request, settings.twilio_auth_token, settings.twilio_shared_keys, settings.public_url
    ):
        log.warning(
            "rejected %s %s: bad or missing X-Twilio-Signature", request.method, request.path
        )
        abort(403)


def _apologise(call_sid: str | None) -> Response:
    language = _service().language_of(call_sid) if call_sid else "es"
    return _xml(current_app.extensions["yachay.apology"](language))


@bp.post("")
def incoming() -> Response:
    form = request.form
    if not form.get("CallSid"):
        abort(400, "CallSid is missing")
    call = IncomingCall(
        sid=form["CallSid"], phone=form.get("From", ""), direction=form.get("Direction", "inbound")
    )
    try:
        return _xml(_service().incoming(call, _renderer(), _now()))
    except Exception:
        log.exception("call %s: the first turn failed", call.sid)
        return _apologise(None)


def parse_resume(form: dict[str, str], silence: bool, at: datetime) -> Resume:
    if form.get("RecordingUrl"):
        return Recording(
            url=form["RecordingUrl"],
            sid=form.get("RecordingSid", ""),
            duration_seconds=int(form.get("RecordingDuration") or 0),
            at=at,
        )
    digits = form.get("Digits", "")
    if silence or not digits or digits == "hangup":
        return Silence(at=at)
    return Keys(digits=digits, at=at)


@bp.post("/resume")
def resume() -> Response:
    call_sid = request.form.get("CallSid")
    step = request.args.get("step", type=int)
    if not call_sid or step is None:
        abort(400, "CallSid and step are required")
    silence = request.args.get("silence") == "1"
    try:
        reply = _service().resume(
            call_sid, step, parse_resume(request.form, silence, _now()), _renderer()
        )
        return _xml(reply)
    except UnknownCall:
        log.warning("call %s: resume for a call we do not know", call_sid)
        return _apologise(None)
    except Exception:
        log.exception("call %s: step %s failed", call_sid, step)
        return _apologise(call_sid)


@bp.post("/status")
def status() -> tuple[str, int]:
    form = request.form
    if not form.get("CallSid") or not form.get("CallStatus"):
        abort(400, "CallSid and CallStatus are required")
    duration = form.get("CallDuration")
    update = StatusUpdate(
        call_sid=form["CallSid"],
        status=form["CallStatus"],
        sequence_number=int(form.get("SequenceNumber") or 0),
        phone=form.get("From", ""),
        direction=form.get("Direction", "inbound"),
        duration_seconds=int(duration) if duration and duration.isdigit() else None,
        timestamp=form.get("Timestamp"),
    )
    _service().status(update, _now())
    return "", 204


@bp.post("/fallback")
def fallback() -> Response:
    form = request.form
    log.error(
        "Twilio fallback for call %s: error %s at %s",
        form.get("CallSid"),
        form.get("ErrorCode"),
        form.get("ErrorUrl"),
    )
    return _apologise(form.get("CallSid"))
