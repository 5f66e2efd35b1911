"""`yachay outreach costs` and `schedule` on a real database."""

from __future__ import annotations

import json

import pytest

from tests.outreach.conftest import lima
from yachay.app import create_app
from yachay.db import migrate
from yachay.db import models as m
from yachay.outreach.cli import costs, schedule
from yachay.outreach.costs import DEFAULT_RATES, billed_minutes

RATES = {
    "currency": "USD",
    "source": "test table",
    "read_on": "2026-12-05",
    "outbound_mobile": 0.10,
    "outbound_landline_lima": 0.02,
    "outbound_landline": 0.05,
    "inbound_local": 0.01,
    "machine_detection": 0.01,
}


@pytest.fixture
def app(tmp_path):  # noqa: ANN001, ANN201
    url = f"sqlite:///{tmp_path / 'yachay.db'}"
    migrate.upgrade(url)
    rates = tmp_path / "rates.json"
    rates.write_text(json.dumps(RATES))
    return create_app({"var_dir": tmp_path, "database_url": url, "call_rates_file": str(rates)})


def fill(app) -> dict[str, int]:  # noqa: ANN001
    db = app.extensions["yachay.db"]
    with db.session() as session:
        ana = m.Student(phone="+51987444001", name="Ana", language="es", grade=2)
        beto = m.Student(phone="+5114440002", name="Beto", language="es", grade=4)
        carla = m.Student(phone="+5114440002", name="Carla", language="qu", grade=1)
        session.add_all([ana, beto, carla])
        session.flush()
        # Ana called for 61 s: two billed minutes.
        session.add(
            m.Call(
                sid="CA1",
                phone=ana.phone,
                direction="inbound",
                student_id=ana.id,
                started_at=lima("2026-11-10", "17:00"),
                duration_seconds=61,
            )
        )
        # October in Lima, November in UTC: not this month's.
        session.add(
            m.Call(
                sid="CA2",
                phone=ana.phone,
                direction="inbound",
                student_id=ana.id,
                started_at=lima("2026-10-31", "23:00"),
                duration_seconds=600,
            )
        )
        lesson = m.OutboundCall(kind="lesson", phone=ana.phone, student_id=ana.id, tries=2)
        progress = m.OutboundCall(kind="parent_progress", phone=beto.phone, tries=1)
        session.add_all([lesson, progress])
        session.flush()
        for n, (row, status, by, seconds) in enumerate(
            [
                (lesson, "no-answer", None, None),
                (lesson, "completed", "human", 150),
                (progress, "completed", "human", 60),
            ]
        ):
            session.add(
                m.OutboundAttempt(
                    outbound_call_id=row.id,
                    try_number=n + 1,
                    phone=row.phone,
                    requested_at=lima("2026-11-12", "16:00"),
                    local_minute=960,
                    status=status,
                    answered_by=by,
                    duration_seconds=seconds,
                )
            )
        return {"ana": ana.id, "beto": beto.id}


def test_the_months_costs_per_child_and_per_lesson(app):
    fill(app)
    result = app.test_cli_runner().invoke(costs, ["--month", "2026-11", "--json"])
    assert result.exit_code == 0, result.output
    bill = json.loads(result.output)
    # inbound 2 min x 0.01; lesson 3 min x 0.10 + detection 0.01; parents 1 min x 0.02 + 0.01
    assert bill["cost_by_kind"] == {"inbound": 0.02, "lesson": 0.31, "parent_progress": 0.03}
    assert bill["billed_minutes"] == {"inbound": 2, "lesson": 3, "parent_progress": 1}
    assert bill["calls"] == {"inbound": 1, "lesson": 2, "parent_progress": 1}
    assert bill["total_cost"] == 0.36
    assert bill["children"] == 3 and bill["cost_per_child"] == 0.12
    # The parents' call is shared between the two children of that phone.
    assert sorted(bill["cost_by_child"].values()) == [0.015, 0.015, 0.33]
    assert bill["lessons_completed"] == 0 and bill["cost_per_lesson_completed"] is None
    assert bill["rates_read_on"] == "2026-12-05"
    text = app.test_cli_runner().invoke(costs, ["--month", "2026-11"])
    assert "per child (3 children): 0.120 USD" in text.output


def test_cost_per_lesson_completed(app):
    ids = fill(app)
    db = app.extensions["yachay.db"]
    with db.session() as session:
        session.add(m.ContentPack(id="p", title={}, languages=["es"], fingerprint="x"))
        for i in range(2):
            session.add(
                m.Lesson(
                    id=f"l{i}",
                    pack_id="p",
                    unit_id="u",
                    position=i,
                    grade=2,
                    title={},
                    skills=[],
                    segments=[],
                )
            )
        session.flush()
        for i in range(2):
            session.add(
                m.LessonProgress(
                    student_id=ids["ana"],
                    lesson_id=f"l{i}",
                    completed_at=lima("2026-11-20", "17:00"),
                )
            )
    bill = json.loads(app.test_cli_runner().invoke(costs, ["--month", "2026-11", "--json"]).output)
    assert bill["lessons_completed"] == 2 and bill["cost_per_lesson_completed"] == 0.18


def test_bad_months_and_rate_files_are_clear_errors(app, tmp_path):
    result = app.test_cli_runner().invoke(costs, ["--month", "noviembre"])
    assert result.exit_code != 0 and "not a month like 2026-12" in result.output
    (tmp_path / "rates.json").write_text('{"outbound_mobile": "cheap"}')
    result = app.test_cli_runner().invoke(costs, ["--month", "2026-11"])
    assert result.exit_code != 0 and "no number for" in result.output


def test_the_default_rates_say_where_they_come_from():
    assert "twilio.com" in str(DEFAULT_RATES["source"])
    assert "unverified" in str(DEFAULT_RATES["read_on"])
    assert [billed_minutes(s) for s in (None, 0, 1, 60, 61)] == [0, 0, 1, 1, 2]


def test_schedule_sets_shows_and_clears_a_window(app):
    ids = fill(app)
    runner = app.test_cli_runner()
    args = ["--student", str(ids["ana"])]
    result = runner.invoke(schedule, [*args, "--window", "16:00-18:00"])
    assert result.exit_code == 0, result.output
    assert "between 16:00-18:00 (America/Lima" in result.output
    # Learned from her calls: at 16:00 one try answered, one not; she called us at 17:00
    # (and at 23:00, outside the window: a neighbour of nothing in it).
    assert "from 4 calls: 16:00 0.50, 16:30 0.57, 17:00 0.67, 17:30 0.60" in result.output
    bad = runner.invoke(schedule, [*args, "--window", "18:00-16:00"])
    assert bad.exit_code != 0 and "must start before it ends" in bad.output
    db = app.extensions["yachay.db"]
    with db.session() as session:
        row = session.get(m.CallWindow, ids["ana"])
        assert (row.start_minute, row.end_minute, row.every_day) == (960, 1080, True)
    result = runner.invoke(schedule, [*args, "--window", "15:00-16:00", "--reviews-only"])
    assert "when reviews are due" in result.output
    assert "note:" not in result.output
    late = runner.invoke(schedule, [*args, "--window", "19:30-21:00", "--reviews-only"])
    assert "part of the window is in quiet hours (20:30-08:00)" in late.output
    assert runner.invoke(schedule, [*args, "--clear"]).exit_code == 0
    with db.session() as session:
        assert session.get(m.CallWindow, ids["ana"]) is None
    missing = runner.invoke(schedule, ["--student", "9999", "--window", "16:00-18:00"])
    assert missing.exit_code != 0 and "no student with id 9999" in missing.output


def test_call_list_and_tick_commands(tmp_path, twilio_api):
    from tests.outreach.conftest import ACCOUNT, FROM, PUBLIC
    from yachay.outreach.cli import call, list_calls, tick, worker

    url = f"sqlite:///{tmp_path / 'c.db'}"
    migrate.upgrade(url)
    settings = {"var_dir": tmp_path, "database_url": url, "quiet_hours": "00:00-00:00"}
    bare = create_app(settings)
    ids = fill(bare)
    runner = bare.test_cli_runner()
    result = runner.invoke(call, ["--student", str(ids["ana"]), "--note", "fracciones"])
    assert result.exit_code == 0 and "queued for student" in result.output
    assert "no student with id 424242" in runner.invoke(call, ["--student", "424242"]).output
    bad = runner.invoke(call, ["--student", str(ids["ana"]), "--connect", "999"])
    assert bad.exit_code != 0 and "'999' is not an E.164 number" in bad.output
    for command in (tick, worker):
        refused = runner.invoke(command, [])
        assert refused.exit_code != 0 and "TWILIO_ACCOUNT_SID" in refused.output
    app = create_app(
        {
            **settings,
            "twilio_account_sid": ACCOUNT,
            "twilio_from_number": FROM,
            "twilio_api_url": twilio_api.url,
            "public_url": PUBLIC,
        }
    )
    result = app.test_cli_runner().invoke(tick, [])
    assert result.exit_code == 0 and "1 call(s) placed" in result.output
    assert [r.one("To") for r in twilio_api.calls_created()] == ["+51987444001"]
    listed = json.loads(app.test_cli_runner().invoke(list_calls, ["--json"]).output)
    callback = next(r for r in listed if r["kind"] == "teacher_callback")
    assert callback["state"] == "dialing" and callback["tries"] == 1
    assert callback["phone"] == "…001", "numbers are shown by their last digits only"
