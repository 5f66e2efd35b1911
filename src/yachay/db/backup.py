"""Backups of the database while it serves: SQLite through its online backup API (a
consistent copy, taken between writers), PostgreSQL with pg_dump's custom format (one
snapshot transaction); restored with the same tools."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"


class BackupError(RuntimeError):
    pass


def _backend(url: str) -> str:
    return make_url(url).get_backend_name()


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing to back up")
    return Path(database)


def _libpq_url(url: str) -> str:
    """The URL without SQLAlchemy's driver part (postgresql+psycopg://), as libpq reads it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _tool(name: str) -> str:
    """pg_dump/pg_restore: on PATH, else Debian's newest under /usr/lib/postgresql."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if candidates:
        return str(candidates[-1])
    raise BackupError(f"{name} is not installed (apt-get install postgresql-client)")


def _run(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip()
        # The command holds the URL; its password must not reach a log.
        raise BackupError(f"{Path(command[0]).name} failed: {detail or 'no message'}")


def backup(url: str, destination: Path) -> None:
    """Write a consistent copy of the database at `url` to `destination` (a new file)."""
    if destination.exists():
        raise BackupError(f"{destination} exists; choose a new file")
    destination.parent.mkdir(parents=True, exist_ok=True)
    if _backend(url) == "sqlite":
        source = sqlite3.connect(_sqlite_path(url), timeout=30)
        target = sqlite3.connect(destination)
        try:
            # Copies page batches; a writer in between restarts the copy, so it is whole.
            source.backup(target)
        finally:
            target.close()
            source.close()
        return
    if _backend(url) == "postgresql":
        _run(
            [
                _tool("pg_dump"),
                "--format=custom",
                "--no-owner",
                f"--file={destination}",
                f"--dbname={_libpq_url(url)}",
            ]
        )
        return
    raise BackupError(f"no backup for {_backend(url)} databases")


def restore(url: str, source: Path) -> None:
    """Replace the contents of the database at `url` with the backup in `source`."""
    if not source.is_file():
        raise BackupError(f"{source} is not a file")
    head = source.read_bytes()[:16]
    if _backend(url) == "sqlite":
        if not head.startswith(SQLITE_MAGIC):
            raise BackupError(f"{source} is not a SQLite backup (made by `yachay db backup`)")
        path = _sqlite_path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        backup_db = sqlite3.connect(source)
        target = sqlite3.connect(path, timeout=30)
        try:
            backup_db.backup(target)
        finally:
            target.close()
            backup_db.close()
        return
    if _backend(url) == "postgresql":
        if not head.startswith(PG_DUMP_MAGIC):
            raise BackupError(f"{source} is not a PostgreSQL backup (made by `yachay db backup`)")
        _run(
            [
                _tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--exit-on-error",
                f"--dbname={_libpq_url(url)}",
                str(source),
            ]
        )
        return
    raise BackupError(f"no restore for {_backend(url)} databases")
