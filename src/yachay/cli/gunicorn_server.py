"""`yachay serve` under gunicorn: the settings of deploy/gunicorn.conf.py (in a checkout),
with the command line's bind address and worker count over them."""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from yachay.config import checkout_root


def config_file() -> Path | None:
    root = checkout_root()
    path = root / "deploy" / "gunicorn.conf.py" if root is not None else None
    return path if path is not None and path.is_file() else None


def _one_torch_thread(server: Any, worker: Any) -> None:
    # The same hook as deploy/gunicorn.conf.py, for an installed package without it.
    import torch

    torch.set_num_threads(1)


#: What an installed package (no deploy/ folder) runs with; deploy/gunicorn.conf.py says why.
DEFAULTS: dict[str, Any] = {
    "workers": 4,
    "threads": 2,
    "timeout": 10,
    "control_socket_disable": True,
    "post_fork": _one_torch_thread,
}


class GunicornServer(BaseApplication):
    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self.app = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        path = config_file()
        settings = runpy.run_path(str(path)) if path is not None else DEFAULTS
        for key, value in {**settings, **self.options}.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.app


def serve_with_gunicorn(app: Flask, host: str, port: int, workers: int | None) -> None:
    """Serve `app` in forked workers (each opens its own database connections)."""
    GunicornServer(app, {"bind": f"{host}:{port}", "workers": workers}).run()
