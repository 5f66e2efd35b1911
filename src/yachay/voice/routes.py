"""The Twilio webhooks: few routes, thin. Requests become typed resumes; events become TwiML."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

from flask import Blueprint, Response, abort, current_app, request
from sqlalchemy.exc import SQLAlchemyError

from yachay.calls import CallService, IncomingCall, TurnFailed, UnknownCall
from yachay.config import Settings
from yachay.voice.caller_id import caller_number
from yachay.voice.params import call_sid_of, direction, parse_resume, status_update
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


#: A webhook is a few hundred bytes of form fields (a long SpeechResult, a few kB).
MAX_BODY_BYTES = 64 * 1024


@bp.before_request
def check_signature() -> None:
    # Before the signature, which reads the whole form: a huge body is refused unread.
    request.max_content_length = MAX_BODY_BYTES
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        log.warning(
            "refused %s %s: a body of %s bytes",
            request.method,
            request.path,
            request.content_length,
        )
        abort(413)
    settings: Settings = current_app.config["YACHAY"]
    if not is_valid(
        request, settings.twilio_auth_token, settings.twilio_shared_keys, settings.public_url
    ):
        log.warning(
            "rejected %s %s: bad or missing X-Twilio-Signature", request.method, request.path
        )
        abort(403)


def _apologise(call_sid: str | None, url_language: str | None = None) -> Response:
    """Sorry, please call again, in the caller's language: the one the failed URL names
    (signed, and known without the database), else the call's stored one, else Spanish."""
    language = url_language or (_service().language_of(call_sid) if call_sid else "es")
    return _xml(current_app.extensions["yachay.apology"](language))


def _language_in(url: str) -> str | None:
    values = parse_qs(urlsplit(url).query).get("lang")
    return values[0] if values else None


@bp.post("")
def incoming() -> Response:
    form = request.form
    call = IncomingCall(
        sid=call_sid_of(form),
        phone=caller_number(form.get("From")),
        direction=direction(form),
    )
    try:
        return _xml(_service().incoming(call, _renderer(), _now()))
    except Exception:
        log.exception("call %s: the first turn failed", call.sid)
        return _apologise(None)


@bp.post("/resume")
def resume() -> Response:
    step = request.args.get("step", type=int)
    if not request.form.get("CallSid") or step is None:
        abort(400, "CallSid and step are required")
    call_sid = call_sid_of(request.form)
    silence = request.args.get("silence") == "1"
    try:
        reply = _service().resume(
            call_sid, step, parse_resume(request.form, silence, _now()), _renderer()
        )
        return _xml(reply)
    except UnknownCall:
        log.warning("call %s: resume for a call we do not know", call_sid)
        return _apologise(None)
    except TurnFailed as exc:
        log.error("call %s: step %s failed: %s", call_sid, step, exc)
        return _apologise(None, request.args.get("lang") or "es")
    except Exception:
        log.exception("call %s: step %s failed", call_sid, step)
        return _apologise(call_sid, request.args.get("lang"))


@bp.post("/status")
def status() -> tuple[str, int]:
    form = request.form
    if not form.get("CallSid") or not form.get("CallStatus"):
        abort(400, "CallSid and CallStatus are required")
    update = status_update(form)
    try:
        _service().status(update, _now())
    except SQLAlchemyError:
        log.exception("call %s: status %s not stored", update.call_sid, update.status)
        return "", 503
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
    return _apologise(form.get("CallSid"), _language_in(form.get("ErrorUrl", "")))
