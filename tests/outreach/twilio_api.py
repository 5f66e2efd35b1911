"""A local HTTP server standing in for Twilio's REST API: it records what the `twilio`
library sends (Twilio itself cannot be reached from here) and answers like Twilio."""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


@dataclass
class Recorded:
    method: str
    path: str
    form: dict[str, list[str]]
    user: str
    password: str

    def one(self, name: str) -> str:
        (value,) = self.form[name]
        return value


class FakeTwilioApi:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        #: (status, Twilio error code) to answer the next calls.create with, once each
        self.failures: list[tuple[int, int]] = []
        self._lock = threading.Lock()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                user, _, password = (
                    base64.b64decode(self.headers.get("Authorization", "Basic ")[6:])
                    .decode()
                    .partition(":")
                )
                form = parse_qs(body.decode(), keep_blank_values=True)
                with api._lock:
                    api.requests.append(Recorded("POST", self.path, form, user, password))
                    failure = api.failures.pop(0) if api.failures else None
                if failure:
                    status, code = failure
                    self._json(status, {"code": code, "message": "refused", "status": status})
                    return
                sid = "CA" + uuid.uuid4().hex
                self._json(
                    201,
                    {
                        "sid": sid,
                        "account_sid": user,
                        "to": form.get("To", [""])[0],
                        "from": form.get("From", [""])[0],
                        "status": "queued",
                        "direction": "outbound-api",
                        "api_version": "2010-04-01",
                    },
                )

            def _json(self, status: int, payload: dict[str, object]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def calls_created(self) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.path.endswith("/Calls.json")]

    def wait_for_calls(
        self, count: int, timeout: float = 60, to: str | None = None
    ) -> list[Recorded]:
        """The calls created (to `to` only, if given), once there are `count` of them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            created = [r for r in self.calls_created() if to is None or r.one("To") == to]
            if len(created) >= count:
                return created
            time.sleep(0.1)
        raise AssertionError(f"{count} call(s) expected, Twilio's API got {self.calls_created()}")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
