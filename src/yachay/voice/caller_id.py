"""What Twilio's `From` says about who is calling, and how to log it."""

from __future__ import annotations

import re

#: E.164 with its plus (what Twilio sends for a real number), or bare digits.
_NUMBER = re.compile(r"\+?[0-9]{6,15}")
#: Caller IDs carriers put in `From` when the number is withheld: the same for everyone.
WITHHELD = frozenset(
    {
        "anonymous",
        "restricted",
        "unknown",
        "unavailable",
        "private",
        "blocked",
        "+266696687",  # Twilio's "anonymous" as a number
        "266696687",
        "+7378742833",  # "restricted"
        "+2562533",  # "blocked"
        "+8656696",  # "unknown"
        "+86282452253",  # "unavailable"
    }
)


def caller_number(raw: str | None) -> str:
    """The caller's number, or "" when it is withheld, missing or not a phone number: an
    empty number identifies no one (see flows.callers)."""
    value = (raw or "").strip()
    if value.lower() in WITHHELD or not _NUMBER.fullmatch(value):
        return ""
    return value
