"""Yachay under gunicorn with several workers, as deployed (deploy/gunicorn.conf.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import ROOT, TOKEN, free_port, stop_process, wait_until_ready
from yachay.config import DEFAULT_CONTENT_DIR
from yachay.db import migrate
from yachay.db.database import Database
from yachay.db.starter import load_starter_content


@dataclass
class GunicornServer:
    url: str
    metrics_dir: Path
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def worker_pids(self) -> set[int]:
        """Workers that wrote a metric (each has its own files in the metrics folder)."""
        return {int(p.stem.rsplit("_", 1)[1]) for p in self.metrics_dir.glob("counter_*.db")}

    def stop(self) -> None:
        stop_process(self.process, timeout=20)


def start_gunicorn(
    var_dir: Path,
    workers: int = 3,
    extra_env: dict[str, str] | None = None,
    public_url: bool = False,
) -> GunicornServer:
    """`public_url`: YACHAY_PUBLIC_URL is the server's own address (outbound calls need one)."""
    database_url = f"sqlite:///{var_dir / 'yachay.db'}"
    migrate.upgrade(database_url)
    db = Database(database_url)
    load_starter_content(db, DEFAULT_CONTENT_DIR / "packs")
    db.dispose()
    port = free_port()
    metrics_dir = var_dir / "metrics"
    env = {
        **os.environ,
        "YACHAY_BIND": f"127.0.0.1:{port}",
        "YACHAY_WORKERS": str(workers),
        "YACHAY_VAR_DIR": str(var_dir),
        "YACHAY_DATABASE_URL": database_url,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        **(extra_env or {}),
    }
    if public_url:
        env["YACHAY_PUBLIC_URL"] = f"http://127.0.0.1:{port}"
    log_path = var_dir / "gunicorn.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                str(ROOT / "deploy" / "gunicorn.conf.py"),
                "yachay.app:create_app()",
            ],
            cwd=var_dir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = GunicornServer(f"http://127.0.0.1:{port}", metrics_dir, process, log_path)
    # The socket accepts before the workers have imported the app.
    wait_until_ready(process, f"{server.url}/healthz", server.log, "gunicorn", 120, 30)
    return server
