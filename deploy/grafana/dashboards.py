"""Yachay's Grafana dashboards as code (grafanalib). Writes deploy/grafana/dashboards/*.json.

    python deploy/grafana/dashboards.py      # after changing a panel; commit the JSON too

tests/monitoring/test_dashboards.py fails while the committed JSON differs from what this
file generates, and tests/monitoring/test_prometheus_scrape.py runs every panel's query
against a real Prometheus scraping a real server.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from grafanalib._gen import DashboardEncoder
from grafanalib.core import Dashboard, GridPos, Stat, Target, Threshold, Time, TimeSeries
from grafanalib.core import Table as GrafanaTable

OUT = Path(__file__).resolve().parent / "dashboards"
#: The datasource deploy/grafana/provisioning/datasources/prometheus.yaml provisions.
DATASOURCE = {"type": "prometheus", "uid": "prometheus"}
WIDTH = 24


@dataclass(frozen=True)
class Query:
    expr: str
    legend: str = ""


@dataclass(frozen=True)
class Panel:
    title: str
    queries: tuple[Query, ...]
    description: str = ""
    unit: str = "short"
    kind: str = "timeseries"  # or "stat", "table"
    width: int = 12


def _grafana_panel(panel: Panel, pos: GridPos):  # noqa: ANN202
    targets = [
        Target(
            expr=q.expr,
            legendFormat=q.legend,
            refId=chr(ord("A") + i),
            datasource=DATASOURCE,
            instant=panel.kind == "table",
            format="table" if panel.kind == "table" else "time_series",
        )
        for i, q in enumerate(panel.queries)
    ]
    common = {
        "title": panel.title,
        "description": panel.description,
        "dataSource": DATASOURCE,
        "targets": targets,
        "gridPos": pos,
    }
    if panel.kind == "stat":
        green = [Threshold("green", 0, 0.0)]
        return Stat(**common, format=panel.unit, reduceCalc="lastNotNull", thresholds=green)
    if panel.kind == "table":
        return GrafanaTable(**common, unit=panel.unit)
    return TimeSeries(**common, unit=panel.unit, legendDisplayMode="table")


def dashboard(uid: str, title: str, description: str, panels: list[Panel]) -> Dashboard:
    placed = []
    x = y = 0
    for panel in panels:
        if x + panel.width > WIDTH:
            x, y = 0, y + 8
        placed.append(_grafana_panel(panel, GridPos(h=8, w=panel.width, x=x, y=y)))
        x += panel.width
    return Dashboard(
        title=title,
        uid=uid,
        description=description,
        tags=["yachay"],
        timezone="America/Lima",
        time=Time("now-24h", "now"),
        refresh="1m",
        panels=placed,
    ).auto_panel_ids()


def _quantile(q: float, metric: str, by: str = "", window: str = "5m", where: str = "") -> str:
    labels = f"le, {by}" if by else "le"
    return f"histogram_quantile({q}, sum by ({labels}) (rate({metric}_bucket{where}[{window}])))"


WEBHOOKS = '{route=~"/voice.*"}'

OPERATIONS = [
    Panel(
        "Calls in progress",
        (Query("sum(yachay_calls_started_total) - sum(yachay_calls_ended_total)"),),
        "Calls started and not yet ended (status callback).",
        kind="stat",
        width=6,
    ),
    Panel(
        "Server up",
        (Query('sum(up{job="yachay"})', "targets up"),),
        "Yachay targets Prometheus reaches.",
        kind="stat",
        width=6,
    ),
    Panel(
        "Webhook errors (1h)",
        (Query("sum(increase(yachay_webhook_errors_total[1h]))"),),
        "5xx, refused requests, apologies and Twilio fallbacks in the last hour.",
        kind="stat",
        width=6,
    ),
    Panel(
        "Signature failures (1h)",
        (Query("sum(increase(yachay_webhook_signature_failures_total[1h]))"),),
        "Webhooks refused for a bad or missing X-Twilio-Signature.",
        kind="stat",
        width=6,
    ),
    Panel(
        "Calls started per minute",
        (
            Query(
                "sum by (role, language) (rate(yachay_calls_started_total[5m])) * 60",
                "{{role}} {{language}}",
            ),
        ),
        "By role and language as known at the first turn.",
    ),
    Panel(
        "Calls ended per minute, by outcome",
        (Query("sum by (outcome) (rate(yachay_calls_ended_total[5m])) * 60", "{{outcome}}"),),
        "completed: Yachay said goodbye; dropped: the caller hung up first.",
    ),
    Panel(
        "Webhook latency p99 by route",
        (
            Query(
                _quantile(0.99, "yachay_http_request_duration_seconds", "route", where=WEBHOOKS),
                "{{route}}",
            ),
        ),
        "Twilio gives up at 15 s; the target is milliseconds.",
        unit="s",
    ),
    Panel(
        "Webhook latency p50 by route",
        (
            Query(
                _quantile(0.5, "yachay_http_request_duration_seconds", "route", where=WEBHOOKS),
                "{{route}}",
            ),
        ),
        unit="s",
    ),
    Panel(
        "Requests per second by route and status",
        (
            Query(
                "sum by (route, status) (rate(yachay_http_responses_total[5m]))",
                "{{route}} {{status}}",
            ),
        ),
        unit="reqps",
    ),
    Panel(
        "Webhook errors by kind",
        (
            Query(
                "sum by (route, kind) (rate(yachay_webhook_errors_total[5m]))", "{{route}} {{kind}}"
            ),
        ),
        "server_error, bad_request, turn_failed (the caller heard an apology), twilio_fallback.",
        unit="reqps",
    ),
    Panel(
        "Call duration",
        (
            Query(_quantile(0.5, "yachay_call_duration_seconds", window="1h"), "p50"),
            Query(_quantile(0.9, "yachay_call_duration_seconds", window="1h"), "p90"),
        ),
        "Answered calls, from the final status callback.",
        unit="s",
    ),
    Panel(
        "Keypad inputs by outcome",
        (Query("sum by (outcome) (rate(yachay_keypad_inputs_total[5m])) * 60", "{{outcome}}"),),
        "Per minute: accepted, invalid (a key that means nothing there), empty (nothing "
        "pressed, asked again).",
    ),
    Panel(
        "Outbound call tries by outcome (1h)",
        (
            Query(
                "sum by (purpose, outcome) (increase(yachay_outbound_calls_total[1h]))",
                "{{purpose}} {{outcome}}",
            ),
        ),
        "Tries that ended: answered, machine, busy, no-answer, failed, canceled, api_error "
        "(never reached a phone), lost (no final status came).",
    ),
    Panel(
        "Outbound calls asked for and placed (1h)",
        (
            Query(
                "sum by (purpose) (increase(yachay_outbound_calls_requested_total[1h]))",
                "asked {{purpose}}",
            ),
            Query(
                "sum by (purpose) (increase(yachay_outbound_attempts_placed_total[1h]))",
                "placed {{purpose}}",
            ),
            Query("sum(increase(yachay_missed_calls_rejected_total[1h]))", "missed calls"),
        ),
        "Lesson calls, reviews, teachers' callbacks, parents' reports and missed calls rung "
        "back; a call may take several tries.",
    ),
]

LEARNING = [
    Panel(
        "Answers per minute by grade",
        (Query("sum by (grade) (rate(yachay_answers_total[5m])) * 60", "grade {{grade}}"),),
    ),
    Panel(
        "Share correct by grade",
        (
            Query(
                'sum by (grade) (rate(yachay_answers_total{correct="true"}[1h]))'
                " / sum by (grade) (rate(yachay_answers_total[1h]))",
                "grade {{grade}}",
            ),
        ),
        unit="percentunit",
    ),
    Panel(
        "Share correct by skill",
        (
            Query(
                'sum by (skill) (increase(yachay_answers_total{correct="true"}[1d]))'
                " / sum by (skill) (increase(yachay_answers_total[1d]))"
            ),
        ),
        "Over the last day; skills the children find hardest first.",
        unit="percentunit",
        kind="table",
    ),
    Panel(
        "Answer time",
        (
            Query(_quantile(0.5, "yachay_answer_response_seconds", window="1h"), "p50"),
            Query(_quantile(0.9, "yachay_answer_response_seconds", window="1h"), "p90"),
        ),
        "From the question being sent to the key press, listening included.",
        unit="s",
    ),
    Panel(
        "Lessons completed by grade (1d)",
        (
            Query(
                "sum by (grade) (increase(yachay_lessons_completed_total[1d]))", "grade {{grade}}"
            ),
        ),
    ),
    Panel(
        "Lesson segments heard per minute",
        (Query("sum(rate(yachay_lesson_segments_heard_total[5m])) * 60", "segments"),),
    ),
    Panel(
        "Where children hang up in each lesson (1d)",
        (Query("sum by (lesson, part, position) (increase(yachay_lesson_hangups_total[1d])) > 0"),),
        "Calls dropped inside a lesson, by the part and position the child was at.",
        kind="table",
        width=24,
    ),
    Panel(
        "Segments heard by lesson and segment (1d)",
        (Query("sum by (lesson, segment) (increase(yachay_lesson_segments_heard_total[1d])) > 0"),),
        "Set beside the hang-ups: how far into each lesson children listen.",
        kind="table",
        width=24,
    ),
]

TUTOR = [
    Panel(
        "Model version serving",
        (
            Query(
                "max by (model, version) (yachay_tutor_model_version) == 1", "{{model}} {{version}}"
            ),
        ),
        kind="table",
    ),
    Panel(
        "Decision latency",
        (
            Query(_quantile(0.5, "yachay_tutor_decision_seconds"), "p50"),
            Query(_quantile(0.99, "yachay_tutor_decision_seconds"), "p99"),
        ),
        "Choosing the next question; the target is 5 ms at p99.",
        unit="s",
    ),
    Panel(
        "Live AUC by version",
        (Query("yachay_tutor_live_auc", "{{version}}"),),
        "Predictions against the answers that followed, on recent answers.",
    ),
    Panel(
        "Live calibration error (ECE) by version",
        (Query("yachay_tutor_live_ece", "{{version}}"),),
    ),
    Panel(
        "Answers measured",
        (Query("yachay_tutor_live_answers", "{{version}}"),),
    ),
    Panel(
        "Input drift by statistic",
        (Query("yachay_tutor_input_drift", "{{statistic}}"),),
        "0 is none: the skill mix, the correct rate and response times against training.",
    ),
    Panel(
        "Retraining decisions",
        (
            Query(
                "max by (decision, reason) "
                "(yachay_tutor_retraining_decision_timestamp_seconds) * 1000",
                "{{decision}} {{reason}}",
            ),
        ),
        "When the scheduled retraining check last made each decision.",
        unit="dateTimeFromNow",
        kind="table",
    ),
    Panel(
        "Observed share correct",
        (
            Query(
                'sum(rate(yachay_answers_total{correct="true"}[1h]))'
                " / sum(rate(yachay_answers_total[1h]))",
                "all answers",
            ),
        ),
        "What the model predicts against: the live answers' correct rate.",
        unit="percentunit",
    ),
]

DASHBOARDS = {
    "yachay-operations": dashboard(
        "yachay-operations", "Operations", "Traffic, latency and errors.", OPERATIONS
    ),
    "yachay-learning": dashboard(
        "yachay-learning",
        "Learning",
        "Engagement, completion, correctness, and where children hang up.",
        LEARNING,
    ),
    "yachay-tutor": dashboard(
        "yachay-tutor",
        "Tutor model",
        "Live AUC and calibration by version, drift, retraining decisions.",
        TUTOR,
    ),
}


def render(board: Dashboard) -> str:
    return json.dumps(board.to_json_data(), cls=DashboardEncoder, indent=2, sort_keys=True) + "\n"


def generate() -> dict[str, str]:
    """File name -> the JSON this file describes."""
    return {f"{uid}.json": render(board) for uid, board in DASHBOARDS.items()}


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for name, text in generate().items():
        (OUT / name).write_text(text)
        print(f"wrote {OUT / name}", file=sys.stderr)


if __name__ == "__main__":
    main()
