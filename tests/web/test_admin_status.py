"""The administrator's status page: this month's call costs and the Grafana dashboards."""

from __future__ import annotations

import json
from pathlib import Path

from tests.web.conftest import make_console, sign_in
from yachay.db import models as m
from yachay.db.models import utcnow
from yachay.outreach.costs import Rates, monthly_bill
from yachay.web.admin import DASHBOARDS, DASHBOARDS_FOLDER

ROOT = Path(__file__).resolve().parents[2]


def _teachers_callback(app, student_id: int) -> None:  # noqa: ANN001
    """A callback a teacher asked for, answered by a person and billed 2 minutes (61 s)."""
    now = utcnow()
    with app.extensions["yachay.db"].session() as session:
        call = m.OutboundCall(
            kind="teacher_callback", phone="+51987000001", student_id=student_id,
            state="done", tries=1, outcome="answered",
        )  # fmt: skip
        session.add(call)
        session.flush()
        session.add(
            m.OutboundAttempt(
                outbound_call_id=call.id, try_number=1, call_sid="CA" + "b" * 32,
                phone="+51987000001", requested_at=now, local_minute=600,
                status="completed", answered_by="human", duration_seconds=61, ended_at=now,
            )
        )  # fmt: skip


def test_the_status_page_shows_this_months_call_costs(console):
    app, data = console
    _teachers_callback(app, data.own_student)
    client = app.test_client()
    sign_in(client, "admin@ie.pe")
    page = client.get("/admin").text
    # 2 minutes to a mobile and the answering-machine detection, at the default rates.
    rates = Rates.load(None).table
    cost = 2 * rates["outbound_mobile"] + rates["machine_detection"]
    row = (
        '<tr><td>llamadas pedidas por docentes</td><td class="n">1</td><td class="n">2</td>'
        f'<td class="n">{cost:.2f}</td></tr>'
    )
    assert row in page
    outreach = app.extensions["yachay.outreach"]
    with app.extensions["yachay.db"].read_session() as session:
        month = outreach.clock.today(utcnow()).strftime("%Y-%m")
        bill = monthly_bill(session, outreach.clock, Rates.load(None), month)
    assert bill.cost["teacher_callback"] == cost
    assert f'<td class="n" id="costs-total">{bill.total:.2f}</td>' in page
    # the title is the page's name alone (the model's paragraph once, in the page)
    assert "<title>Estado del sistema · Yachay</title>" in page
    assert page.count('id="model"') == 1


def test_a_broken_rates_file_is_named_on_the_page(tmp_path):
    app, _data = make_console(tmp_path)
    (tmp_path / "rates.json").write_text("{not json")
    app.extensions["yachay.outreach"].settings = app.extensions[
        "yachay.outreach"
    ].settings.with_overrides({"call_rates_file": str(tmp_path / "rates.json")})
    client = app.test_client()
    sign_in(client, "admin@ie.pe")
    page = client.get("/admin").text
    assert "No se pudo calcular: call rates file" in page
    app.extensions["yachay.db"].dispose()


def test_without_grafanas_address_the_page_says_where_the_dashboards_are(console):
    app, _data = console
    client = app.test_client()
    sign_in(client, "admin@ie.pe")
    page = client.get("/admin").text
    assert DASHBOARDS_FOLDER in page and "YACHAY_GRAFANA_URL" in page


def test_with_grafanas_address_the_page_links_each_dashboard(tmp_path):
    app, _data = make_console(tmp_path)
    app.config["YACHAY"] = app.config["YACHAY"].with_overrides(
        {"grafana_url": "https://grafana.ie.pe"}
    )
    client = app.test_client()
    sign_in(client, "admin@ie.pe")
    page = client.get("/admin").text
    for uid, title in DASHBOARDS.items():
        assert f'<a href="https://grafana.ie.pe/d/{uid}">{title}</a>' in page
    app.extensions["yachay.db"].dispose()


def test_the_links_name_the_dashboards_grafana_is_given():
    committed = {
        board["uid"]: board["title"]
        for board in (
            json.loads(path.read_text()) for path in (ROOT / DASHBOARDS_FOLDER).glob("*.json")
        )
    }
    assert committed == DASHBOARDS
