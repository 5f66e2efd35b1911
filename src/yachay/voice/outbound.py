"""Webhooks of the calls we place (yachay.outreach): who answered, and their status.

Twilio requests the answer URL once answering-machine detection has decided: a person
(or a call it cannot tell) gets the student's flow (the child's number is the webhook's
`To`), greeted as the child the call was placed for (the try's `attempt` in the URL leads
to its `outbound_calls` row and student; `flows.placed_call`); the parents' weekly call
tells the week in the parent's language, and goes on into a parent's menu when one is
registered on that phone (`flows.weekly_call`); a voicemail gets a short message after the beep,
never the lesson nor a name; a fax or a machine still greeting gets a hang-up.
A call to the callback number is rejected unanswered (free for the caller) and rung back.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime

from flask import Response, abort, current_app, request
from sqlalchemy.exc import DBAPIError
from twilio.twiml.voice_response import VoiceResponse

from yachay.calls import CallService, IncomingCall, StatusUpdate
from yachay.config import Settings
from yachay.content.prompts import Prompts
from yachay.flows.events import Hangup, Speak
from yachay.flows.weekly_call import WEEKLY
from yachay.outreach import Outreach
from yachay.outreach.calls import STUDENT_KINDS
from yachay.outreach.messages import (
    PROGRESS_UNAVAILABLE,
    TEACHER_CALLING,
    TEACHER_UNAVAILABLE,
    VOICEMAIL,
    household_language,
    parent_on_phone,
    weekly_progress,
)
from yachay.voice.routes import bp

log = logging.getLogger(__name__)

#: AnsweredBy values after which a message can be left (DetectMessageEnd).
AFTER_THE_BEEP = frozenset({"machine_end_beep", "machine_end_silence", "machine_end_other"})
OUTBOUND = "outbound-api"
#: What a call placed for one child comes for (`CallState.purpose`). A missed call rung back
#: is answered as if its caller had called us: on a shared phone, asked who they are.
PURPOSE_OF_KIND = {"lesson": "lesson", "review": "review", "teacher_callback": "callback"}


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _xml(body: str) -> Response:
    return Response(body, status=200, mimetype="text/xml")


def _outreach() -> Outreach:
    return current_app.extensions["yachay.outreach"]


def _hangup() -> Response:
    response = VoiceResponse()
    response.hangup()
    return _xml(str(response))


def _attempt_id() -> int:
    attempt = request.args.get("attempt", type=int)
    if attempt is None or not request.form.get("CallSid"):
        abort(400, "attempt and CallSid are required")
    return attempt


def is_missed_call(form: Mapping[str, str]) -> bool:
    number = current_app.config["YACHAY"].callback_number
    return bool(number) and form.get("To") == number and form.get("Direction") != OUTBOUND


@bp.before_request
def reject_missed_call() -> Response | None:
    """A call to the callback number: `<Reject>` first, so it is never answered and costs
    the caller nothing; then it is rung back. Runs after the signature check."""
    if request.endpoint != "voice.incoming" or not is_missed_call(request.form):
        return None
    _outreach().calls.ring_back(request.form.get("From", ""), _now())
    response = VoiceResponse()
    response.reject(reason="busy")
    return _xml(str(response))


@bp.post("/outbound")
def outbound_answered() -> Response:
    attempt_id = _attempt_id()
    form = request.form
    answered_by = form.get("AnsweredBy", "unknown")
    row = _outreach().calls.answered(attempt_id, form["CallSid"], answered_by)
    if row is None:
        log.warning("outbound call %s: answered, but not a try of ours", form["CallSid"])
        return _hangup()
    if answered_by in AFTER_THE_BEEP:
        settings: Settings = current_app.config["YACHAY"]
        response = VoiceResponse()
        response.say(VOICEMAIL, voice=settings.say_voice, language=settings.say_language)
        response.hangup()
        return _xml(str(response))
    if answered_by.startswith("machine") or answered_by == "fax":
        return _hangup()
    if row.kind == "parent_progress":
        return _xml(_progress(row.phone, form["CallSid"]))
    if row.connect_to:
        return _xml(_put_through(row.connect_to))
    assert row.kind in STUDENT_KINDS
    service: CallService = current_app.extensions["yachay.calls"]
    purpose = PURPOSE_OF_KIND.get(row.kind, "")
    call = IncomingCall(
        sid=form["CallSid"],
        phone=row.phone,
        direction=OUTBOUND,
        placed_for=row.student_id if purpose else None,
        purpose=purpose if row.student_id is not None else "",
    )
    return _xml(service.incoming(call, current_app.extensions["yachay.twiml"], _now()))


def _put_through(number: str) -> str:
    """The student to their teacher's phone; `<Dial>` returns here when it ends."""
    settings: Settings = current_app.config["YACHAY"]
    response = VoiceResponse()
    response.say(TEACHER_CALLING, voice=settings.say_voice, language=settings.say_language)
    response.dial(number, caller_id=settings.twilio_from_number, timeout=30)
    response.say(TEACHER_UNAVAILABLE, voice=settings.say_voice, language=settings.say_language)
    response.hangup()
    return str(response)


def _progress(phone: str, call_sid: str) -> str:
    """The week of each child on ``phone``; then, for a parent registered on it, the call
    goes on as a flow (`flows.weekly_call`: 1 for their menu), else it ends."""
    db = current_app.extensions["yachay.db"]
    prompts: Prompts = current_app.extensions["yachay.prompts"]
    try:
        # bounded as a turn is: the parent is on the line, and Twilio waits 15 s at most
        with db.read_session(bounded=True) as session:
            language = household_language(session, phone)
            more = parent_on_phone(session, phone)
            lines = weekly_progress(session, phone, _now(), prompts, language, goodbye=not more)
    except DBAPIError as exc:
        log.warning(
            "outbound call %s: the weekly progress could not be read: %s",
            call_sid,
            type(exc.orig).__name__,
        )
        settings: Settings = current_app.config["YACHAY"]
        response = VoiceResponse()
        response.say(PROGRESS_UNAVAILABLE, voice=settings.say_voice, language=settings.say_language)
        response.hangup()
        return str(response)
    language = language if language in prompts.languages else "es"
    said = [Speak(line.text, language, private=line.private) for line in lines]
    if more and len(lines) > 1:  # a week was said (not "no students on this number")
        service: CallService = current_app.extensions["yachay.calls"]
        call = IncomingCall(sid=call_sid, phone=phone, direction=OUTBOUND, purpose=WEEKLY)
        return service.incoming(call, current_app.extensions["yachay.twiml"], _now(), lead=said)
    return current_app.extensions["yachay.twiml"]([*said, Hangup()], 0)


@bp.post("/outbound/status")
def outbound_status() -> tuple[str, int]:
    attempt_id = _attempt_id()
    form = request.form
    status = form.get("CallStatus", "")
    if not status:
        abort(400, "CallStatus is required")
    duration = form.get("CallDuration")
    seconds = int(duration) if duration and duration.isdigit() else None
    sequence = int(form["SequenceNumber"]) if form.get("SequenceNumber", "").isdigit() else 0
    now = _now()
    if not _outreach().calls.status(attempt_id, form["CallSid"], status, sequence, seconds, now):
        log.warning("outbound call %s: a status for a try we do not know", form["CallSid"])
        return "", 204
    # The call's own record too (its duration, its end), as for the calls children make.
    service: CallService = current_app.extensions["yachay.calls"]
    update = StatusUpdate(
        call_sid=form["CallSid"],
        status=status,
        sequence_number=sequence,
        phone=form.get("To", ""),
        direction=OUTBOUND,
        duration_seconds=seconds,
        timestamp=form.get("Timestamp"),
    )
    service.status(update, now)
    return "", 204
