"""Audio the calls <Play>: rendered speech for languages with no Twilio voice, and recordings
shipped in content packs. Twilio fetches these with a plain GET, unsigned."""

from __future__ import annotations

import logging
import re
from urllib.parse import quote

from flask import Blueprint, abort, current_app, send_file, send_from_directory
from flask.typing import ResponseReturnValue

from yachay.content.audio import AudioError, AudioStore

log = logging.getLogger(__name__)

bp = Blueprint("audio", __name__, url_prefix="/audio")


def _store() -> AudioStore:
    return current_app.extensions["yachay.audio"]


@bp.get("/<language>/<key>.wav")
def rendered(language: str, key: str) -> ResponseReturnValue:
    store = _store()
    try:
        path = store.path(language, key)
    except ValueError:
        abort(404)
    if not path.exists():
        try:
            # The text was remembered when the TwiML naming it was built.
            path = store.render_key(language, key)
        except KeyError:
            abort(404)
        except AudioError as exc:
            # Not a bug of ours: the machine lacks espeak-ng or sox (or they failed).
            log.error("cannot render audio %s/%s: %s", language, key, exc)
            abort(503, description=f"This audio cannot be rendered here: {exc}")
    private = store.is_private(language, key)
    response = send_file(path, mimetype="audio/wav", max_age=0 if private else 86400)
    if private:
        response.headers["Cache-Control"] = "no-store"
    text = store.text_of(language, key)
    if text is not None and not private and current_app.config["YACHAY"].audio_text_header:
        # Development only: lets the phone simulator show what a recording says.
        response.headers["X-Yachay-Text"] = quote(text)
    return response


#: A pack's recordings: ``<pack>/audio/<...>.wav`` (or .mp3), nothing else of the pack.
_RECORDING = re.compile(
    r"[A-Za-z0-9_.-]+/audio/(?:[A-Za-z0-9_.-]+/)*[A-Za-z0-9_-][A-Za-z0-9_.-]*\.(wav|mp3)"
)
_MIMETYPES = {"wav": "audio/wav", "mp3": "audio/mpeg"}


@bp.get("/content/<path:filename>")
def recorded(filename: str) -> ResponseReturnValue:
    found = _RECORDING.fullmatch(filename)
    if found is None or ".." in filename.split("/"):
        abort(404)
    packs = current_app.config["YACHAY"].content_dir / "packs"
    return send_from_directory(packs, filename, mimetype=_MIMETYPES[found.group(1)], max_age=86400)
