"""GET /healthz checks the database; GET /metrics speaks Prometheus' text format."""

from __future__ import annotations

import requests

from tests.conftest import free_port
from yachay.app import create_app


def test_healthz_is_ok_while_the_database_answers(live_server):
    response = requests.get(f"{live_server.url}/healthz", timeout=10)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_healthz_is_503_with_a_reason_when_the_database_is_down(tmp_path):
    # Nothing listens on this port: the database is down.
    url = f"postgresql+psycopg://yachay@127.0.0.1:{free_port()}/yachay?connect_timeout=2"
    app = create_app({"database_url": url, "var_dir": tmp_path})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "error"
    assert body["reason"].startswith("database unreachable: ")
    assert "refused" in body["reason"] or "connect" in body["reason"]
