"""Hostile callers and requests: withheld numbers, forged proxies, huge bodies, audio
fishing, robodialers. Through the app as `create_app` builds it, on a real SQLite file."""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.test_calls import PROMPTS
from tests.voice.app_client import SignedClient, call_sid, form, make_app
from tests.voice.test_signed_urls_and_recordings import _pack_with_a_recording
from yachay.calls import CallService, IncomingCall
from yachay.calls.limits import Limits
from yachay.content.audio import AudioStore, audio_key
from yachay.content.loader import load_pack
from yachay.content.prompts import Prompts
from yachay.db import models as m
from yachay.db.content_import import import_pack
from yachay.db.database import Database
from yachay.flows.engine import Timing
from yachay.flows.resume import Keys

WITHHELD = ["anonymous", "Anonymous", "+266696687", "266696687", "restricted", "", None, "x" * 40]


@pytest.fixture
def app(tmp_path: Path):  # noqa: ANN201
    content = tmp_path / "content"
    _pack_with_a_recording(content / "packs")
    app = make_app(tmp_path, content_dir=content)
    database = Database(app.config["YACHAY"].database_url)
    with database.session() as session:
        import_pack(session, load_pack(content / "packs" / "grabado"))
    database.dispose()
    return app


@pytest.fixture
def db(app) -> Database:  # noqa: ANN001
    database = Database(app.config["YACHAY"].database_url)
    yield database
    database.dispose()


@pytest.mark.parametrize("caller_id", WITHHELD)
def test_a_withheld_caller_id_is_nobody(app, db, caller_id) -> None:  # noqa: ANN001
    # Records that once slipped in under what carriers send for a hidden number.
    with db.session() as session:
        for phone in ("", "anonymous", "+266696687"):
            session.add(m.Student(phone=phone, grade=4, language="qu", name="Rosa"))
    client = SignedClient(app.test_client())
    sid = call_sid()
    data = form(sid, "")
    if caller_id is None:
        del data["From"]
    else:
        data["From"] = caller_id
    reply = client.post("/voice", data)
    assert reply.status_code == 200
    root = ET.fromstring(reply.text)
    assert root[-1].tag == "Hangup"
    assert "Tu número está oculto" in reply.text and "Rosa" not in reply.text
    # Keys pressed anyway change nothing.
    again = client.post("/voice/resume?step=1", {**data, "Digits": "1"})
    assert again.text == reply.text
    with db.session() as session:
        call = session.get(m.Call, sid)
        assert (call.phone, call.student_id) == ("", None)
        assert len(session.scalars(select(m.Student)).all()) == 3


def test_forwarded_headers_from_an_untrusted_client_are_ignored(app) -> None:  # noqa: ANN001
    client = SignedClient(app.test_client())
    data = form(call_sid(), "+51966000001")
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "yachay.example.org"}
    outsider = {"REMOTE_ADDR": "203.0.113.9"}
    signed_forwarded = "https://yachay.example.org/voice"

    def post(signed_url: str, environ: dict[str, str]):  # noqa: ANN202
        client.client.environ_base.update(environ)
        return client.post("/voice", data, signed_url=signed_url, headers=forwarded)

    assert post(signed_forwarded, outsider).status_code == 403
    assert post("http://localhost/voice", outsider).status_code == 200
    # The default trusted proxy is this host's own (a reverse proxy beside the app).
    assert post(signed_forwarded, {"REMOTE_ADDR": "127.0.0.1"}).status_code == 200


def test_a_huge_body_is_refused_before_it_is_read(app) -> None:  # noqa: ANN001
    client = app.test_client()
    body = b"CallSid=CA1&Digits=" + b"1" * (20 * 1024 * 1024)
    reply = client.post("/voice", data=body, content_type="application/x-www-form-urlencoded")
    assert reply.status_code == 413
    assert "<Response" not in reply.text


def test_audio_routes_serve_pack_recordings_only(app) -> None:  # noqa: ANN001
    client = app.test_client()
    with client.get("/audio/content/grabado/audio/intro.wav") as ok:
        assert ok.status_code == 200 and ok.mimetype == "audio/wav"
    for path in (
        "/audio/content/grabado/pack.yaml",
        "/audio/content/grabado/lessons/g1-grabado.yaml",
        "/audio/content/grabado/audio/../pack.yaml",
        "/audio/content/grabado/audio/%2e%2e/pack.yaml",
        "/audio/content/../prompts/es.yaml",
        "/audio/content/%2e%2e/%2e%2e/pyproject.toml",
        "/audio/content/grabado/audio/intro.txt",
        "/audio/es/..%2f..%2fyachay.db.wav",
        "/audio/qu/0123456789abcdef0123.wav",
    ):
        with client.get(path) as refused:
            assert refused.status_code == 404, path


def test_a_prompt_naming_a_child_cannot_be_found_by_guessing_its_text(app, db) -> None:  # noqa: ANN001
    if "qu" not in app.extensions["yachay.prompts"].languages:
        pytest.skip("Quechua needs espeak-ng and sox (apt-get install espeak-ng sox)")
    with db.session() as session:
        session.add(m.Student(phone="+51966000002", grade=1, language="qu", name="Wayra"))
    reply = SignedClient(app.test_client()).post("/voice", form(call_sid(), "+51966000002"))
    text = app.extensions["yachay.prompts"].text("welcome_back_named", "qu", name="Wayra")
    guessed = f"/audio/qu/{audio_key('qu', text)}.wav"
    plays = [v.text for v in ET.fromstring(reply.text).iter("Play")]
    assert plays and guessed not in plays
    with app.test_client().get(guessed) as fished:
        assert fished.status_code == 404
    store: AudioStore = app.extensions["yachay.audio"]
    private = [p for p in plays if store.is_private("qu", Path(p).stem)]
    assert len(private) == 1
    app.config["YACHAY"] = app.config["YACHAY"].with_overrides({"audio_text_header": True})
    with app.test_client().get(private[0]) as served:
        assert served.status_code == 200
        assert "X-Yachay-Text" not in served.headers
        assert served.headers["Cache-Control"] == "no-store"


def test_rendered_audio_carries_no_text_unless_asked(app) -> None:  # noqa: ANN001
    if "qu" not in app.extensions["yachay.prompts"].languages:
        pytest.skip("Quechua needs espeak-ng and sox (apt-get install espeak-ng sox)")
    reply = SignedClient(app.test_client()).post("/voice", form(call_sid(), "+51966000003"))
    quechua = next(v.text for v in ET.fromstring(reply.text).iter("Play"))
    with app.test_client().get(quechua) as served:
        assert served.status_code == 200 and "X-Yachay-Text" not in served.headers


@pytest.fixture
def calls_db(tmp_path: Path) -> Database:
    from tests.test_calls import write_pack
    from yachay.db import migrate

    url = f"sqlite:///{tmp_path / 'limits.db'}"
    migrate.upgrade(url)
    database = Database(url)
    with database.session() as session:
        import_pack(session, load_pack(write_pack(tmp_path / "packs")))
    yield database
    database.dispose()


def _said(events: object, step: int) -> str:
    return f"{step}|" + " ".join(getattr(e, "text", type(e).__name__) for e in events)


def test_a_call_longer_than_the_limit_is_ended_politely(calls_db, caplog) -> None:  # noqa: ANN001
    calls = CallService(
        calls_db, Prompts.load(PROMPTS), Timing(), limits=Limits(max_call_minutes=30)
    )
    at = datetime(2026, 12, 3, 10, 0)
    calls.incoming(IncomingCall("CA-long", "+51966123456"), _said, at)
    with caplog.at_level(logging.WARNING):
        reply = calls.resume("CA-long", 1, Keys("1", at + timedelta(minutes=31)), _said)
    assert "Hasta pronto" in reply and reply.endswith("Hangup")
    assert "longer than 30 minutes" in caplog.text
    assert "+51966123456" not in caplog.text and "+51*******56" in caplog.text


def test_answers_faster_than_a_child_can_give_them_are_refused(calls_db, caplog) -> None:  # noqa: ANN001
    calls = CallService(
        calls_db, Prompts.load(PROMPTS), Timing(), limits=Limits(max_answers_per_minute=2)
    )
    at = datetime(2026, 12, 3, 10, 0)
    with calls_db.session() as session:
        session.add(m.Student(phone="+51966654321", grade=1, language="es"))
    calls.incoming(IncomingCall("CA-fast", "+51966654321"), _said, at)
    step = 1
    for key in ("1", "2"):  # my lesson, skip its part: question 1
        calls.resume("CA-fast", step, Keys(key, at), _said)
        step += 1
    replies = []
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            replies.append(
                calls.resume("CA-fast", step, Keys("2", at + timedelta(seconds=step)), _said)
            )
            step += 1
    assert "Hasta pronto" in replies[-1] and replies[-1].endswith("Hangup")
    with calls_db.session() as session:
        assert len(session.scalars(select(m.Answer)).all()) == 2
    assert "more than 2 answers a minute" in caplog.text and "+51966654321" not in caplog.text
