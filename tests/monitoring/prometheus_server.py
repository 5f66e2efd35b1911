"""A real Prometheus on loopback, scraping one target every second."""

from __future__ import annotations

import math
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.conftest import free_port, stop_process, wait_until_ready

PROMETHEUS = shutil.which("prometheus")


@dataclass
class PrometheusServer:
    url: str
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def query(self, expr: str) -> list[dict]:
        """The result of an instant query; raises on a query Prometheus refuses."""
        response = requests.get(f"{self.url}/api/v1/query", params={"query": expr}, timeout=10)
        body = response.json()
        if body.get("status") != "success":
            raise AssertionError(f"{expr}: {body.get('errorType')}: {body.get('error')}")
        return body["data"]["result"]

    def numbers(self, expr: str) -> list[float]:
        """The values of an instant query, NaNs (a ratio or quantile of nothing) left out."""
        values = [float(r["value"][1]) for r in self.query(expr)]
        return [v for v in values if not math.isnan(v)]

    def wait_for(self, expr: str, wanted: float, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if wanted in self.numbers(expr):
                return
            time.sleep(0.2)
        raise AssertionError(f"{expr} did not reach {wanted} in {timeout} s: {self.numbers(expr)}")

    def wait_for_data(self, expr: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.numbers(expr):
                return
            time.sleep(0.2)
        raise AssertionError(f"{expr} returned nothing in {timeout} s")

    def stop(self) -> None:
        stop_process(self.process, timeout=20)


def start_prometheus(work_dir: Path, target: str) -> PrometheusServer:
    """Scrape `target` (host:port) as job "yachay" every second."""
    assert PROMETHEUS is not None
    work_dir.mkdir(parents=True, exist_ok=True)
    config = work_dir / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        "scrape_configs:\n  - job_name: yachay\n"
        f"    static_configs:\n      - targets: ['{target}']\n"
    )
    port = free_port()
    log_path = work_dir / "prometheus.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                PROMETHEUS,
                f"--config.file={config}",
                f"--storage.tsdb.path={work_dir / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = PrometheusServer(f"http://127.0.0.1:{port}", process, log_path)
    wait_until_ready(process, f"{server.url}/-/ready", server.log, "prometheus", 60, 2)
    return server
