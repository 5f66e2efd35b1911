"""What a caller hears when the database is locked or gone: the same question again, or a
polite goodbye in their language, never Twilio's English error (a 500) and no half-stored
turn. Real servers, a real PostgreSQL stopped under them, a real SQLite write lock."""

from __future__ import annotations

import re
import sqlite3
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import func, select

from tests.conftest import LiveServer, free_port, start_server, stop_server
from tests.postgres import Postgres, start_postgres
from tests.voice.test_webhooks import call_sid, params, post
from yachay.db import models as m
from yachay.db.database import Database


def gather_action(twiml: str) -> str:
    found = re.search(r'<Gather action="([^"]+)"', twiml)
    assert found, twiml
    return found.group(1).replace("&amp;", "&")


@pytest.fixture
def server_over_postgres(tmp_path: Path) -> Iterator[tuple[LiveServer, Postgres]]:
    postgres = start_postgres(free_port())
    server = start_server(tmp_path, postgres.url)
    yield server, postgres
    stop_server(server)
    postgres.stop()


def test_with_postgresql_stopped_the_caller_hears_goodbye_in_their_language(
    server_over_postgres,
) -> None:
    server, postgres = server_over_postgres
    sid, number = call_sid(), "+51955000001"
    post(server, "/voice", params(sid, number))
    quechua = post(server, "/voice/resume?step=1", params(sid, number, Digits="2")).text
    action = gather_action(quechua)
    assert "lang=qu" in action  # the grade menu, in Quechua
    postgres.stop()

    reply = post(server, action, params(sid, number, Digits="3"))
    assert reply.status_code == 200
    root = ET.fromstring(reply.text)
    assert [c.tag for c in root] == ["Play", "Hangup"]
    assert root[0].text.startswith("/audio/qu/")
    # The apology's audio comes from disk, not the database.
    audio = requests.get(server.url + root[0].text, timeout=30)
    assert audio.status_code == 200 and audio.headers["Content-Type"] == "audio/wav"

    fallback = post(
        server,
        "/voice/fallback",
        params(sid, number, ErrorCode="11200", ErrorUrl=f"{server.url}{action}"),
    )
    assert [c.tag for c in ET.fromstring(fallback.text)] == ["Play", "Hangup"]

    new_call = post(server, "/voice", params(call_sid(), "+51955000002"))
    assert new_call.status_code == 200
    root = ET.fromstring(new_call.text)
    assert [c.tag for c in root] == ["Say", "Hangup"] and "Lo sentimos" in root[0].text
    status = post(server, "/voice/status", params(sid, number, CallStatus="completed"))
    assert status.status_code == 503  # Twilio logs it; nothing to say to a caller


def test_with_sqlite_locked_the_question_is_asked_again_then_the_call_goes_on(
    tmp_path: Path,
) -> None:
    server = start_server(tmp_path)
    database = Database(server.database_url)
    try:
        sid, number = call_sid(), "+51955000003"
        post(server, "/voice", params(sid, number))
        spanish = post(server, "/voice/resume?step=1", params(sid, number, Digits="1")).text
        path = urlsplit(server.database_url.removeprefix("sqlite:///")).path
        blocker = sqlite3.connect(path, isolation_level=None, timeout=1)
        blocker.execute("BEGIN IMMEDIATE")  # another writer holds the database
        try:
            again = post(server, "/voice/resume?step=2", params(sid, number, Digits="3"))
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        assert again.status_code == 200
        assert again.text == spanish  # the grade menu again; its keys still answer step 2
        with database.session() as session:
            assert session.get(m.Call, sid).step == 2
            students = select(func.count()).select_from(m.Student).where(m.Student.phone == number)
            assert session.scalar(students) == 0
        registered = post(server, "/voice/resume?step=2", params(sid, number, Digits="3"))
        assert "Lo sentimos" not in registered.text
        with database.session() as session:
            assert session.scalar(students) == 1
    finally:
        database.dispose()
        stop_server(server)
