"""A throwaway copy of this checkout, to run `yachay` with its default settings.

With no YACHAY_VAR_DIR the server keeps its files in the checkout's `var/`; running the
copy exercises exactly that resolution without touching the real checkout's `var/`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.conftest import ROOT, LiveServer, free_port

#: Settings a developer's shell may hold that would hide the defaults under test.
_SETTINGS_PREFIXES = ("YACHAY_", "TWILIO_", "FLASK_", "XDG_")


def copy_checkout(dest: Path) -> Path:
    """`src/`, `pyproject.toml` and (linked) `content/` of this checkout, under `dest`."""
    shutil.copytree(
        ROOT / "src", dest / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
    )
    shutil.copy(ROOT / "pyproject.toml", dest / "pyproject.toml")
    (dest / "content").symlink_to(ROOT / "content", target_is_directory=True)
    return dest


def default_env(checkout: Path, home: Path, **extra: str) -> dict[str, str]:
    """This process's environment without any Yachay setting, running `checkout`'s code
    with `home` as HOME."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SETTINGS_PREFIXES)}
    env.update(
        PYTHONPATH=str(checkout / "src"),
        PYTHONDONTWRITEBYTECODE="1",
        HOME=str(home),
        **extra,
    )
    return env


def yachay(*args: str, cwd: Path, env: dict[str, str], timeout: float = 120):  # noqa: ANN201
    """Run `yachay ARGS` (as `python -m yachay`) and return the finished process."""
    return subprocess.run(
        [sys.executable, "-m", "yachay", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def serve(cwd: Path, env: dict[str, str], log_path: Path) -> LiveServer:
    """`yachay serve` on a free port, as `make run` starts it; waits until it answers."""
    port = free_port()
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "yachay", "serve", "--port", str(port), "--workers", "2"],
            cwd=cwd,
            env={**env, "YACHAY_AUDIO_TEXT_HEADER": "1"},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = LiveServer(f"http://127.0.0.1:{port}", "", cwd, process, log_path)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited:\n{server.log()}")
        try:
            if requests.get(f"{server.url}/healthz", timeout=1).ok:
                return server
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"the server did not start in 90 s:\n{server.log()}")
