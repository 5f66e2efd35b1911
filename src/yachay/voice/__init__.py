"""The Twilio adapter: signature check, form -> typed resume, events -> TwiML, audio."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask

from yachay.config import Settings
from yachay.content.audio import AudioStore
from yachay.content.prompts import BASE_LANGUAGE, Prompts
from yachay.flows.events import Speak
from yachay.voice import audio as audio_routes
from yachay.voice import outbound  # noqa: F401  (its routes join the voice blueprint)
from yachay.voice import routes as voice_routes
from yachay.voice.twiml import SayVoice, TwimlRenderer, apology


def _audio_secret(var_dir: Path) -> bytes:
    """The key that names rendered audio of texts naming a child, made once per install
    (every worker and host serving the same var folder shares it)."""
    path = var_dir / "audio_secret"
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        try:
            with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
                f.write(secrets.token_hex(32))
        except FileExistsError:
            pass  # another worker made it first
    return path.read_text().strip().encode()


def init_app(app: Flask, settings: Settings) -> Prompts:
    """Bind the Twilio adapter: its routes, the prompts it offers, audio and TwiML. Returns
    the prompts in the languages this server can speak (the calls' flows use them)."""
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

    secret = _audio_secret(settings.var_dir)

    def audio_url(speak: Speak) -> str:
        if speak.audio:
            return f"/audio/content/{speak.audio}"
        if speak.private:
            key = store.remember_private(speak.language, speak.text, secret)
        else:
            key = store.remember(speak.language, speak.text)
        return f"/audio/{speak.language}/{key}.wav"

    def apologise(language: str) -> str:
        if language not in prompts.languages:
            language = BASE_LANGUAGE
        text = prompts.text("apology", language)
        if language in say:
            return apology(text, say[language], None)
        return apology(text, None, audio_url(Speak(text, language)))

    app.extensions["yachay.prompts"] = prompts
    app.extensions["yachay.audio"] = store
    app.extensions["yachay.twiml"] = TwimlRenderer(say, audio_url, settings.school_number)
    app.extensions["yachay.apology"] = apologise
    app.register_blueprint(voice_routes.bp)
    app.register_blueprint(audio_routes.bp)
    return prompts
