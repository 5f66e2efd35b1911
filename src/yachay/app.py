"""The application factory: each part binds itself with its own init step."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask

from yachay import outreach, voice, web
from yachay.calls import CallService
from yachay.calls.limits import Limits
from yachay.config import Settings, load_settings, resolve_auth_token
from yachay.db.database import Database
from yachay.flows.engine import Timing
from yachay.monitoring.web import init_app as init_monitoring
from yachay.tutor.serving import TutorService
from yachay.voice.proxies import TrustedProxies

db = Database()


def create_app(config: Mapping[str, Any] | Settings | None = None) -> Flask:
    settings = _settings(config)
    app = Flask(__name__)
    app.config["YACHAY"] = settings
    app.wsgi_app = TrustedProxies(app.wsgi_app, settings.trusted_proxies)  # type: ignore[method-assign]
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    db.init_app(app)
    tutor = _init_tutor(app, settings)
    prompts = voice.init_app(app, settings)
    limits = Limits(settings.max_call_minutes, settings.max_answers_per_minute)
    calls = app.extensions["yachay.calls"] = CallService(
        db,
        prompts,
        _timing(settings),
        tutor,
        bridged_calls=bool(settings.school_number),
        limits=limits,
    )
    init_monitoring(app, calls)  # /metrics, /healthz (checks the database), call metrics
    web.init_app(app)
    outreach.init_app(app, db, settings)
    return app


def _settings(config: Mapping[str, Any] | Settings | None) -> Settings:
    if isinstance(config, Settings):
        settings = config
    else:
        settings = load_settings().with_overrides(config or {})
    return resolve_auth_token(settings)


def _timing(settings: Settings) -> Timing:
    return Timing(
        menu=settings.menu_timeout,
        segment=settings.segment_timeout,
        question=settings.question_timeout,
        record_max=settings.record_max_seconds,
    )


def _init_tutor(app: Flask, settings: Settings) -> TutorService:
    """The tutor model loads in the background on the app's first request (so commands,
    which also build the app, never import torch for it), or at the first prediction."""
    tutor = app.extensions["yachay.tutor"] = TutorService(settings)
    app.before_request(tutor.warm_up)
    return tutor
