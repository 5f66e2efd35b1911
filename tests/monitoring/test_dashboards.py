"""Dashboards as code: the committed JSON is what the generator writes, and every panel
queries metrics that exist."""

from __future__ import annotations

import yaml

from tests.monitoring.dashboards import (
    GRAFANA,
    committed,
    generator,
    panel_queries,
    unknown_metrics,
)


def test_the_committed_dashboards_are_what_the_generator_writes():
    fresh = generator().generate()
    on_disk = {name: (GRAFANA / "dashboards" / name).read_text() for name in committed()}
    assert sorted(fresh) == sorted(on_disk), "run: python deploy/grafana/dashboards.py"
    for name, text in fresh.items():
        assert text == on_disk[name], f"{name} is stale: run python deploy/grafana/dashboards.py"


def test_the_three_dashboards_use_the_provisioned_datasource():
    boards = committed()
    assert {b["title"] for b in boards.values()} == {"Operations", "Learning", "Tutor model"}
    provisioned = yaml.safe_load(
        (GRAFANA / "provisioning" / "datasources" / "prometheus.yaml").read_text()
    )
    uid = provisioned["datasources"][0]["uid"]
    for board in boards.values():
        assert board["panels"], board["title"]
        for panel in board["panels"]:
            assert panel["datasource"]["uid"] == uid
            assert panel["targets"], f"{board['title']} / {panel['title']} has no query"
            assert all(t["datasource"]["uid"] == uid for t in panel["targets"])


def test_every_query_names_metrics_that_yachay_exports():
    for query in panel_queries():
        assert not unknown_metrics(query.expr), f"{query.dashboard} / {query.panel}"
