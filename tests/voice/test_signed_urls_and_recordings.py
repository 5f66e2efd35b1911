"""Signatures in the modes a deployment uses, and recorded audio reaching the caller, through
the app as `create_app` builds it."""

from __future__ import annotations

import wave
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from tests.voice.app_client import (
    SHARED_KEY_ID,
    SHARED_SECRET,
    TOKEN,
    SignedClient,
    call_sid,
    form,
    make_app,
)
from yachay.content.loader import load_pack
from yachay.db.content_import import import_pack
from yachay.db.database import Database

PUBLIC = "https://yachay.example.org"
PHONE = "+51944000001"


@pytest.fixture
def public_app(tmp_path: Path):  # noqa: ANN201
    return make_app(tmp_path, public_url=PUBLIC)


def test_with_a_public_url_the_query_string_is_signed(public_app) -> None:
    client = SignedClient(public_app.test_client())
    data = form(call_sid(), PHONE, Digits="1")
    path = "/voice/resume?step=4"
    # Twilio signs the URL it asked for, query string included.
    ok = client.post(path, data, signed_url=f"{PUBLIC}{path}")
    assert ok.status_code == 200, ok.text
    assert ET.fromstring(ok.text).tag == "Response"
    without_query = client.post(path, data, signed_url=f"{PUBLIC}/voice/resume")
    assert without_query.status_code == 403
    other_step = client.post(path, data, signed_url=f"{PUBLIC}/voice/resume?step=5")
    assert other_step.status_code == 403


def test_with_a_public_url_forwarded_headers_do_not_change_what_is_signed(public_app) -> None:
    client = SignedClient(public_app.test_client())
    data = form(call_sid(), PHONE)
    forged = {"X-Forwarded-Proto": "http", "X-Forwarded-Host": "attacker.example.com"}
    signed_for_attacker = client.post(
        "/voice", data, signed_url="http://attacker.example.com/voice", headers=forged
    )
    assert signed_for_attacker.status_code == 403
    ok = client.post("/voice", data, signed_url=f"{PUBLIC}/voice", headers=forged)
    assert ok.status_code == 200


def test_an_unknown_shared_key_id_is_refused_whatever_signs_it(tmp_path: Path) -> None:
    client = SignedClient(make_app(tmp_path).test_client())
    data = form(call_sid(), PHONE)
    sha256 = "HMAC_SHA256"

    def settings(key: str) -> dict[str, str]:
        return {"X-Twilio-Webhooks-Signature-Settings": f"key={key},algorithm={sha256}"}

    known = client.post(
        "/voice", data, token=SHARED_SECRET, algorithm=sha256, headers=settings(SHARED_KEY_ID)
    )
    assert known.status_code == 200
    # The auth token is not a shared key: an id we do not know must not fall back to it.
    for key in ("nobody", "", SHARED_KEY_ID + "x"):
        unknown = client.post("/voice", data, token=TOKEN, algorithm=sha256, headers=settings(key))
        assert unknown.status_code == 403, key
    no_key = client.post(
        "/voice",
        data,
        token=TOKEN,
        algorithm=sha256,
        headers={"X-Twilio-Webhooks-Signature-Settings": f"algorithm={sha256}"},
    )
    assert no_key.status_code == 403


def _wav(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x01\x02" * 8000)
    return path.read_bytes()


def _pack_with_a_recording(packs: Path) -> bytes:
    pack = packs / "grabado"
    recording = _wav(pack / "audio" / "intro.wav")
    question = {
        "id": "g1-grabado-q1",
        "stem": {"es": "¿Cuánto es uno más uno?"},
        "choices": [{"es": "uno"}, {"es": "dos"}],
        "answer": 2,
        "explanation": {"es": "Uno y uno son dos."},
        "skills": ["sumar"],
        "difficulty": 1,
    }
    lesson = {
        "id": "g1-grabado",
        "title": {"es": "Lección grabada"},
        "grade": 1,
        "skills": ["sumar"],
        "segments": [
            {"text": {"es": "Texto que no debe sintetizarse."}, "audio": {"es": "audio/intro.wav"}}
        ],
        "questions": [question],
    }
    (pack / "lessons").mkdir(parents=True)
    (pack / "lessons" / "g1-grabado.yaml").write_text(yaml.safe_dump(lesson))
    (pack / "pack.yaml").write_text(
        yaml.safe_dump(
            {
                "id": "grabado",
                "title": {"es": "Con grabaciones"},
                "subject": "matematica",
                "languages": ["es"],
                "skills": [{"id": "sumar", "name": {"es": "Sumar"}, "grade": 1}],
                "units": [
                    {
                        "id": "u1",
                        "title": {"es": "Unidad"},
                        "grade": 1,
                        "lessons": ["lessons/g1-grabado.yaml"],
                    }
                ],
            }
        )
    )
    return recording


def test_a_recorded_segment_is_played_from_its_file_not_synthesised(tmp_path: Path) -> None:
    content = tmp_path / "content"
    recording = _pack_with_a_recording(content / "packs")
    app = make_app(tmp_path, content_dir=content)
    database = Database(app.config["YACHAY"].database_url)
    with database.session() as session:
        import_pack(session, load_pack(content / "packs" / "grabado"))
    database.dispose()

    client = SignedClient(app.test_client())
    sid = call_sid()
    client.post("/voice", form(sid, PHONE))
    reply = ""
    # Spanish, grade 1, the parent consents, my lesson
    for step, digits in enumerate(("1", "1", "1", "1"), start=1):
        reply = client.post(f"/voice/resume?step={step}", form(sid, PHONE, Digits=digits)).text
    gather = ET.fromstring(reply).find("Gather")
    assert gather is not None, reply
    plays = [v.text for v in gather if v.tag == "Play"]
    says = " ".join(v.text or "" for v in gather if v.tag == "Say")
    assert plays == ["/audio/content/grabado/audio/intro.wav"], reply
    assert "Texto que no debe sintetizarse" not in says
    with app.test_client().get(plays[0]) as served:
        assert served.status_code == 200
        assert served.data == recording
