"""Twilio's webhook signatures: HMAC-SHA1 with the auth token, or HMAC-SHA256 shared keys."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Request
from twilio.request_validator import (
    HMAC_SHA1,
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)
from werkzeug.urls import iri_to_uri


def public_url(request: Request, base_url: str) -> str:
    """The URL Twilio requested, query string included (the signature covers it)."""
    if not base_url:
        # ProxyFix has applied X-Forwarded-Proto/Host; Werkzeug decodes the query, Twilio
        # signed it encoded.
        return iri_to_uri(request.url)
    query = request.query_string.decode("latin-1")
    return f"{base_url}{request.path}" + (f"?{query}" if query else "")


def _shared_key_id(settings_header: str) -> str | None:
    for part in settings_header.split(","):
        name, sep, value = part.partition("=")
        if sep and name.strip() == "key":
            return value.strip()
    return None


def is_valid(
    request: Request, auth_token: str, shared_keys: Mapping[str, str], base_url: str
) -> bool:
    signature = request.headers.get(SIGNATURE_HEADER)
    if not signature:
        return False
    settings_header = request.headers.get(SIGNATURE_SETTINGS_HEADER, "")
    algorithm = get_signature_algorithm(settings_header)
    if algorithm == HMAC_SHA1:
        secret = auth_token
    else:
        key_id = _shared_key_id(settings_header)
        secret = shared_keys.get(key_id or "", "")
    if not secret:
        return False
    params = request.form if request.method == "POST" else {}
    return RequestValidator(secret).validate(
        public_url(request, base_url), params, signature, algorithm=algorithm
    )
