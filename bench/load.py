"""N simulated callers making whole calls at once against `yachay serve` under gunicorn.

Each caller dials a new number, picks Spanish and grade 1, hears its first lesson (skipping
each part), answers every question and hangs up (a signed `completed` status callback),
each request as soon as the last answer came: a closed loop of N callers, the most load N
callers can make. Reports requests per second, latency percentiles, errors (anything but
the expected status, or an apology), and whether every answer sent is stored exactly once.
The same load, in the same run, goes to a bare Flask app returning fixed TwiML under the
same gunicorn settings (bench/bare_twiml.py): our throughput as a ratio of it.

    .venv/bin/python bench/load.py [--callers 500] [--workers 4] [--database sqlite]
                                   [--database postgresql] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import requests
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import TOKEN, free_port, start_server, stop_server  # noqa: E402
from tests.postgres import start_postgres  # noqa: E402
from yachay.calls.sql_catalog import SqlCatalog  # noqa: E402
from yachay.db import models as m  # noqa: E402
from yachay.db.database import Database  # noqa: E402

ACTION = re.compile(r'<Gather action="([^"]+)"')


@dataclass
class Tally:
    latencies_ms: list[float] = field(default_factory=list)
    #: Answers per call whose request was answered (the caller heard the feedback).
    acknowledged: dict[str, int] = field(default_factory=dict)
    #: Answers per call that were sent, answered or not.
    sent: dict[str, int] = field(default_factory=dict)
    errors: int = 0
    #: Turns the server could not store in time and asked again (the caller presses again).
    replays: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)

    def error(self, kind: str) -> None:
        self.errors += 1
        self.error_kinds[kind] = self.error_kinds.get(kind, 0) + 1


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def lesson_keys(database: Database) -> tuple[list[str], int]:
    """The keys of a new grade-1 student's first lesson (menu, parts, right answers) and how
    many answers they send."""
    with database.session() as session:
        student = m.Student(phone="+00000000000", grade=1, language="es")
        session.add(student)
        session.flush()
        position = SqlCatalog(session).current_lesson(student.id)
        lesson = SqlCatalog(session).lesson(position.lesson_id)
        answers = [str(SqlCatalog(session).question(q).answer) for q in lesson.question_ids]
        session.rollback()
    skips = ["2"] * (len(lesson.segments) + (lesson.kind == "listening"))
    return ["1", "1", "1", *skips, *answers], len(answers)


async def one_call(
    http: aiohttp.ClientSession,
    base: str,
    number: str,
    keys: list[str],
    answers: int,
    think: float,
    tally: Tally,
    token: str,
) -> None:
    sid = f"CA{number[1:]:0>32}"
    common = {"CallSid": sid, "AccountSid": "AC" + "0" * 32, "From": number, "To": "+5116400000"}
    validator = RequestValidator(token)

    async def post(path: str, form: dict[str, str], expect: int = 200) -> str | None:
        url = base + path
        headers = {"X-Twilio-Signature": validator.compute_signature(url, form)}
        started = time.perf_counter()
        try:
            async with http.post(url, data=form, headers=headers) as response:
                body = await response.text()
                tally.latencies_ms.append((time.perf_counter() - started) * 1000)
                if response.status != expect:
                    tally.error(f"HTTP {response.status}")
                    return None
                if "Lo sentimos" in body:
                    tally.error("apology")
                    return None
                return body
        except (aiohttp.ClientError, TimeoutError) as exc:
            tally.latencies_ms.append((time.perf_counter() - started) * 1000)
            tally.error(type(exc).__name__)
            return None

    # Callers dial over the first seconds, not all in the same millisecond.
    await asyncio.sleep(random.uniform(0, think))
    body = await post("/voice", {**common, "CallStatus": "ringing", "Direction": "inbound"})
    for n, key in enumerate(keys):
        is_answer = n >= len(keys) - answers
        for _attempt in range(5):
            found = ACTION.search(body or "")
            if found is None:
                return  # the call cannot go on; counted as an error above
            path = found.group(1).replace("&amp;", "&")
            if think:
                await asyncio.sleep(random.uniform(0.5 * think, 1.5 * think))  # listening
            if is_answer:
                tally.sent[sid] = tally.sent.get(sid, 0) + 1
            body = await post(path, {**common, "CallStatus": "in-progress", "Digits": key})
            replayed = (
                body is not None
                and ACTION.search(body)
                and (ACTION.search(body).group(1).replace("&amp;", "&") == path)
            )
            if not replayed:
                break
            tally.replays += 1  # the same question again: the caller presses again
        if is_answer and body is not None:
            tally.acknowledged[sid] = tally.acknowledged.get(sid, 0) + 1
    await post(
        "/voice/status",
        {**common, "CallStatus": "completed", "CallDuration": "120", "SequenceNumber": "3"},
        expect=204,
    )


async def load(
    base: str,
    callers: int,
    keys: list[str],
    answers: int,
    think: float,
    tally: Tally,
    token: str = TOKEN,
) -> float:
    timeout = aiohttp.ClientTimeout(total=60)
    # A new connection per webhook, as Twilio makes them; no keep-alive race either.
    connector = aiohttp.TCPConnector(limit=callers, force_close=True)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as http:
        started = time.perf_counter()
        await asyncio.gather(
            *(
                one_call(http, base, f"+519{n:08d}", keys, answers, think, tally, token)
                for n in range(callers)
            )
        )
        return time.perf_counter() - started


def stored_answers(database: Database, tally: Tally) -> tuple[int, int]:
    """(answers the caller heard acknowledged but not stored, answers stored more often
    than sent): both must be 0. An answer whose request failed may or may not be stored,
    as with Twilio (which then calls the fallback URL)."""
    with database.session() as session:
        per_call = dict(
            session.execute(
                select(m.Answer.call_sid, func.count()).group_by(m.Answer.call_sid)
            ).all()
        )
    lost = sum(max(0, acked - per_call.get(sid, 0)) for sid, acked in tally.acknowledged.items())
    doubled = sum(max(0, stored - tally.sent.get(sid, 0)) for sid, stored in per_call.items())
    return lost, doubled


def start_baseline(workers: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            str(ROOT / "deploy" / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "bare_twiml:app",
        ],
        cwd=ROOT / "bench",
        env={**os.environ, "YACHAY_ACCESS_LOG": ""},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/healthz", timeout=1).ok:
                return process, base
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the baseline server did not start")


def measure(database_kind: str, callers: int, workers: int, think: float) -> dict:
    """Our server started here on a new database, then the bare app."""
    with tempfile.TemporaryDirectory() as tmp:
        postgres = start_postgres(free_port()) if database_kind == "postgresql" else None
        server = start_server(
            Path(tmp),
            postgres.url if postgres else None,
            # The access log of every request would cost the workers more than the bench.
            extra_env={"YACHAY_ACCESS_LOG": ""},
            workers=workers,
        )
        try:
            return measure_running(
                server.url, TOKEN, server.database_url, callers, workers, think
            ) | {"database": database_kind}
        finally:
            stop_server(server)
            if postgres is not None:
                postgres.stop()


def measure_running(
    url: str, token: str, database_url: str, callers: int, workers: int, think: float
) -> dict:
    """A server already running at `url` (its database at `database_url`, read for the
    lesson's keys and the answers stored), then the bare app started here."""
    database = Database(database_url)
    try:
        keys, expected = lesson_keys(database)
        ours = Tally()
        seconds = asyncio.run(load(url, callers, keys, expected, think, ours, token))
        lost, doubled = stored_answers(database, ours)
    finally:
        database.dispose()
    process, base = start_baseline(workers)
    try:
        bare = Tally()
        bare_seconds = asyncio.run(load(base, callers, keys, expected, think, bare))
    finally:
        process.terminate()
        process.wait(timeout=30)
    rps = len(ours.latencies_ms) / seconds
    baseline_rps = len(bare.latencies_ms) / bare_seconds
    return {
        "database": make_url(database_url).get_backend_name(),
        "callers": callers,
        "workers": workers,
        "think_s": think,
        "requests": len(ours.latencies_ms),
        "seconds": round(seconds, 2),
        "rps": round(rps, 1),
        "p50_ms": round(percentile(ours.latencies_ms, 0.50), 1),
        "p95_ms": round(percentile(ours.latencies_ms, 0.95), 1),
        "p99_ms": round(percentile(ours.latencies_ms, 0.99), 1),
        "errors": ours.errors,
        "replays": ours.replays,
        "error_kinds": ours.error_kinds,
        "answers_sent": sum(ours.sent.values()),
        "lost_answers": lost,
        "doubled_answers": doubled,
        "baseline_rps": round(baseline_rps, 1),
        "baseline_p50_ms": round(percentile(bare.latencies_ms, 0.50), 1),
        "baseline_errors": bare.errors,
        "ratio": round(rps / baseline_rps, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--callers", type=int, default=500)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument(
        "--database",
        action="append",
        choices=["sqlite", "postgresql"],
        help="repeat for both (default: both)",
    )
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="seconds a caller listens before each key (0: at once, the most load)",
    )
    parser.add_argument(
        "--url",
        help="a server already running (`yachay serve`), instead of starting one; "
        "needs --database-url and --token",
    )
    parser.add_argument("--database-url", help="the running server's database")
    parser.add_argument("--token", help="the running server's TWILIO_AUTH_TOKEN")
    parser.add_argument("--json", action="store_true", help="one JSON object (a list for both)")
    args = parser.parse_args()
    if args.url and not (args.database_url and args.token):
        parser.error("--url needs --database-url and --token")
    if args.url:
        results = [
            measure_running(
                args.url.rstrip("/"),
                args.token,
                args.database_url,
                args.callers,
                args.workers,
                args.think,
            )
        ]
    else:
        results = [
            measure(kind, args.callers, args.workers, args.think)
            for kind in args.database or ["sqlite", "postgresql"]
        ]
    if args.json:
        print(json.dumps(results[0] if len(results) == 1 else results))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=f"{args.callers} callers at once, think {args.think} s, "
        f"gunicorn {args.workers} workers"
    )
    columns = [
        "database",
        "replays",
        "requests",
        "rps",
        "p50_ms",
        "p95_ms",
        "p99_ms",
        "errors",
        "lost_answers",
        "doubled_answers",
        "baseline_rps",
        "ratio",
    ]
    for column in columns:
        table.add_column(column, justify="left" if column == "database" else "right")
    for result in results:
        table.add_row(*(str(result[c]) for c in columns))
    Console(width=200).print(table)


if __name__ == "__main__":
    main()
