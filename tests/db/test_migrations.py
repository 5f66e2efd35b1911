"""Migrations build exactly the models' schema, and undo cleanly, on SQLite and on a real
PostgreSQL (what production runs)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import inspect, text

from tests.conftest import free_port
from tests.postgres import start_postgres
from yachay.cli import cli
from yachay.db import migrate
from yachay.db.database import make_engine
from yachay.db.models import Base


@pytest.fixture(scope="module")
def postgres_server() -> Iterator[str]:
    server = start_postgres(free_port())
    yield server.url
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:  # noqa: ANN001
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'm.db'}"
        return
    base = request.getfixturevalue("postgres_server")
    yield base
    # Each test starts from an empty database.
    engine = make_engine(base)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    engine.dispose()


def test_the_migrations_match_the_models(url):
    migrate.upgrade(url)
    engine = make_engine(url)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert diff == [], "the models changed without a migration: yachay db revision -m '…'"


def test_downgrade_to_base_and_up_again(url):
    migrate.upgrade(url)
    migrate.downgrade(url, "base")
    engine = make_engine(url)
    assert inspect(engine).get_table_names() == ["alembic_version"]
    engine.dispose()
    migrate.upgrade(url)


def test_yachay_db_upgrade_command(tmp_path, monkeypatch):
    monkeypatch.setenv("YACHAY_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("YACHAY_DATABASE_URL", raising=False)
    result = CliRunner().invoke(cli, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    engine = make_engine(f"sqlite:///{tmp_path / 'yachay.db'}")
    assert {"students", "calls", "answers", "lessons"} <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_0010_gives_each_parent_their_first_childs_language(database_url):
    migrate.upgrade(database_url, "0009")
    engine = make_engine(database_url)
    with engine.begin() as c:
        for sid, language in ((1, "qu"), (2, "es")):
            c.execute(
                text(
                    "INSERT INTO students (id, phone, language, grade, created_at) "
                    "VALUES (:id, '+51987000001', :language, 3, '2026-12-01')"
                ),
                {"id": sid, "language": language},
            )
        for uid, role in ((1, "parent"), (2, "parent"), (3, "teacher")):
            c.execute(
                text(
                    "INSERT INTO users (id, role, name, active, created_at, failed_logins) "
                    "VALUES (:id, :role, 'X', true, '2026-12-01', 0)"
                ),
                {"id": uid, "role": role},
            )
        c.execute(text("INSERT INTO parent_children VALUES (1, 2), (1, 1)"))
    migrate.upgrade(database_url)
    with engine.connect() as c:
        rows = c.execute(text("SELECT id, language FROM users ORDER BY id")).all()
    engine.dispose()
    # The first child (lowest id) speaks Quechua; a parent without children and a teacher: es.
    assert [tuple(r) for r in rows] == [(1, "qu"), (2, "es"), (3, "es")]
    migrate.downgrade(database_url, "0009")
