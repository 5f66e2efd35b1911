"""Outreach fixtures: a migrated database, Twilio's REST API stand-in, a real Redis."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from tests.conftest import TOKEN, free_port
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
