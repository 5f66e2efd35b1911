"""Shared fixtures: a real server on a free port, its database, and phones to call it."""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.postgres import start_postgres
from yachay.db.database import Database

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "test-auth-token-0123456789abcdef"
SHARED_KEY_ID = "webhooks_sharedkey_test"
SHARED_SECRET = "shared-secret-for-sha256"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    database_url: str
    var_dir: Path
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def start_server(
    var_dir: Path,
    database_url: str | None = None,
    extra_env: dict[str, str] | None = None,
    workers: int | None = None,
    port: int | None = None,
) -> LiveServer:
    """`yachay serve`: gunicorn with `workers` processes, else the development server."""
    port = port or free_port()
    database_url = database_url or f"sqlite:///{var_dir / 'yachay.db'}"
    env = {
        **os.environ,
        "YACHAY_VAR_DIR": str(var_dir),
        "YACHAY_DATABASE_URL": database_url,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "TWILIO_SHARED_KEYS": f"{SHARED_KEY_ID}:{SHARED_SECRET}",
        # The simulator's transcripts show what rendered audio says.
        "YACHAY_AUDIO_TEXT_HEADER": "1",
        **(extra_env or {}),
    }
    log_path = var_dir / "server.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "yachay",
                "serve",
                "--port",
                str(port),
                *(["--workers", str(workers)] if workers else ["--dev"]),
            ],
            cwd=var_dir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = LiveServer(f"http://127.0.0.1:{port}", database_url, var_dir, process, log_path)
    # gunicorn listens before its workers are ready (each imports torch first).
    wait_until_ready(process, f"{server.url}/healthz", server.log, "the server", 60, 1)
    return server


def stop_process(process: subprocess.Popen, timeout: float = 10) -> None:
    """Terminate `process`, and kill it if it has not exited in `timeout` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_until_ready(
    process: subprocess.Popen,
    url: str,
    log: Callable[[], str],
    what: str,
    seconds: float,
    request_timeout: float,
) -> None:
    """Poll `url` until it answers OK; raise with the log if `process` exits first, or (after
    stopping it) if `seconds` pass."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited:\n{log()}")
        try:
            if requests.get(url, timeout=request_timeout).ok:
                return
        except requests.RequestException:
            time.sleep(0.1)
    stop_process(process)
    raise RuntimeError(f"{what} did not start in {seconds:g} s:\n{log()}")


def stop_server(server: LiveServer) -> None:
    stop_process(server.process)


@pytest.fixture(
    scope="session",
    params=["sqlite", "postgresql"],
)
def live_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """The real server, on SQLite and on a real PostgreSQL (skipped where none is installed,
    except under CI)."""
    postgres = None
    database_url = None
    if request.param == "postgresql":
        postgres = start_postgres(free_port())
        database_url = postgres.url
    server = start_server(tmp_path_factory.mktemp("server"), database_url)
    yield server
    stop_server(server)
    if postgres is not None:
        postgres.stop()


@pytest.fixture(scope="session")
def server_db(live_server: LiveServer) -> Iterator[Database]:
    database = Database(live_server.database_url)
    yield database
    database.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database, SQLite and (slow) a real PostgreSQL, for the migration tests."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'm.db'}"
        return
    postgres = start_postgres(free_port())
    yield postgres.url
    postgres.stop()


_numbers = itertools.count(1)


@pytest.fixture
def phone_number() -> str:
    """A number no other test uses, so tests share one server without meeting."""
    return f"+519{os.getpid() % 1000:03d}{next(_numbers):05d}"


@pytest.fixture
def phone(live_server: LiveServer, phone_number: str):  # noqa: ANN201
    from yachay.phone.simulator import PhoneSimulator

    def make(**overrides: object) -> PhoneSimulator:
        options = {
            "base_url": live_server.url,
            "auth_token": TOKEN,
            "from_number": phone_number,
            **overrides,
        }
        return PhoneSimulator(**options)

    return make
