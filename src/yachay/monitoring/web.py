"""Binds monitoring to the app: GET /metrics, GET /healthz, request timing, call metrics,
the tutor model's gauges (the app's `yachay.tutor` extension must be bound first)."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from flask import Flask, Response, g, has_request_context, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from yachay.config import Settings
from yachay.monitoring import metrics
from yachay.monitoring.call_metrics import CallMetrics, TurnInput, direction_label
from yachay.monitoring.logs import configure_logging
from yachay.monitoring.model_metrics import ModelMetrics

if TYPE_CHECKING:
    from yachay.calls import CallService

log = logging.getLogger(__name__)

#: The blueprint whose routes are Twilio's webhooks.
WEBHOOKS = "voice"
_EVENTS = "yachay_monitoring_events"
_STARTED = "yachay_monitoring_started"
_FAILED = "yachay_monitoring_turn_failed"


def init_app(app: Flask, calls: CallService) -> None:
    settings: Settings = app.config["YACHAY"]
    configure_logging(settings.log_format)
    call_metrics = CallMetrics(calls, calls.prompts)
    call_metrics.wrap_status()
    _watch_turn_failures()

    def on_event(event: object) -> None:
        if has_request_context():
            g.setdefault(_EVENTS, []).append(event)
        else:
            call_metrics.count_turn([event], None)

    calls.listeners.append(on_event)
    routes = [r.rule for r in app.url_map.iter_rules() if r.endpoint.startswith(f"{WEBHOOKS}.")]
    metrics.start_at_zero(calls.prompts.languages, routes)
    model_metrics = ModelMetrics(
        app.extensions["yachay.tutor"],
        calls.db,
        settings.tutor_dir,
        settings.live_quality_interval,
    )

    @app.before_request
    def _start_timer() -> None:
        g.setdefault(_STARTED, time.perf_counter())
        try:
            # Every worker says which version it serves as it serves (not only the one
            # Prometheus happens to scrape).
            model_metrics.served()
        except Exception:  # a metric must never fail a request
            log.exception("recording the served tutor version failed")

    @app.after_request
    def _observe(response: Response) -> Response:
        try:
            # A turn that failed was rolled back: its events did not happen.
            failed = bool(g.get(_FAILED))
            _observe_request(response)
            events = g.pop(_EVENTS, None)
            if events and not failed:
                call_metrics.count_turn(events, _turn_input())
        except Exception:  # a metric must never fail a request
            log.exception("recording metrics for %s failed", request.path)
        return response

    @app.get("/metrics")
    def metrics_view() -> Response:
        model_metrics.refresh()
        registry = REGISTRY
        if settings.metrics_multiproc_dir:
            registry = CollectorRegistry()
            MultiProcessCollector(registry, path=settings.metrics_multiproc_dir)
        return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)

    @app.get("/healthz")
    def healthz() -> tuple[dict[str, str], int]:
        try:
            with calls.db.read_session() as session:
                session.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            log.warning("health check: the database is unreachable: %s", reason)
            return {"status": "error", "reason": f"database unreachable: {reason}"}, 503
        return {"status": "ok"}, 200


def _route() -> str:
    rule = request.url_rule
    return rule.rule if rule is not None else "unmatched"


def _observe_request(response: Response) -> None:
    route = _route()
    started = g.pop(_STARTED, None)
    if started is not None:
        metrics.http_request_seconds.labels(route=route, method=request.method).observe(
            time.perf_counter() - started
        )
    code = response.status_code
    metrics.http_responses.labels(route=route, status=f"{code // 100}xx").inc()
    if request.blueprint != WEBHOOKS:
        return
    if code == 403:
        metrics.signature_failures.labels(route=route).inc()
    elif code >= 500:
        metrics.webhook_errors.labels(route=route, kind="server_error").inc()
    elif code >= 400:
        metrics.webhook_errors.labels(route=route, kind="bad_request").inc()
    elif request.endpoint == f"{WEBHOOKS}.fallback":
        metrics.webhook_errors.labels(route=route, kind="twilio_fallback").inc()
    elif g.pop(_FAILED, False):
        metrics.webhook_errors.labels(route=route, kind="turn_failed").inc()


def _turn_input() -> TurnInput | None:
    if request.blueprint != WEBHOOKS or not request.form.get("CallSid"):
        return None
    form = request.form
    kind = direction_label(form.get("Direction", "inbound"))
    if request.endpoint == f"{WEBHOOKS}.incoming":
        return TurnInput(form["CallSid"], first=True, empty=None, direction=kind)
    if form.get("RecordingUrl"):
        return TurnInput(form["CallSid"], first=False, empty=None, direction=kind)
    digits = form.get("Digits", "")
    empty = request.args.get("silence") == "1" or digits in ("", "hangup")
    return TurnInput(form["CallSid"], first=False, empty=empty, direction=kind)


class _TurnFailureFlag(logging.Handler):
    """The webhooks catch a failed turn, log it and answer with an apology (a 200): an
    error logged by the voice adapter during a request marks that request as failed."""

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR and has_request_context():
            g.setdefault(_FAILED, True)


def _watch_turn_failures() -> None:
    voice_log = logging.getLogger("yachay.voice")
    if not any(isinstance(h, _TurnFailureFlag) for h in voice_log.handlers):
        voice_log.addHandler(_TurnFailureFlag(level=logging.ERROR))
