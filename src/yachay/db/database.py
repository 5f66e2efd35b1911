"""The SQLAlchemy engine and sessions, bound to the app like any Flask extension."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

#: Execution option of the engine behind Database.read_session.
READ_ONLY = "yachay_read_only"
#: Execution option of the engine behind Database.session(bounded=True): a call's turn.
BOUNDED = "yachay_bounded"

# Twilio gives up on a webhook after 15 s and the caller hears its English error. Every wait
# a turn can meet is bounded well under that, so the turn can still retry once and answer
# in the caller's language: opening a connection, waiting for a pooled one, for a row lock
# (PostgreSQL) or the write lock (SQLite), and any one statement.
CONNECT_TIMEOUT_S = 3
POOL_TIMEOUT_S = 3
SQLITE_BUSY_TIMEOUT_S = 4
LOCK_TIMEOUT_MS = 1500
STATEMENT_TIMEOUT_MS = 3000


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            # SQLAlchemy, not the driver, starts transactions (see _begin_immediate).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            # WAL lets the server read while another process (a test, the CLI) writes.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin_immediate(connection):  # type: ignore[no-untyped-def]
            # Take the write lock up front: two requests of one call then queue instead of
            # the second failing when it upgrades a stale read to a write. Read-only work
            # (Database.read_session) must not queue behind, or inside, a writer.
            if connection.get_execution_options().get(READ_ONLY):
                connection.exec_driver_sql("BEGIN")
            else:
                connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    engine = create_engine(
        url,
        pool_pre_ping=True,
        pool_timeout=POOL_TIMEOUT_S,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_S}
        if parsed.get_backend_name() == "postgresql"
        else {},
    )
    if parsed.get_backend_name() == "postgresql":

        @event.listens_for(engine, "begin")
        def _bounded_waits(connection):  # type: ignore[no-untyped-def]
            # Only a call's turns: migrations, imports and training may take their time.
            if connection.get_execution_options().get(BOUNDED):
                connection.exec_driver_sql(
                    "SELECT set_config('statement_timeout', %s, true),"
                    " set_config('lock_timeout', %s, true)",
                    (str(STATEMENT_TIMEOUT_MS), str(LOCK_TIMEOUT_MS)),
                )

    return engine


class Database:
    def __init__(self, url: str | None = None) -> None:
        self.engine: Engine | None = None
        self._sessions: sessionmaker[Session] | None = None
        self._read_sessions: sessionmaker[Session] | None = None
        self._bounded_sessions: sessionmaker[Session] | None = None
        self._bounded_read_sessions: sessionmaker[Session] | None = None
        if url:
            self.connect(url)

    def connect(self, url: str) -> None:
        if self.engine is not None:
            self.engine.dispose()
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(
            self.engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False
        )
        self._bounded_sessions = sessionmaker(
            self.engine.execution_options(**{BOUNDED: True}), expire_on_commit=False
        )
        self._bounded_read_sessions = sessionmaker(
            self.engine.execution_options(**{READ_ONLY: True, BOUNDED: True}),
            expire_on_commit=False,
        )

    def init_app(self, app: Flask) -> None:
        self.connect(app.config["YACHAY"].database_url)
        app.extensions["yachay.db"] = self

    @contextmanager
    def session(self, bounded: bool = False) -> Iterator[Session]:
        """A unit of work: committed when the block ends, rolled back on an exception.

        `bounded`: a caller is waiting on the line; on PostgreSQL a lock wait or a statement
        that runs too long fails (OperationalError) instead of outlasting Twilio's patience."""
        makers = self._bounded_sessions if bounded else self._sessions
        if makers is None:
            raise RuntimeError("the database is not connected")
        with makers() as session, session.begin():
            yield session

    @contextmanager
    def read_session(self, bounded: bool = False) -> Iterator[Session]:
        """A read-only unit of work: never waits for, nor blocks, a writer on SQLite.

        `bounded`: as for `session`. A plain read waits for no row lock, but it does wait
        for a lock on the whole table (a migration's ALTER TABLE, a VACUUM FULL)."""
        makers = self._bounded_read_sessions if bounded else self._read_sessions
        if makers is None:
            raise RuntimeError("the database is not connected")
        with makers() as session:
            try:
                yield session
            finally:
                session.rollback()

    def dispose(self) -> None:
        if self.engine is not None:
            self.engine.dispose()
