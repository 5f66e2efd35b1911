"""The application factory: each part binds itself with its own init step."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from yachay.calls import CallService
from yachay.config import Settings, load_settings, resolve_auth_token
from yachay.content.audio import AudioStore
from yachay.content.prompts import BASE_LANGUAGE, Prompts
from yachay.db.database import Database
from yachay.flows.engine import Timing
from yachay.flows.events import Speak
from yachay.tutor.serving import TutorService
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
    tutor = _init_tutor(app, settings)
    _init_voice(app, settings, tutor)

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


def _init_tutor(app: Flask, settings: Settings) -> TutorService:
    """The tutor model loads in the background on the app's first request (so commands,
    which also build the app, never import torch for it), or at the first prediction."""
    tutor = app.extensions["yachay.tutor"] = TutorService(settings)
    app.before_request(tutor.warm_up)
    return tutor


def _init_voice(app: Flask, settings: Settings, tutor: TutorService) -> CallService:
    every_prompt = Prompts.load(settings.content_dir / "prompts")
    store = AudioStore(settings.audio_dir)
    say = {"es": SayVoice(settings.say_voice, settings.say_language)}
    # Callers are offered only the languages the server can speak: with no espeak-ng a
    # Quechua <Play> would fail, and the caller would hear nothing.
    prompts = every_prompt.only(set(say) | store.languages())
    app.extensions["yachay.silent_languages"] = {
        code: language.name
        for code, language in every_prompt.languages.items()
        if code not in prompts.languages
    }

    def audio_url(speak: Speak) -> str:
        if speak.audio:
            return f"/audio/content/{speak.audio}"
        return f"/audio/{speak.language}/{store.remember(speak.language, speak.text)}.wav"

    def apologise(language: str) -> str:
        if language not in prompts.languages:
            language = BASE_LANGUAGE
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
