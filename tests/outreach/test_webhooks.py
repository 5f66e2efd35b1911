"""The outbound calls' webhooks on a real server: a missed call rejected and rung back by
the server's own scheduler, who answered (person, voicemail, fax), the student's flow on
an answered call, the parents' weekly progress, status callbacks."""

from __future__ import annotations

import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import requests
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from tests.conftest import TOKEN, LiveServer, stop_server
from tests.outreach.conftest import ACCOUNT, FROM, PUBLIC, add_student, start_outreach_server
from tests.outreach.twilio_api import FakeTwilioApi
from yachay.db import models as m
from yachay.db.database import Database
from yachay.outreach.calls import OutboundCalls
from yachay.outreach.hours import LocalClock, QuietHours

CALLBACK = "+5116402222"


@pytest.fixture(scope="module")
def server(api: FakeTwilioApi, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = start_outreach_server(
        tmp_path_factory.mktemp("outreach-server"),
        api,
        PUBLIC,
        YACHAY_CALLBACK_NUMBER=CALLBACK,
    )
    yield live
    stop_server(live)


def post(server: LiveServer, path: str, data: dict[str, str]) -> requests.Response:
    """Signed as Twilio signs it: over the public URL (YACHAY_PUBLIC_URL)."""
    signature = RequestValidator(TOKEN).compute_signature(f"{PUBLIC}{path}", data)
    return requests.post(
        f"{server.url}{path}", data=data, timeout=10, headers={"X-Twilio-Signature": signature}
    )


def twilio_params(sid: str, **extra: str) -> dict[str, str]:
    return {"CallSid": sid, "AccountSid": ACCOUNT, "ApiVersion": "2010-04-01", **extra}


def verbs(body: str) -> list[str]:
    return [child.tag for child in ET.fromstring(body)]


def dial_student(db: Database, api: FakeTwilioApi, server: LiveServer, phone: str) -> tuple:
    """A missed call from `phone`, rung back: (attempt id, the outbound CallSid)."""
    sid = "CA" + uuid.uuid4().hex
    answer = post(
        server,
        "/voice",
        twilio_params(sid, From=phone, To=CALLBACK, Direction="inbound", CallStatus="ringing"),
    )
    assert answer.status_code == 200
    assert verbs(answer.text) == ["Reject"]
    (sent,) = api.wait_for_calls(1, to=phone)  # the server's scheduler rings back
    assert sent.one("To") == phone and sent.one("From") == FROM
    return placed(db, sent)


def placed(db: Database, sent) -> tuple[int, str]:  # noqa: ANN001
    """(attempt id, CallSid) of a call the server placed, once it stored Twilio's answer."""
    attempt = int(sent.one("Url").rsplit("attempt=", 1)[1])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with db.session() as session:
            sid = session.get(m.OutboundAttempt, attempt).call_sid
        if sid:
            return attempt, sid
        time.sleep(0.05)
    raise AssertionError("the try's CallSid was never stored")


def outbound(phone: str, sid: str, **extra: str) -> dict[str, str]:
    fields = {"From": FROM, "To": phone, "Direction": "outbound-api", "CallStatus": "in-progress"}
    return twilio_params(sid, **{**fields, **extra})


def test_a_missed_call_is_rejected_free_and_rung_back_into_the_students_flow(server, db, api):
    phone = "+51987111001"
    add_student(db, phone, "Rosa")
    assert "Outbound calls: scheduled in this process, 1/s" in server.log()
    attempt, sid = dial_student(db, api, server, phone)
    with db.session() as session:
        row = session.scalars(select(m.OutboundCall).where(m.OutboundCall.phone == phone)).one()
        assert row.kind == "missed_call"
        # The rejected call itself is not a call of ours: nothing stored, nothing billed.
        assert session.scalars(select(m.Call).where(m.Call.phone == phone)).all() == []
    reply = post(
        server, f"/voice/outbound?attempt={attempt}", outbound(phone, sid, AnsweredBy="human")
    )
    assert reply.status_code == 200
    assert "Rosa" in reply.text and "Gather" in verbs(reply.text)
    # The call goes on like any other: the main menu's key 4 (my progress).
    step = post(server, "/voice/resume?step=1", outbound(phone, sid, Digits="4"))
    assert step.status_code == 200 and "<Say" in step.text
    for seq, status in enumerate(["ringing", "in-progress", "completed"]):
        extra = {"CallDuration": "75"} if status == "completed" else {}
        done = post(
            server,
            f"/voice/outbound/status?attempt={attempt}",
            outbound(phone, sid, CallStatus=status, SequenceNumber=str(seq), **extra),
        )
        assert done.status_code == 204
    with db.session() as session:
        call = session.get(m.Call, sid)
        assert (call.direction, call.phone, call.duration_seconds) == ("outbound-api", phone, 75)
        assert call.student_id is not None
        tried = session.get(m.OutboundAttempt, attempt)
        assert (tried.status, tried.answered_by, tried.duration_seconds) == (
            "completed",
            "human",
            75,
        )
        assert session.get(m.OutboundCall, tried.outbound_call_id).state == "done"


def test_a_voicemail_hears_a_short_message_never_the_lesson(server, db, api):
    phone = "+51987111002"
    add_student(db, phone, "Julio")
    attempt, sid = dial_student(db, api, server, phone)
    reply = post(
        server,
        f"/voice/outbound?attempt={attempt}",
        outbound(phone, sid, AnsweredBy="machine_end_beep"),
    )
    assert verbs(reply.text) == ["Say", "Hangup"]
    assert "Yachay" in reply.text and "Julio" not in reply.text
    with db.session() as session:
        assert session.get(m.Call, sid) is None, "no flow was started"
    for answered_by in ("machine_start", "fax"):
        again = post(
            server,
            f"/voice/outbound?attempt={attempt}",
            outbound(phone, sid, AnsweredBy=answered_by),
        )
        assert verbs(again.text) == ["Hangup"]


def test_the_parents_weekly_call_tells_each_childs_week(server, db, api):
    phone = "+51987111003"
    add_student(db, phone, "Ana")
    add_student(db, phone, None, grade=5)
    now = datetime.now(UTC).replace(tzinfo=None)
    with db.session() as session:
        row = m.OutboundCall(kind="parent_progress", phone=phone, next_try_at=now, created_at=now)
        session.add(row)
    (sent,) = api.wait_for_calls(1, to=phone)
    attempt, sid = placed(db, sent)
    reply = post(
        server, f"/voice/outbound?attempt={attempt}", outbound(phone, sid, AnsweredBy="human")
    )
    assert verbs(reply.text)[-1] == "Hangup"
    assert "Ana no llamó esta semana" in reply.text
    assert "5.° grado" in reply.text


def test_unsigned_and_unknown_outbound_webhooks_are_refused(server, db):
    sid = "CA" + uuid.uuid4().hex
    bare = requests.post(
        f"{server.url}/voice/outbound?attempt=1", data=outbound("+51987111004", sid), timeout=10
    )
    assert bare.status_code == 403
    unknown = post(
        server, "/voice/outbound?attempt=999999", outbound("+51987111004", sid, AnsweredBy="human")
    )
    assert verbs(unknown.text) == ["Hangup"]
    status = post(
        server,
        "/voice/outbound/status?attempt=999999",
        outbound("+51987111004", sid, CallStatus="completed"),
    )
    assert status.status_code == 204
    with db.session() as session:
        assert session.get(m.Call, sid) is None


def test_a_withheld_number_calling_the_callback_number_is_rejected_and_not_rung(server, db, api):
    before = len(api.calls_created())
    sid = "CA" + uuid.uuid4().hex
    answer = post(
        server,
        "/voice",
        twilio_params(
            sid, From="anonymous", To=CALLBACK, Direction="inbound", CallStatus="ringing"
        ),
    )
    assert verbs(answer.text) == ["Reject"]
    with db.session() as session:
        assert (
            session.scalars(select(m.OutboundCall).where(m.OutboundCall.phone == "anonymous")).all()
            == []
        )
    assert len(api.calls_created()) == before


def test_a_teacher_callback_puts_the_student_through_to_the_teacher(server, db, api):
    phone, teacher = "+51987111005", "+51999000111"
    student = add_student(db, phone, "Nilda")
    calls = OutboundCalls(db, LocalClock("America/Lima", QuietHours(0, 0)))
    calls.teacher_callback(student, datetime.now(UTC).replace(tzinfo=None), connect_to=teacher)
    attempt, sid = placed(db, api.wait_for_calls(1, to=phone)[0])
    reply = post(
        server, f"/voice/outbound?attempt={attempt}", outbound(phone, sid, AnsweredBy="human")
    )
    assert verbs(reply.text) == ["Say", "Dial", "Say", "Hangup"]
    dial = ET.fromstring(reply.text).find("Dial")
    assert dial.text == teacher and dial.get("callerId") == FROM


def test_a_busy_try_nobody_answered_is_a_final_status_not_an_error(server, db, api):
    """Its first callback is the final one: no call row exists yet, and none breaks."""
    phone = "+51987000777"
    attempt, sid = dial_student(db, api, server, phone)
    busy = outbound(phone, sid, CallStatus="busy", SequenceNumber="3")
    assert post(server, f"/voice/outbound/status?attempt={attempt}", busy).status_code == 204
    with db.session() as session:
        row = session.get(m.Call, sid)
        assert (row.status, row.status_sequence, row.direction) == ("busy", 3, "outbound-api")
        assert row.ended_at is not None
        assert session.get(m.OutboundAttempt, attempt).status == "busy"
