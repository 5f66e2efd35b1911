"""Log lines: phone numbers masked; JSON objects with the CallSid under gunicorn."""

from __future__ import annotations

import io
import json
import logging

import pytest
import requests
from flask import Flask

from tests.monitoring.gunicorn_server import start_gunicorn
from tests.voice.test_webhooks import call_sid, params, post
from yachay.config import load_settings
from yachay.monitoring.logs import JsonFormatter, MaskedFormatter, mask_phones

PHONE = "+51987654321"


def test_phone_numbers_are_masked_plain_and_url_encoded():
    assert mask_phones(f"From={PHONE} To=%2B5116409999") == "From=+51*******21 To=%2B51******99"
    assert mask_phones("step 12 at 2026-12-05 10:14:51, 1234567890") == (
        "step 12 at 2026-12-05 10:14:51, 1234567890"
    )


def _log_through(formatter: logging.Formatter, emit) -> str:  # noqa: ANN001
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    logger = logging.getLogger("yachay.test_logs")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        emit(logger)
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


def test_text_lines_mask_phones_in_messages_and_tracebacks():
    def emit(logger: logging.Logger) -> None:
        try:
            raise ValueError(f"no student on {PHONE}")
        except ValueError:
            logger.exception("caller %s failed", PHONE)

    out = _log_through(MaskedFormatter(), emit)
    assert PHONE not in out
    assert "caller +51*******21 failed" in out and "ValueError: no student on +51*" in out


def test_a_json_line_in_a_webhook_carries_the_call_sid_and_route():
    app = Flask(__name__)

    @app.post("/voice/resume")
    def resume() -> str:
        logging.getLogger("yachay.test_logs").warning("caller %s pressed 7", PHONE)
        return ""

    sid = call_sid()
    with app.test_request_context("/voice/resume", method="POST", data={"CallSid": sid}):
        app.preprocess_request()
        out = _log_through(JsonFormatter(), lambda logger: resume())
    [line] = out.splitlines()
    entry = json.loads(line)
    assert entry["call_sid"] == sid
    assert entry["route"] == "/voice/resume"
    assert entry["level"] == "WARNING"
    assert entry["message"] == "caller +51*******21 pressed 7"


def test_an_unknown_log_format_is_refused():
    with pytest.raises(ValueError, match="YACHAY_LOG_FORMAT must be one of text, json"):
        load_settings({"YACHAY_LOG_FORMAT": "xml"})


def test_under_gunicorn_every_line_is_a_json_object_with_phones_masked(tmp_path):
    server = start_gunicorn(tmp_path, workers=2, extra_env={"YACHAY_LOG_FORMAT": "json"})
    try:
        sid = call_sid()
        error_url = f"{server.url}/voice/resume?From=%2B51987654321"
        data = params(sid, PHONE, ErrorCode="11200", ErrorUrl=error_url)
        assert post(server, "/voice/fallback", data).status_code == 200
        assert requests.get(f"{server.url}/healthz?caller={PHONE}", timeout=10).ok
    finally:
        server.stop()
    log = server.log()
    entries = [json.loads(line) for line in log.splitlines()]  # each line one object
    assert PHONE not in log and "%2B51987654321" not in log
    [fallback] = [e for e in entries if e["logger"] == "yachay.voice.routes"]
    assert fallback["call_sid"] == sid and fallback["level"] == "ERROR"
    assert fallback["route"] == "/voice/fallback"
    assert any(e["logger"] == "gunicorn.access" and "/healthz" in e["message"] for e in entries)
