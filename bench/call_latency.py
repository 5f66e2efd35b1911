"""How fast the server answers each webhook of a call, against a trivial request.

Starts a real server (SQLite in a temporary folder), makes scripted calls through the phone
simulator, and prints per-kind latency percentiles with their ratio to GET /healthz
measured in the same run. Twilio gives up after 15 s; we aim for milliseconds.

    .venv/bin/python bench/call_latency.py [--calls 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.conftest import TOKEN, start_server, stop_server  # noqa: E402
from yachay.phone.simulator import PhoneSimulator  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(Path(tmp))
        try:
            baseline = []
            for _ in range(200):
                started = time.perf_counter()
                requests.get(f"{server.url}/healthz", timeout=5)
                baseline.append((time.perf_counter() - started) * 1000)
            kinds: dict[str, list[float]] = {}
            for n in range(args.calls):
                phone = PhoneSimulator(
                    base_url=server.url, auth_token=TOKEN, from_number=f"+5199{n:07d}"
                )
                # Register, a whole lesson of grade 1 with its questions, practice, progress.
                keys = [
                    "1",
                    "1",
                    "1",
                    "s",
                    "s",
                    "s",
                    "s",
                    "s",
                    "2",
                    "2",
                    "2",
                    "2",
                    "2",
                    "2",
                    "1",
                    "1",
                    "1",
                    "1",
                    "1",
                    "4",
                    "h",
                ]
                transcript = phone.call(keys, strict=False)
                for step in transcript.steps:
                    if step.latency_ms is not None:
                        kinds.setdefault(step.kind, []).append(step.latency_ms)
        finally:
            stop_server(server)
    base_p50 = statistics.median(baseline)
    table = Table(title=f"Webhook latency over {args.calls} calls (ms; ratio to /healthz p50)")
    for column in ("request", "n", "p50", "p95", "p99", "p50 ratio"):
        table.add_column(column, justify="right" if column != "request" else "left")
    rows = [("GET /healthz (baseline)", baseline), *sorted(kinds.items())]
    for name, values in rows:
        p50 = percentile(values, 0.5)
        table.add_row(
            name,
            str(len(values)),
            f"{p50:.1f}",
            f"{percentile(values, 0.95):.1f}",
            f"{percentile(values, 0.99):.1f}",
            f"{p50 / base_p50:.1f}x",
        )
    Console().print(table)


if __name__ == "__main__":
    main()
