"""The webhook contract over real HTTP: signatures, status callbacks, retries, fallback."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET

import requests
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from tests.conftest import SHARED_KEY_ID, SHARED_SECRET, TOKEN
from yachay.db import models as m


def call_sid() -> str:
    return "CA" + uuid.uuid4().hex


def params(sid: str, phone: str, **extra: str) -> dict[str, str]:
    return {
        "CallSid": sid,
        "AccountSid": "AC" + "0" * 32,
        "From": phone,
        "To": "+5116409999",
        "CallStatus": "in-progress",
        "ApiVersion": "2010-04-01",
        "Direction": "inbound",
        **extra,
    }


def post(
    server,
    path: str,
    data: dict[str, str],
    token: str = TOKEN,  # noqa: ANN001
    headers: dict[str, str] | None = None,
    sign_url: str | None = None,
    algorithm: str | None = None,
) -> requests.Response:
    url = f"{server.url}{path}"
    signature = RequestValidator(token).compute_signature(sign_url or url, data, algorithm)
    return requests.post(
        url, data=data, timeout=10, headers={"X-Twilio-Signature": signature, **(headers or {})}
    )


def to_the_first_question(server, db, sid: str, phone: str, grade: int) -> int:  # noqa: ANN001
    """Register in Spanish at `grade` and skip through the lesson; the step of question 1."""
    step = 1
    # Spanish, the grade, a parent's consent, continue my lesson
    for digits in ("1", str(grade), "1", "1"):
        post(server, f"/voice/resume?step={step}", params(sid, phone, Digits=digits))
        step += 1
    with db.session() as session:
        lesson_id = session.scalar(
            select(m.LessonProgress.lesson_id)
            .join(m.Call, m.Call.student_id == m.LessonProgress.student_id)
            .where(m.Call.sid == sid)
        )
        lesson = session.get(m.Lesson, lesson_id)
        skips = len(lesson.segments) + (lesson.kind == "listening")
    for _ in range(skips):
        post(server, f"/voice/resume?step={step}", params(sid, phone, Digits="2"))
        step += 1
    return step


def test_the_library_vector_from_twilio_md():
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+14158675309",
        "Digits": "1234",
        "From": "+14158675309",
        "To": "+18005551212",
    }
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert (
        RequestValidator("12345").compute_signature(url, params) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    )


def test_a_signed_call_gets_twiml(live_server, phone_number):
    response = post(live_server, "/voice", params(call_sid(), phone_number))
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/xml")
    assert ET.fromstring(response.text).tag == "Response"


def test_missing_and_forged_signatures_get_403_and_no_twiml(live_server, phone_number, server_db):
    sid = call_sid()
    data = params(sid, phone_number)
    for path in ("/voice", "/voice/resume?step=1", "/voice/status", "/voice/fallback"):
        missing = requests.post(f"{live_server.url}{path}", data=data, timeout=10)
        assert missing.status_code == 403, path
        assert "<Response" not in missing.text
        forged = post(live_server, path, data, token="not-the-token")
        assert forged.status_code == 403, path
    # A signature for other parameters does not carry over.
    url = f"{live_server.url}/voice"
    good = RequestValidator(TOKEN).compute_signature(url, data)
    tampered = requests.post(
        url, data={**data, "From": "+51999999999"}, timeout=10, headers={"X-Twilio-Signature": good}
    )
    assert tampered.status_code == 403
    with server_db.session() as session:
        assert session.get(m.Call, sid) is None


def test_sha256_shared_key_signatures(live_server, phone_number):
    settings = {
        "X-Twilio-Webhooks-Signature-Settings": f"key={SHARED_KEY_ID},algorithm=HMAC_SHA256"
    }
    ok = post(
        live_server,
        "/voice",
        params(call_sid(), phone_number),
        token=SHARED_SECRET,
        headers=settings,
        algorithm="HMAC_SHA256",
    )
    assert ok.status_code == 200
    wrong_key = post(
        live_server,
        "/voice",
        params(call_sid(), phone_number),
        token=TOKEN,
        headers=settings,
        algorithm="HMAC_SHA256",
    )
    assert wrong_key.status_code == 403
    unknown_key = post(
        live_server,
        "/voice",
        params(call_sid(), phone_number),
        token=SHARED_SECRET,
        algorithm="HMAC_SHA256",
        headers={"X-Twilio-Webhooks-Signature-Settings": "key=nobody,algorithm=HMAC_SHA256"},
    )
    assert unknown_key.status_code == 403


def test_behind_a_proxy_the_public_url_is_signed(live_server, phone_number):
    data = params(call_sid(), phone_number)
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "yachay.example.org"}
    ok = post(
        live_server, "/voice", data, headers=headers, sign_url="https://yachay.example.org/voice"
    )
    assert ok.status_code == 200
    internal = post(live_server, "/voice", data, headers=headers)
    assert internal.status_code == 403


def test_duplicate_and_out_of_order_status_callbacks_change_nothing_twice(
    live_server, phone_number, server_db
):
    sid = call_sid()
    assert post(live_server, "/voice", params(sid, phone_number)).status_code == 200
    completed = params(
        sid,
        phone_number,
        CallStatus="completed",
        CallDuration="42",
        SequenceNumber="3",
        Timestamp="Sat, 28 Nov 2026 10:00:00 +0000",
        CallbackSource="call-progress-events",
    )
    for _ in range(3):
        assert post(live_server, "/voice/status", completed).status_code == 204
    late = params(sid, phone_number, CallStatus="ringing", SequenceNumber="0")
    assert post(live_server, "/voice/status", late).status_code == 204
    with server_db.session() as session:
        call = session.get(m.Call, sid)
        assert (call.status, call.duration_seconds) == ("completed", 42)
        assert call.ended_at is not None
        events = session.scalars(
            select(m.CallStatusEvent.status)
            .where(m.CallStatusEvent.call_sid == sid)
            .order_by(m.CallStatusEvent.id)
        ).all()
        assert events == ["completed", "ringing"]


def test_a_retried_request_gets_the_same_answer_and_stores_nothing_twice(
    live_server, phone_number, server_db
):
    sid = call_sid()
    first = post(live_server, "/voice", params(sid, phone_number))
    again = post(live_server, "/voice", params(sid, phone_number))
    assert first.text == again.text
    step = to_the_first_question(live_server, server_db, sid, phone_number, grade=3)
    answer = params(sid, phone_number, Digits="1")
    replies = {post(live_server, f"/voice/resume?step={step}", answer).text for _ in range(3)}
    assert len(replies) == 1
    with server_db.session() as session:
        count = session.scalar(
            select(func.count()).select_from(m.Answer).where(m.Answer.call_sid == sid)
        )
        assert count == 1
        assert session.get(m.Call, sid).step == step + 1


def test_fallback_apologises_and_hangs_up(live_server, phone_number):
    reply = post(
        live_server,
        "/voice/fallback",
        params(call_sid(), phone_number, ErrorCode="11200", ErrorUrl=f"{live_server.url}/voice"),
    )
    root = ET.fromstring(reply.text)
    assert [c.tag for c in root] == ["Say", "Hangup"]
    assert "Lo sentimos" in root[0].text


def test_fallback_speaks_the_callers_language(live_server, phone_number):
    sid = call_sid()
    post(live_server, "/voice", params(sid, phone_number))
    post(live_server, "/voice/resume?step=1", params(sid, phone_number, Digits="2"))
    reply = post(live_server, "/voice/fallback", params(sid, phone_number, ErrorCode="12100"))
    root = ET.fromstring(reply.text)
    assert [c.tag for c in root] == ["Play", "Hangup"]
    assert root[0].text.startswith("/audio/qu/")


def test_a_resume_for_an_unknown_call_apologises(live_server, phone_number):
    reply = post(live_server, "/voice/resume?step=4", params(call_sid(), phone_number, Digits="1"))
    assert reply.status_code == 200
    assert [c.tag for c in ET.fromstring(reply.text)] == ["Say", "Hangup"]


def test_requests_missing_their_fields_are_refused_clearly(live_server, phone_number):
    reply = post(live_server, "/voice/resume", params(call_sid(), phone_number, Digits="1"))
    assert reply.status_code == 400
    assert "step" in reply.text


def test_simultaneous_duplicates_of_one_answer_store_it_once(live_server, phone_number, server_db):
    from concurrent.futures import ThreadPoolExecutor

    sid = call_sid()
    post(live_server, "/voice", params(sid, phone_number))
    step = to_the_first_question(live_server, server_db, sid, phone_number, grade=5)
    answer = params(sid, phone_number, Digits="2")
    with ThreadPoolExecutor(max_workers=6) as pool:
        replies = list(
            pool.map(lambda _: post(live_server, f"/voice/resume?step={step}", answer), range(6))
        )
    assert {r.status_code for r in replies} == {200}
    assert len({r.text for r in replies}) == 1
    assert "Lo sentimos" not in replies[0].text
    with server_db.session() as session:
        assert (
            session.scalar(
                select(func.count()).select_from(m.Answer).where(m.Answer.call_sid == sid)
            )
            == 1
        )
