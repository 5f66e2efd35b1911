"""`yachay db backup` while calls are being answered, then `yachay db restore` into an empty
database: the copy is one consistent moment (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from tests.conftest import TOKEN, LiveServer, free_port, start_server, stop_server
from tests.postgres import Postgres, start_postgres
from yachay.db import models as m
from yachay.db.database import Database
from yachay.phone.simulator import PhoneSimulator

KEYS = ["1", "1", "1", "2", "2", "2", "2", "1", "2", "3", "1", "2", "h"]


@pytest.fixture(params=["sqlite", "postgresql"])
def served(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[LiveServer, Postgres | None]]:
    postgres = start_postgres(free_port()) if request.param == "postgresql" else None
    (tmp_path / "var").mkdir()
    server = start_server(tmp_path / "var", postgres.url if postgres else None)
    yield server, postgres
    stop_server(server)
    if postgres is not None:
        postgres.stop()


def yachay_db(*args: str, url: str, var_dir: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "YACHAY_DATABASE_URL": url, "YACHAY_VAR_DIR": str(var_dir)}
    return subprocess.run(
        [sys.executable, "-m", "yachay", "db", *args], env=env, capture_output=True, text=True
    )


def counts(database: Database) -> dict[str, int]:
    with database.session() as session:
        return {
            "answers": session.scalar(select(func.count()).select_from(m.Answer)),
            "students": session.scalar(select(func.count()).select_from(m.Student)),
        }


def check_consistent(database: Database) -> None:
    """What one moment of a working server looks like, and a half-written turn does not."""
    with database.session() as session:
        assert session.scalar(text("SELECT version_num FROM alembic_version")) is not None
        tallies = session.execute(
            select(m.LessonProgress.answered, func.count(m.Answer.id))
            .select_from(m.LessonProgress)
            .outerjoin(
                m.Answer,
                (m.Answer.student_id == m.LessonProgress.student_id)
                & (m.Answer.lesson_id == m.LessonProgress.lesson_id),
            )
            .group_by(m.LessonProgress.id, m.LessonProgress.answered)
        ).all()
        assert all(answered == stored for answered, stored in tallies)
        # Every answer belongs to a stored turn of its call.
        ahead = session.scalar(
            select(func.count())
            .select_from(m.Answer)
            .join(m.Call, m.Call.sid == m.Answer.call_sid)
            .where(m.Answer.step >= m.Call.step)
        )
        assert ahead == 0


@pytest.mark.slow
def test_a_backup_taken_under_load_restores_whole(served, tmp_path: Path) -> None:
    server, postgres = served
    live = Database(server.database_url)
    stop = threading.Event()
    made: list[int] = []

    def caller(n: int) -> None:
        calls = 0
        while not stop.is_set():
            number = f"+5198{n}{calls:06d}"
            PhoneSimulator(base_url=server.url, auth_token=TOKEN, from_number=number).call(
                KEYS, strict=False
            )
            calls += 1
        made.append(calls)

    threads = [threading.Thread(target=caller, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    try:
        while counts(live)["answers"] < 10:  # the load is on
            stop.wait(0.2)
        before = counts(live)
        dump = tmp_path / "backup.dump"
        taken = yachay_db("backup", str(dump), url=server.database_url, var_dir=tmp_path / "var")
        assert taken.returncode == 0, taken.stderr
        during = counts(live)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert sum(made) > 0 and during["answers"] > before["answers"]  # it was under load

    if postgres is None:
        fresh = f"sqlite:///{tmp_path / 'restored.db'}"
    else:
        with live.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text("CREATE DATABASE restored"))
        fresh = postgres.url.rsplit("/", 1)[0] + "/restored"
    restored = yachay_db("restore", "--yes", str(dump), url=fresh, var_dir=tmp_path / "var")
    assert restored.returncode == 0, restored.stderr
    copy = Database(fresh)
    try:
        got = counts(copy)
        assert before["answers"] <= got["answers"] <= during["answers"]
        check_consistent(copy)
        # A restored database is at the head revision: upgrading it does nothing.
        upgraded = yachay_db("upgrade", url=fresh, var_dir=tmp_path / "var")
        assert upgraded.returncode == 0, upgraded.stderr
    finally:
        copy.dispose()
        live.dispose()


def test_restore_refuses_a_backup_of_the_other_kind(tmp_path: Path) -> None:
    bogus = tmp_path / "not-a-backup.db"
    bogus.write_bytes(b"PGDMP-not-sqlite")
    result = yachay_db(
        "restore", "--yes", str(bogus), url=f"sqlite:///{tmp_path / 'x.db'}", var_dir=tmp_path
    )
    assert result.returncode != 0
    assert "is not a SQLite backup" in result.stderr
