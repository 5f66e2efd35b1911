"""The dashboard generator (deploy/grafana/dashboards.py) and the queries of its panels."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from dataclasses import dataclass
from types import ModuleType

from tests.conftest import ROOT
from yachay.monitoring import metrics

GRAFANA = ROOT / "deploy" / "grafana"


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("yachay_dashboards", GRAFANA / "dashboards.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class PanelQuery:
    dashboard: str
    panel: str
    expr: str


def committed() -> dict[str, dict]:
    return {
        p.name: json.loads(p.read_text()) for p in sorted((GRAFANA / "dashboards").glob("*.json"))
    }


def panel_queries() -> list[PanelQuery]:
    found = []
    for board in committed().values():
        for panel in board["panels"]:
            for target in panel.get("targets", []):
                found.append(PanelQuery(board["title"], panel["title"], target["expr"]))
    return found


#: Series Prometheus adds itself.
PROMETHEUS_OWN = frozenset({"up"})
_SUFFIXES = ("_bucket", "_count", "_sum", "_total")


def unknown_metrics(expr: str) -> set[str]:
    """Names in a PromQL expression that Yachay does not export (typos, renamed metrics)."""
    exported = {m._name for m in vars(metrics).values() if hasattr(m, "_name")}
    unknown = set()
    for name in set(re.findall(r"\b(yachay_[a-z_]+)\b", expr)):
        base = next((name[: -len(s)] for s in _SUFFIXES if name.endswith(s)), name)
        if base not in exported:
            unknown.add(name)
    return unknown
