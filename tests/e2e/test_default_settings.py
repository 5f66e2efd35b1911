"""The server as `make run` starts it: default settings, from the checkout or any folder.

Every other server test sets an absolute YACHAY_VAR_DIR, which is how a relative audio
path once slipped through: `send_file` resolved it against the package, and every first
call met a `<Play>` answered 500. These run a copy of the checkout with no setting at all.
"""

from __future__ import annotations

import json
import shutil
import sys
import wave
from io import BytesIO
from pathlib import Path

import pytest
import requests

from tests.checkout import copy_checkout, default_env, serve, yachay
from tests.conftest import stop_server
from yachay.content.audio import AudioStore
from yachay.db import models as m
from yachay.db.database import Database
from yachay.phone.simulator import PhoneSimulator

HAS_ESPEAK = bool(shutil.which("espeak-ng") and shutil.which("sox"))
INSTALL = "apt-get install espeak-ng sox"


def first_menu_plays(verbs: list[dict]) -> list[str]:
    """The <Play> URLs inside the first answer's <Gather>: the language menu."""
    return [v["url"] for g in verbs for v in g.get("verbs", []) if v["verb"] == "Play"]


def fetch_audio(base: str, url: str) -> requests.Response:
    response = requests.get(url if "://" in url else base + url, timeout=30)
    assert response.status_code == 200, (url, response.status_code, response.text[:300])
    assert response.headers["Content-Type"] == "audio/wav"
    with wave.open(BytesIO(response.content)) as wav:
        assert (wav.getframerate(), wav.getnchannels()) == (8000, 1)
    return response


@pytest.mark.skipif(not HAS_ESPEAK, reason="espeak-ng and sox render the first menu's audio")
def test_make_run_serves_every_play_of_the_first_call_from_any_folder(tmp_path: Path):
    checkout = copy_checkout(tmp_path / "checkout")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = default_env(checkout, home=tmp_path / "home")
    var = checkout / "var"

    # From the checkout, as `make run` does.
    server = serve(checkout, env, tmp_path / "from-checkout.log")
    try:
        # The newcomer's call, from another folder: it finds the server's token in var/.
        done = yachay(
            "call", "--url", server.url, "--keys", "1,3,1", "--json", cwd=elsewhere, env=env
        )
        assert done.returncode == 0, done.stdout + done.stderr
        call = json.loads(done.stdout)
        assert call["ok"], call["errors"]
        plays = first_menu_plays(call["steps"][0]["verbs"])
        assert [url.split("/")[-2] for url in plays] == ["qu", "ay"]
        for url in plays:
            fetch_audio(server.url, url)
        log = server.log()
    finally:
        stop_server(server)
    assert f"Database:      sqlite:///{var / 'yachay.db'}" in log
    assert f"Content:       {(checkout / 'content').resolve()}" in log
    assert "Languages:     es (español), qu (runasimi), ay (aymar aru)\n" in log
    assert "Not offered" not in log
    assert "Loaded the starter content" in log
    assert (var / "twilio_auth_token").exists() and list((var / "audio" / "qu").glob("*.wav"))

    # From another folder: the same database (nothing to load again), token and audio.
    server = serve(elsewhere, env, tmp_path / "from-elsewhere.log")
    try:
        token = (var / "twilio_auth_token").read_text().strip()
        phone = PhoneSimulator(server.url, token, from_number="+51900555001")
        transcript = phone.call(["1", "4", "h"])
        assert transcript.ok, transcript.errors
        plays = first_menu_plays(transcript.documents[0].verbs)
        assert [url.split("/")[-2] for url in plays] == ["qu", "ay"]
        for url in plays:
            fetch_audio(server.url, url)
        log = server.log()
    finally:
        stop_server(server)
    assert f"Database:      sqlite:///{var / 'yachay.db'}" in log
    assert "Loaded the starter content" not in log
    assert list(elsewhere.iterdir()) == []
    # Not the user's data folder either (espeak-ng's sound library may leave ~/.config/pulse).
    assert not (tmp_path / "home" / ".local").exists()


def test_without_espeak_ng_only_spanish_is_offered_and_said_once(tmp_path: Path):
    """A fresh machine: no espeak-ng, no sox. A PATH holding only python shows it for real."""
    bare = tmp_path / "bin"
    bare.mkdir()
    (bare / "python").symlink_to(sys.executable)
    checkout = copy_checkout(tmp_path / "checkout")
    # A relative var folder is taken against the folder the server starts in.
    env = default_env(checkout, home=tmp_path / "home", PATH=str(bare), YACHAY_VAR_DIR="run")
    var = tmp_path / "run"
    database = Database(f"sqlite:///{var / 'yachay.db'}")
    server = serve(tmp_path, env, tmp_path / "server.log")
    try:
        token = (var / "twilio_auth_token").read_text().strip()
        phone = PhoneSimulator(server.url, token, from_number="+51900555002")
        transcript = phone.call(["2", "1", "3", "h"])
        assert transcript.ok, transcript.errors
        assert transcript.played() == []
        assert transcript.said()[:3] == [
            "¡Hola! Bienvenida, bienvenido a Yachay, tu escuela por teléfono.",
            "Para español, marca 1.",
            "Esa tecla no es válida.",  # 2 (Quechua) is not offered
        ]
        assert "¡Listo! Ya estás en Yachay, en 3.° grado." in transcript.said()

        # A child registered in Quechua before: heard in Spanish, their choice kept.
        with database.session() as session:
            session.add(m.Student(phone="+51900555003", grade=2, language="qu"))
        transcript = phone.call(["1", "h"], from_number="+51900555003")
        assert transcript.ok, transcript.errors
        assert transcript.played() == [] and "Para seguir con tu lección" in (
            transcript.spoken_text()
        )

        # Audio asked for anyway (a TwiML from before, a stale cache): 503, not 500.
        key = AudioStore(var / "audio").remember("qu", "Allillanchu.")
        response = requests.get(f"{server.url}/audio/qu/{key}.wav", timeout=10)
        assert response.status_code == 503
        assert INSTALL in response.text
        log = server.log()
    finally:
        stop_server(server)
        database.dispose()
    assert "Languages:     es (español)\n" in log
    startup = log.split("Yachay is answering calls")[0]
    assert startup.count(INSTALL) == 1
    assert "Not offered:   qu (runasimi), ay (aymar aru): espeak-ng and sox" in startup
    assert f"cannot render audio qu/{key}" in log
    assert "Traceback" not in log
