"""An app built by `create_app` on a migrated SQLite file, and a test client that signs its
posts as Twilio does: for webhook tests that need no server process."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from twilio.request_validator import RequestValidator
from werkzeug.test import TestResponse

from yachay.app import create_app
from yachay.config import DEFAULT_CONTENT_DIR
from yachay.db import migrate

TOKEN = "app-test-auth-token-0123456789ab"
SHARED_KEY_ID = "webhooks_app_test"
SHARED_SECRET = "app-shared-secret"


def make_app(tmp_path: Path, **overrides: Any) -> Flask:
    """The app on a fresh database; a `content_dir` override gets the shipped prompts."""
    content = overrides.get("content_dir")
    if content is not None and not (Path(content) / "prompts").exists():
        shutil.copytree(DEFAULT_CONTENT_DIR / "prompts", Path(content) / "prompts")
    url = f"sqlite:///{tmp_path / 'app.db'}"
    migrate.upgrade(url)
    settings: dict[str, Any] = {
        "var_dir": tmp_path / "var",
        "database_url": url,
        "twilio_auth_token": TOKEN,
        "twilio_shared_keys": {SHARED_KEY_ID: SHARED_SECRET},
        **overrides,
    }
    return create_app(settings)


def call_sid() -> str:
    return "CA" + uuid.uuid4().hex


def form(sid: str, phone: str, **extra: str) -> dict[str, str]:
    return {
        "CallSid": sid,
        "AccountSid": "AC" + "0" * 32,
        "From": phone,
        "To": "+5116409999",
        "CallStatus": "in-progress",
        "Direction": "inbound",
        **extra,
    }


class SignedClient:
    """Posts as Twilio would: the signature covers `signed_url` (default: the URL asked)."""

    def __init__(self, client: FlaskClient, token: str = TOKEN) -> None:
        self.client = client
        self.token = token

    def post(
        self,
        path: str,
        data: Mapping[str, str],
        *,
        signed_url: str | None = None,
        token: str | None = None,
        algorithm: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> TestResponse:
        url = signed_url or f"http://localhost{path}"
        signature = RequestValidator(token or self.token).compute_signature(
            url, dict(data), algorithm
        )
        return self.client.post(
            path, data=dict(data), headers={"X-Twilio-Signature": signature, **(headers or {})}
        )
