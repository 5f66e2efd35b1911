"""A throwaway PostgreSQL cluster on loopback, for tests that need the real thing."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class Postgres:
    url: str
    data: Path
    bindir: Path
    as_user: list[str]

    def stop(self) -> None:
        subprocess.run(
            [
                *self.as_user,
                str(self.bindir / "pg_ctl"),
                "-D",
                str(self.data),
                "-m",
                "immediate",
                "stop",
            ],
            check=False,
            capture_output=True,
        )
        shutil.rmtree(self.data.parent, ignore_errors=True)


def _bindir() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if found:
        return found[-1].parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).parent if pg_ctl else None


def start_postgres(port: int) -> Postgres:
    """initdb + pg_ctl start in a new folder; skips (fails under CI) without PostgreSQL."""
    bindir = _bindir()
    if bindir is None:
        message = "PostgreSQL is not installed (apt-get install postgresql)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    # Not under pytest's tmp_path: that is private to root, and the server runs as postgres.
    base = Path(tempfile.mkdtemp(prefix="yachay-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        pwd.getpwnam("postgres")
        shutil.chown(base, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data, sockets = base / "data", base / "sockets"
    subprocess.run([*as_user, "mkdir", "-p", str(sockets)], check=True)

    def run(*args: str) -> None:
        subprocess.run([*as_user, *args], check=True, capture_output=True, text=True)

    run(
        str(bindir / "initdb"),
        "-D",
        str(data),
        "-U",
        "yachay",
        "--auth=trust",
        "-E",
        "UTF8",
        "--no-sync",
    )
    run(
        str(bindir / "pg_ctl"),
        "-D",
        str(data),
        "-w",
        "-l",
        str(base / "postgres.log"),
        "-o",
        f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off",
        "start",
    )
    run(str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "yachay", "yachay")
    return Postgres(f"postgresql+psycopg://yachay@127.0.0.1:{port}/yachay", data, bindir, as_user)
