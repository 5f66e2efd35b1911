"""Log formats: readable lines in development, one JSON object a line in production.

Both mask phone numbers (children's households) wherever they appear, exceptions included.
In a webhook request the JSON line carries the call's CallSid and the route, so every line
of one call can be found together.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

from flask import has_request_context, request

from yachay.config import LOG_FORMATS

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

#: E.164 numbers as Twilio sends them, also URL-encoded (%2B) as in a logged query string.
_PHONE = re.compile(r"(\+|%2B)(\d{2})(\d{3,11})(\d{2})\b")


def mask_phones(text: str) -> str:
    """`+51987654321` -> `+51*******21`: the country and the last two digits stay."""
    return _PHONE.sub(lambda m: f"{m[1]}{m[2]}{'*' * len(m[3])}{m[4]}", text)


class MaskedFormatter(logging.Formatter):
    """The usual text format, phone numbers masked."""

    def __init__(self, fmt: str = TEXT_FORMAT) -> None:
        super().__init__(fmt)

    def format(self, record: logging.LogRecord) -> str:
        return mask_phones(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, and in a webhook the CallSid."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        call_sid = getattr(record, "call_sid", None)
        if has_request_context():
            if not call_sid and _has_form():
                call_sid = request.form.get("CallSid")
            entry["route"] = request.url_rule.rule if request.url_rule else request.path
        if call_sid:
            entry["call_sid"] = call_sid
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return mask_phones(json.dumps(entry, ensure_ascii=False, default=str))


def _has_form() -> bool:
    return request.method == "POST" and request.mimetype == "application/x-www-form-urlencoded"


def formatter(log_format: str) -> logging.Formatter:
    if log_format not in LOG_FORMATS:
        raise ValueError(f"log format must be one of {', '.join(LOG_FORMATS)}, not {log_format!r}")
    return JsonFormatter() if log_format == "json" else MaskedFormatter()


def configure_logging(log_format: str) -> None:
    """Give the root logger's console handlers the chosen format (the test runner's own
    handlers, subclasses of StreamHandler, keep theirs)."""
    chosen = formatter(log_format)
    root = logging.getLogger()
    for handler in root.handlers:
        if type(handler) is logging.StreamHandler:
            handler.setFormatter(chosen)
