"""Outreach fixtures: a migrated database, Twilio's REST API stand-in, a real Redis."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from tests.conftest import TOKEN, LiveServer, free_port, start_server
from tests.outreach.redis_server import RedisServer
from tests.outreach.twilio_api import FakeTwilioApi
from tests.postgres import Postgres, start_postgres
from yachay.config import Settings
from yachay.db import migrate
from yachay.db import models as m
from yachay.db.database import Database

ACCOUNT = "AC" + "1" * 32
FROM = "+5116401111"
PUBLIC = "https://yachay.example.org"


@pytest.fixture(scope="module")
def api() -> Iterator[FakeTwilioApi]:
    """Twilio's REST API stand-in, one per module (its server's calls go there)."""
    fake = FakeTwilioApi()
    yield fake
    fake.close()


def start_outreach_server(
    folder: Path, api: FakeTwilioApi, public_url: str | None = None, **env: str
) -> LiveServer:
    """`yachay serve` placing its calls through ``api``, at any hour. ``public_url``: what
    Twilio is told to call (None: the server's own address, so the simulator can)."""
    port = free_port()
    return start_server(
        folder,
        port=port,
        extra_env={
            "TWILIO_ACCOUNT_SID": ACCOUNT,
            "TWILIO_FROM_NUMBER": FROM,
            "TWILIO_API_URL": api.url,
            "YACHAY_PUBLIC_URL": public_url or f"http://127.0.0.1:{port}",
            "YACHAY_QUIET_HOURS": "00:00-00:00",  # the test may run at any hour
            **env,
        },
    )


@pytest.fixture(scope="module")
def db(server: LiveServer) -> Iterator[Database]:
    """The module's server's database."""
    database = Database(server.database_url)
    yield database
    database.dispose()


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    url = f"sqlite:///{tmp_path / 'yachay.db'}"
    migrate.upgrade(url)
    db = Database(url)
    yield db
    db.dispose()


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Postgres]:
    cluster = start_postgres(free_port())
    yield cluster
    cluster.stop()


_databases = itertools.count(1)


@pytest.fixture(params=["sqlite", "postgresql"])
def any_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A fresh, migrated database on SQLite and on a real PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'yachay.db'}"
    else:
        cluster: Postgres = request.getfixturevalue("postgres_cluster")
        name = f"outreach_{os.getpid()}_{next(_databases)}"
        admin = create_engine(cluster.url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {name}")
        admin.dispose()
        url = cluster.url.rsplit("/", 1)[0] + "/" + name
    migrate.upgrade(url)
    db = Database(url)
    yield db
    db.dispose()


@pytest.fixture
def twilio_api() -> Iterator[FakeTwilioApi]:
    api = FakeTwilioApi()
    yield api
    api.close()


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(free_port(), tmp_path)
    yield server
    server.stop()


def outreach_settings(tmp_path: Path, database: Database, api: FakeTwilioApi, **extra) -> Settings:  # noqa: ANN003
    assert database.engine is not None
    return Settings(
        database_url=str(database.engine.url),
        var_dir=tmp_path,
        twilio_auth_token=TOKEN,
        twilio_account_sid=ACCOUNT,
        twilio_from_number=FROM,
        twilio_api_url=api.url,
        public_url=PUBLIC,
        **extra,
    )


def add_student(db: Database, phone: str, name: str | None = None, grade: int = 3) -> int:
    with db.session() as session:
        student = m.Student(phone=phone, name=name, language="es", grade=grade)
        session.add(student)
        session.flush()
        return student.id


def lima(day: str, hhmm: str) -> datetime:
    """Naive UTC of a Lima wall-clock time (UTC-5, no daylight saving)."""
    return datetime.fromisoformat(f"{day}T{hhmm}") + timedelta(hours=5)
