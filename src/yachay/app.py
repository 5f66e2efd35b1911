"""The application factory: each part binds itself with its own init step."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, g, has_request_context
from werkzeug.middleware.proxy_fix import ProxyFix

from yachay import web
from yachay.calls import CallService
from yachay.config import Settings, load_settings, resolve_auth_token
from yachay.content.audio import AudioStore
from yachay.content.prompts import Prompts
from yachay.db.database import Database
from yachay.flows.engine import Timing
from yachay.flows.events import Speak, StudentIdentified
from yachay.tutor.serving import TutorService
from yachay.tutor.serving import init_app as init_tutor
from yachay.voice import audio as audio_routes
from yachay.voice import routes as voice_routes
from yachay.voice.twiml import SayVoice, TwimlRenderer, apology

db = Database()


def create_app(config: Mapping[str, Any] | Settings | None = None) -> Flask:
    settings = _settings(config)
    app = Flask(__name__)
    app.config["YACHAY"] = settings
    app.wsgi_app = ProxyFix(app.wsgi_app, x_proto=1, x_host=1, x_port=1)  # type: ignore[method-assign]
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    db.init_app(app)
    tutor = init_tutor(app)
    calls = _init_voice(app, settings, tutor)
    _prepare_tutor_at_call_start(app, calls, tutor)
    web.init_app(app)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def _settings(config: Mapping[str, Any] | Settings | None) -> Settings:
    if isinstance(config, Settings):
        settings = config
    else:
        settings = load_settings().with_overrides(config or {})
    return resolve_auth_token(settings)


def _prepare_tutor_at_call_start(app: Flask, calls: CallService, tutor: TutorService) -> None:
    """When a call's student is identified, the tutor reads their history once the reply is
    sent (seconds before the call's first practice question, which then reads nothing)."""

    def on_event(event: object) -> None:
        if isinstance(event, StudentIdentified) and has_request_context():
            g.setdefault("yachay_identified", []).append(event.student_id)

    calls.listeners.append(on_event)

    @app.after_request
    def _after(response: Response) -> Response:
        students = g.pop("yachay_identified", None)
        if students:
            response.call_on_close(lambda: tutor.prepare_students(students))
        return response


def _init_voice(app: Flask, settings: Settings, tutor: TutorService) -> CallService:
    prompts = Prompts.load(settings.content_dir / "prompts")
    store = AudioStore(settings.audio_dir)
    say = {"es": SayVoice(settings.say_voice, settings.say_language)}

    def audio_url(speak: Speak) -> str:
        if speak.audio:
            return f"/audio/content/{speak.audio}"
        return f"/audio/{speak.language}/{store.remember(speak.language, speak.text)}.wav"

    def apologise(language: str) -> str:
        text = prompts.text("apology", language)
        if language in say:
            return apology(text, say[language], None)
        return apology(text, None, audio_url(Speak(text, language)))

    timing = Timing(
        menu=settings.menu_timeout,
        segment=settings.segment_timeout,
        question=settings.question_timeout,
        record_max=settings.record_max_seconds,
    )
    app.extensions["yachay.prompts"] = prompts
    app.extensions["yachay.audio"] = store
    app.extensions["yachay.twiml"] = TwimlRenderer(say, audio_url)
    calls = app.extensions["yachay.calls"] = CallService(db, prompts, timing, tutor)
    app.extensions["yachay.apology"] = apologise
    app.register_blueprint(voice_routes.bp)
    app.register_blueprint(audio_routes.bp)
    return calls
