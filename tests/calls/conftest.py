"""A real PostgreSQL with a small pack imported, for turns that run concurrently."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.postgres import Postgres, start_postgres
from tests.test_calls import write_pack
from yachay.content.loader import load_pack
from yachay.db import migrate
from yachay.db.content_import import import_pack
from yachay.db.database import Database


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Postgres]:
    server = start_postgres(free_port())
    migrate.upgrade(server.url)
    database = Database(server.url)
    with database.session() as session:
        import_pack(session, load_pack(write_pack(tmp_path_factory.mktemp("packs"))))
    database.dispose()
    yield server
    server.stop()


@pytest.fixture
def pg(postgres: Postgres) -> Iterator[Database]:
    database = Database(postgres.url)
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sqlite-template")
    url = f"sqlite:///{folder / 'template.db'}"
    migrate.upgrade(url)
    database = Database(url)
    with database.session() as session:
        import_pack(session, load_pack(write_pack(folder / "packs")))
    database.dispose()
    return folder / "template.db"


@pytest.fixture
def postgres_to_stop(tmp_path: Path) -> Iterator[tuple[Database, Postgres]]:
    """A PostgreSQL of its own, which the test may stop."""
    server = start_postgres(free_port())
    migrate.upgrade(server.url)
    database = Database(server.url)
    with database.session() as session:
        import_pack(session, load_pack(write_pack(tmp_path / "packs")))
    yield database, server
    database.dispose()
    server.stop()
