"""`yachay serve` under gunicorn: whole calls across worker processes, a worker killed and
the whole server restarted in the middle of a call."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import TOKEN, LiveServer, free_port, start_server, stop_server
from tests.e2e.test_student_call import add_student, answers, current_lesson, through_the_segments
from tests.postgres import start_postgres
from yachay.db.database import Database
from yachay.phone.keys import KeyPrompt
from yachay.phone.simulator import PhoneSimulator

# Each test starts gunicorn servers (workers import torch): slow on a small machine.
pytestmark = [pytest.mark.timeout(600), pytest.mark.slow]


def workers_of(server: LiveServer) -> list[int]:
    """The gunicorn worker processes: the children of the server's process."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == server.process.pid:
            children.append(int(stat.parent.name))
    return children


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def gunicorn(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LiveServer, Database]]:
    postgres = start_postgres(free_port()) if request.param == "postgresql" else None
    server = start_server(
        tmp_path_factory.mktemp("gunicorn"), postgres.url if postgres else None, workers=2
    )
    database = Database(server.database_url)
    yield server, database
    database.dispose()
    stop_server(server)
    if postgres is not None:
        postgres.stop()


def a_lesson_call(
    database: Database, number: str, at_key: int, action: Callable[[], None]
) -> tuple[list[str], Callable[[KeyPrompt], str | None], list]:
    """Keys for a grade-1 student's whole lesson; `action` runs before key `at_key`."""
    student_id = add_student(database, number, grade=1)
    lesson, questions = current_lesson(database, student_id)
    keys = ["1", *through_the_segments(lesson), *(str(q.answer) for q in questions), "h"]
    pending = iter(keys)
    pressed: list[str] = []

    def next_key(prompt: KeyPrompt) -> str | None:
        if len(pressed) == at_key:
            action()
        key = next(pending, "h")
        pressed.append(key)
        return None if key == "h" else key

    return [q.id for q in questions], next_key, [student_id]


def test_a_whole_call_is_served_by_any_worker_after_its_worker_is_killed(gunicorn) -> None:
    server, database = gunicorn
    before = workers_of(server)
    assert len(before) == 2

    def kill_every_worker() -> None:
        for pid in before:
            os.kill(pid, signal.SIGKILL)
        # The next webhook comes after they are gone (the caller is listening meanwhile).
        deadline = time.monotonic() + 30
        while set(workers_of(server)) & set(before) and time.monotonic() < deadline:
            time.sleep(0.05)

    number = f"+5197{os.getpid() % 1000:03d}0001"
    question_ids, keys, (student_id,) = a_lesson_call(database, number, 3, kill_every_worker)
    phone = PhoneSimulator(base_url=server.url, auth_token=TOKEN, from_number=number, timeout=60)
    transcript = phone.call(keys)
    assert transcript.ok, transcript.errors
    assert "Lo sentimos" not in transcript.spoken_text()
    assert "¡Terminaste la lección!" in transcript.spoken_text()
    stored = answers(database, student_id)
    assert [a.question_id for a in stored] == question_ids  # each once, none lost
    assert {a.call_sid for a in stored} == {transcript.call_sid}
    after = workers_of(server)
    assert len(after) == 2 and not set(after) & set(before)


def test_a_call_goes_on_across_a_restart_of_the_whole_server(tmp_path: Path) -> None:
    port = free_port()
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    servers = [start_server(var_dir, workers=2, port=port)]
    database = Database(servers[0].database_url)

    def restart() -> None:
        old_workers = workers_of(servers[-1])
        stop_server(servers[-1])
        # Nothing of the call survives in any process: only the database and the port. A
        # worker outliving its master would still hold the port, so wait for all of them.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and any(
            Path(f"/proc/{pid}").exists() for pid in old_workers
        ):
            time.sleep(0.1)
        servers.append(start_server(var_dir, workers=2, port=port))

    try:
        number = "+51970000002"
        question_ids, keys, (student_id,) = a_lesson_call(database, number, 4, restart)
        phone = PhoneSimulator(
            base_url=f"http://127.0.0.1:{port}", auth_token=TOKEN, from_number=number, timeout=60
        )
        transcript = phone.call(keys)
        assert len(servers) == 2
        assert transcript.ok, transcript.errors
        assert "Lo sentimos" not in transcript.spoken_text()
        stored = answers(database, student_id)
        assert [a.question_id for a in stored] == question_ids
    finally:
        database.dispose()
        stop_server(servers[-1])


def test_a_huge_unsigned_body_is_refused_unread_while_calls_go_on(gunicorn) -> None:
    import socket
    from urllib.parse import urlsplit

    server, database = gunicorn
    address = urlsplit(server.url)
    with socket.create_connection((address.hostname, address.port), timeout=20) as sock:
        # 20 MB announced, none of it sent: an answer that came before the body cannot
        # have waited for it, nor read it.
        sock.sendall(
            b"POST /voice HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 20971520\r\n\r\nCallSid=CA1&From=%2B1"
        )
        answer = sock.recv(4096).decode("latin-1")
        assert answer.startswith("HTTP/1.1 413"), answer
        number = f"+5197{os.getpid() % 1000:03d}0003"
        phone = PhoneSimulator(base_url=server.url, auth_token=TOKEN, from_number=number)
        transcript = phone.call(["1", "1", "h"])  # registers while the socket stays open
        assert transcript.ok, transcript.errors
