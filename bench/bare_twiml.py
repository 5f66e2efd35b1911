"""The load benchmark's baseline: a bare Flask app answering every webhook with one fixed
TwiML document (no signature check, no database), served under the same gunicorn settings."""

from __future__ import annotations

from flask import Flask, Response, request

TWIML = (
    '<?xml version="1.0" encoding="UTF-8"?><Response>'
    '<Gather action="/voice/resume?step=1" method="POST" input="dtmf" timeout="6" '
    'numDigits="1"><Say voice="Polly.Mia" language="es-MX">Hola. Marca 1.</Say></Gather>'
    "<Redirect>/voice/resume?step=1&amp;silence=1</Redirect></Response>"
)

app = Flask(__name__)


@app.post("/voice")
@app.post("/voice/resume")
def answer() -> Response:
    step = request.args.get("step", 0, type=int) + 1
    return Response(TWIML.format(step=step), mimetype="text/xml")


@app.post("/voice/status")
def status() -> tuple[str, int]:
    return "", 204


@app.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}
