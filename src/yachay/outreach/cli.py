"""`yachay outreach ...` and `yachay worker`: windows, callbacks, costs, the simulation, and
the task queue's worker."""

from __future__ import annotations

import json
import time

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from yachay.db import models as m
from yachay.outreach.best_time import expected_answer_rates
from yachay.outreach.costs import Rates, monthly_bill
from yachay.outreach.hours import Window, format_minute
from yachay.outreach.planner import observations
from yachay.outreach.service import Outreach


def _outreach() -> Outreach:
    return current_app.extensions["yachay.outreach"]


@click.group()
def outreach() -> None:
    """Outbound calls: call windows, callbacks, costs."""


@outreach.command("schedule")
@click.option("--student", "student_id", required=True, type=int, help="The student's id.")
@click.option("--window", default=None, help="Local time span for the daily call: 16:00-18:00.")
@click.option("--reviews-only", is_flag=True, help="Call only on days spaced reviews are due.")
@click.option("--clear", is_flag=True, help="No more calls for this student.")
@with_appcontext
def schedule(student_id: int, window: str | None, reviews_only: bool, clear: bool) -> None:
    """Set (or show) the window a household chose for a student's daily call."""
    out = _outreach()
    parsed = None
    if window is not None:
        try:
            parsed = Window.parse(window)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--window") from None
    with out.db.session() as session:
        student = session.get(m.Student, student_id)
        if student is None:
            raise click.ClickException(f"no student with id {student_id}")
        row = session.get(m.CallWindow, student_id)
        if clear:
            if row is not None:
                session.delete(row)
            click.echo(f"student {student_id}: no daily call")
            return
        if parsed is not None:
            row = row or m.CallWindow(student_id=student_id)
            row.start_minute, row.end_minute = parsed.start, parsed.end
            row.every_day = not reviews_only
            session.add(row)
        if row is None:
            click.echo(f"student {student_id}: no daily call (set one with --window)")
            return
        current = Window(row.start_minute, row.end_minute)
        seen = observations(session, out.clock).get(student.phone, [])
    quiet = out.clock.quiet
    if any(quiet.contains(minute) for minute in range(current.start, current.end)):
        click.echo(f"note: part of the window is in quiet hours ({quiet}): no call then")
    click.echo(
        f"student {student_id}: called {'every day' if row.every_day else 'when reviews are due'}"
        f" between {current} ({out.settings.timezone}; quiet hours {quiet})"
    )
    rates = expected_answer_rates(seen, current)
    click.echo(
        "chance of an answer by half hour, from "
        f"{len(seen)} calls: "
        + ", ".join(f"{format_minute(minute)} {p:.2f}" for minute, p in rates.items())
    )


@outreach.command("call")
@click.option("--student", "student_id", required=True, type=int)
@click.option("--note", default=None, help="Why (kept with the call).")
@click.option("--connect", default=None, help="Put the student through to this number.")
@with_appcontext
def call(student_id: int, note: str | None, connect: str | None) -> None:
    """Ask for a call to a student now (what a teacher's callback does)."""
    out = _outreach()
    try:
        call_id = out.teacher_callback(student_id, note, connect)
    except (LookupError, ValueError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"outbound call {call_id} queued for student {student_id}")


@outreach.command("list")
@click.option("--limit", default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def list_calls(limit: int, as_json: bool) -> None:
    """The latest outbound calls and how they ended (numbers shown by their last digits)."""
    with _outreach().db.read_session() as session:
        rows = session.scalars(
            select(m.OutboundCall).order_by(m.OutboundCall.id.desc()).limit(limit)
        ).all()
        out = [
            {
                "id": r.id,
                "kind": r.kind,
                "phone": "…" + r.phone[-3:],
                "student_id": r.student_id,
                "state": r.state,
                "tries": r.tries,
                "outcome": r.outcome,
                "next_try_at": r.next_try_at.isoformat() if r.next_try_at else None,
            }
            for r in rows
        ]
    if as_json:
        click.echo(json.dumps(out, indent=2))
        return
    for r in out:
        click.echo(
            f"{r['id']:>6} {r['kind']:<16} {r['phone']:<6} {r['state']:<8} tries {r['tries']} "
            f"{r['outcome'] or ''} {r['next_try_at'] or ''}"
        )


@outreach.command("tick")
@with_appcontext
def tick() -> None:
    """Plan today's calls and place every due one now (what the scheduler does)."""
    out = _outreach()
    if not out.can_dial:
        raise click.ClickException(
            "set TWILIO_ACCOUNT_SID, TWILIO_FROM_NUMBER and YACHAY_PUBLIC_URL to place calls"
        )
    click.echo(f"{out.tick()} call(s) placed")


@outreach.command("costs")
@click.option("--month", default=None, help="YYYY-MM (local time); default: this month.")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def costs(month: str | None, as_json: bool) -> None:
    """What calls cost this month: per child, per lesson completed."""
    out = _outreach()
    month = month or out.clock.today(out.now()).strftime("%Y-%m")
    try:
        rates = Rates.load(out.settings.call_rates_file)
        with out.db.read_session() as session:
            bill = monthly_bill(session, out.clock, rates, month)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    data = bill.as_dict()
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    cur = data["currency"]
    click.echo(f"Calls in {month} ({cur}; rates: {data['rates_source']}, {data['rates_read_on']})")
    for kind, count in sorted(bill.calls.items()):
        click.echo(
            f"  {kind:<16} {count:>6} calls {bill.minutes[kind]:>7} min  {bill.cost[kind]:>9.2f}"
        )
    click.echo(f"  total {bill.total:.2f} {cur}")

    def money(value: object) -> str:
        return f"{value:.3f} {cur}" if isinstance(value, float | int) else "-"

    click.echo(f"  per child ({data['children']} children): {money(data['cost_per_child'])}")
    click.echo(
        f"  per lesson completed ({data['lessons_completed']}): "
        f"{money(data['cost_per_lesson_completed'])}"
    )


@outreach.command("simulate")
@click.option("--households", default=200, show_default=True)
@click.option("--days", default=60, show_default=True)
@click.option("--seed", default=0, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def simulate(households: int, days: int, seed: int, as_json: bool) -> None:
    """Best time to call against fixed hours, on households with hidden reachability."""
    from yachay.outreach.simulation import simulate as run
    from yachay.outreach.simulation import table

    results = run(households, days, seed)
    if as_json:
        click.echo(json.dumps([r.as_dict() for r in results], indent=2))
    else:
        click.echo(table(results))


@click.command("worker")
@click.option("--concurrency", default=4, show_default=True, help="Threads placing calls.")
@click.option(
    "--no-beat", is_flag=True, help="Do not schedule (run the beat in exactly one worker)."
)
@with_appcontext
def worker(concurrency: int, no_beat: bool) -> None:
    """Start a task-queue worker (Celery, Redis at YACHAY_REDIS_URL) with the beat; with no
    Redis, the in-process scheduler in the foreground."""
    out = _outreach()
    if not out.can_dial:
        raise click.ClickException(
            "set TWILIO_ACCOUNT_SID, TWILIO_FROM_NUMBER and YACHAY_PUBLIC_URL to place calls"
        )
    if not out.settings.redis_url:
        from yachay.outreach.scheduler import EmbeddedScheduler

        click.echo("No YACHAY_REDIS_URL: running the in-process scheduler (Ctrl-C stops it)")
        scheduler = EmbeddedScheduler(out, out.settings.var_dir / "outreach.lock")
        if not scheduler.start():
            raise click.ClickException("another process on this machine runs the scheduler")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            scheduler.stop()
        return
    from yachay.outreach.tasks import configure

    app = configure(out)
    argv = ["worker", "--pool", "threads", "--concurrency", str(concurrency), "-l", "INFO"]
    if not no_beat:
        beat_file = out.settings.var_dir / "celerybeat-schedule"
        argv += ["--beat", "--schedule", str(beat_file)]
    app.worker_main(argv)
