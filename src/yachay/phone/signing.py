"""Signing webhook requests exactly as Twilio signs them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal
from urllib.parse import urlencode

from twilio.request_validator import (
    HMAC_SHA1,
    HMAC_SHA256,
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
)

SignatureMode = Literal["sha1", "sha256"]


class Signer:
    """``sha1``: the account auth token. ``sha256``: a shared key (id + secret as token)."""

    def __init__(
        self, token: str, mode: SignatureMode = "sha1", shared_key_id: str | None = None
    ) -> None:
        if mode not in ("sha1", "sha256"):
            raise ValueError(f"signature_mode must be 'sha1' or 'sha256', not {mode!r}")
        if mode == "sha256" and not shared_key_id:
            raise ValueError("signature_mode='sha256' needs shared_key_id (the key's id)")
        if not token:
            raise ValueError("an auth token (or shared-key secret) is needed to sign requests")
        self.validator = RequestValidator(token)
        self.mode = mode
        self.shared_key_id = shared_key_id

    def headers(self, url: str, params: Mapping[str, str]) -> dict[str, str]:
        """Headers for a request to ``url`` (query included) with form ``params``."""
        if self.mode == "sha256":
            signature = self.validator.compute_signature(url, params, HMAC_SHA256)
            return {
                SIGNATURE_HEADER: signature,
                SIGNATURE_SETTINGS_HEADER: f"key={self.shared_key_id},algorithm={HMAC_SHA256}",
            }
        return {SIGNATURE_HEADER: self.validator.compute_signature(url, params, HMAC_SHA1)}


def with_query(url: str, params: Mapping[str, str]) -> str:
    """Append ``params`` to ``url`` as Twilio does for GET webhooks."""
    if not params:
        return url
    separator = "&" if "?" in url else "?"
    return url + separator + urlencode(list(params.items()))
