"""A tiny real HTTP server that checks signatures like our server must, and serves canned TwiML."""

from __future__ import annotations

import io
import threading
import wave
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask, Request, Response, request
from twilio.request_validator import (
    HMAC_SHA1,
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)
from werkzeug.serving import make_server
from werkzeug.urls import iri_to_uri

from yachay.phone.simulator import PhoneSimulator

TOKEN = "phone-test-token-0123456789abcdef"
SHARED_KEY_ID = "webhooks_sharedkey_phone"
SHARED_SECRET = "phone-shared-secret"

Route = str | Callable[[Request], Any]


@dataclass
class Seen:
    """One request the server received, after its signature was checked."""

    method: str
    path: str
    url: str
    params: dict[str, str]
    signed: bool
    algorithm: str


def twiml(body: str) -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?><Response>{body}</Response>'


def wav_bytes(seconds: float = 2.0, rate: int = 8000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(1)
        audio.setframerate(rate)
        audio.writeframes(b"\x80" * int(seconds * rate))
    return buffer.getvalue()


@dataclass
class TwimlServer:
    url: str = ""
    routes: dict[str, Route] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)

    def add(self, path: str, route: Route) -> None:
        """Serve ``route``: a TwiML body (wrapped in <Response>) or a view function."""
        self.routes[path] = route

    def simulator(self, **options: Any) -> PhoneSimulator:
        return PhoneSimulator(**{"base_url": self.url, "auth_token": TOKEN, **options})

    def paths(self) -> list[str]:
        return [f"{s.method} {s.path}" for s in self.seen]

    def at(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path == path]


def _make_app(server: TwimlServer) -> Flask:
    app = Flask("phone-test-server")

    @app.route("/<path:path>", methods=["GET", "POST"])
    def serve(path: str) -> Any:
        path = "/" + path
        # Twilio signed the URL it requested, percent-encoding included: rebuild it as URI.
        url = iri_to_uri(request.url)
        params = request.form.to_dict() if request.method == "POST" else {}
        algorithm = get_signature_algorithm(request.headers.get(SIGNATURE_SETTINGS_HEADER))
        secret = SHARED_SECRET if algorithm != HMAC_SHA1 else TOKEN
        signed = RequestValidator(secret).validate(
            url, request.form, request.headers.get(SIGNATURE_HEADER, ""), algorithm
        )
        everything = {**request.args.to_dict(), **params}
        server.seen.append(Seen(request.method, path, url, everything, signed, algorithm))
        # Twilio does not sign media fetches; audio is public like any static file.
        if not signed and not path.startswith("/audio/"):
            return Response("bad signature", status=403, content_type="text/plain")
        route = server.routes.get(path)
        if route is None:
            return Response(f"no route {path}", status=404, content_type="text/plain")
        if callable(route):
            return route(request)
        return Response(twiml(route), content_type="text/xml; charset=utf-8")

    return app


@pytest.fixture(scope="session")
def _http_server() -> Iterator[TwimlServer]:
    # One server for the whole session (starting one per test costs a shutdown poll each);
    # the `server` fixture gives every test fresh routes and an empty request log.
    state = TwimlServer()
    http = make_server("127.0.0.1", 0, _make_app(state), threaded=True)
    state.url = f"http://127.0.0.1:{http.server_port}"
    thread = threading.Thread(target=http.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield state
    finally:
        http.shutdown()
        http.server_close()
        thread.join(timeout=5)


@pytest.fixture
def server(_http_server: TwimlServer) -> TwimlServer:
    _http_server.routes.clear()
    _http_server.seen.clear()
    _http_server.add("/voice/status", lambda _request: Response("", status=204))
    return _http_server
