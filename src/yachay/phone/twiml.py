"""Reading a TwiML answer the way Twilio does: status, Content-Type, XML, verbs, attributes.

Every problem is a :class:`TwimlError` carrying the Twilio error code a real call would
show in the console, so a failing test reads like Twilio's debugger.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field

#: Twilio refuses larger documents (error 11750).
MAX_DOCUMENT_BYTES = 64 * 1024

XML_CONTENT_TYPES = ("text/xml", "application/xml")

#: Verbs the simulator executes.
SUPPORTED_VERBS = frozenset(
    {"Say", "Play", "Pause", "Gather", "Record", "Redirect", "Hangup", "Reject", "Dial"}
)
#: Real Twilio verbs the simulator cannot execute: named apart so the message is honest.
UNSUPPORTED_VERBS = frozenset(
    {"Connect", "Enqueue", "Leave", "Pay", "Prompt", "Queue", "Refer", "Start", "Stop", "Sms"}
)
#: Twilio's default <Record finishOnKey>: any key ends the recording.
RECORD_FINISH_KEYS = "1234567890*#"
_INT_ATTRIBUTES = {
    "Say": ("loop",),
    "Play": ("loop",),
    "Pause": ("length",),
    "Gather": ("timeout", "numDigits"),
    "Record": ("timeout", "maxLength"),
    "Dial": ("timeout", "timeLimit"),
}
_BOOL_ATTRIBUTES = {"Gather": ("actionOnEmptyResult",), "Record": ("playBeep",)}
GATHER_CHILDREN = frozenset({"Say", "Play", "Pause"})
#: Verbs that hold no other element (Say may hold SSML, Dial its nouns).
EMPTY_VERBS = frozenset({"Play", "Pause", "Record", "Redirect", "Hangup", "Reject"})

_SNIPPET = 120


class TwimlError(Exception):
    """A failed or unusable answer; ``code`` is Twilio's error code for it."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code} {message}")
        self.code = code
        self.message = message


@dataclass
class Verb:
    """One TwiML verb: its name, attributes, text and nested verbs (for <Gather>, <Dial>)."""

    name: str
    attributes: dict[str, str]
    text: str = ""
    children: list[Verb] = field(default_factory=list)


def snippet(body: bytes | str) -> str:
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    text = " ".join(text.split())
    return repr(text[:_SNIPPET] + ("…" if len(text) > _SNIPPET else ""))


def check_response(
    where: str, status: int, content_type: str, body: bytes, headers: Mapping[str, str]
) -> None:
    """Refuse what Twilio refuses before it even reads the XML."""
    if status != 200:
        extra = ""
        if 300 <= status < 400:
            extra = f" (redirect to {headers.get('Location', '?')}: answer TwiML directly)"
        raise TwimlError(
            11200, f"HTTP retrieval failure: {where} answered {status}{extra}; body {snippet(body)}"
        )
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type not in XML_CONTENT_TYPES:
        raise TwimlError(
            12300,
            f"invalid Content-Type: {where} answered {content_type or '(none)'!r}, "
            f"TwiML must be text/xml or application/xml; body {snippet(body)}",
        )
    if len(body) > MAX_DOCUMENT_BYTES:
        raise TwimlError(
            11750, f"TwiML too large: {where} answered {len(body)} bytes, the limit is 64 kB"
        )


def parse_document(body: bytes, where: str) -> list[Verb]:
    """Parse a ``<Response>`` document into verbs, refusing what Twilio would refuse."""
    if not body.strip():
        raise TwimlError(12100, f"document parse failure: {where} answered an empty body")
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise TwimlError(
            12100,
            f"document parse failure: {where} answered malformed XML ({exc}); body {snippet(body)}",
        ) from None
    if root.tag != "Response":
        raise TwimlError(
            12100,
            f"document parse failure: {where} answered a <{root.tag}> root element, "
            "TwiML needs <Response>",
        )
    _refuse_stray_text(root, where)
    return [_read_verb(element, where, parent="Response") for element in root]


def _refuse_stray_text(element: ET.Element, where: str) -> None:
    # Twilio silently drops text outside a verb; the caller would hear nothing.
    texts = [element.text] + [child.tail for child in element]
    stray = " ".join(t.strip() for t in texts if t and t.strip())
    if stray:
        raise TwimlError(
            12100,
            f"document parse failure: {where} has text {snippet(stray)} directly inside "
            f"<{element.tag}>; the caller would hear nothing (wrap it in <Say>)",
        )


def _read_verb(element: ET.Element, where: str, parent: str) -> Verb:
    name = element.tag
    if name in UNSUPPORTED_VERBS:
        raise TwimlError(12100, f"{where}: <{name}> is TwiML the phone simulator does not support")
    if name not in SUPPORTED_VERBS:
        hint = next((v for v in SUPPORTED_VERBS if v.lower() == str(name).lower()), None)
        suggestion = f" (verbs are case-sensitive: <{hint}>)" if hint else ""
        raise TwimlError(
            12100, f"document parse failure: {where}: unknown TwiML verb <{name}>{suggestion}"
        )
    if parent == "Gather" and name not in GATHER_CHILDREN:
        raise TwimlError(
            12100,
            f"document parse failure: {where}: <{name}> inside <Gather>; "
            "only <Say>, <Play> and <Pause> may be nested there",
        )
    verb = Verb(name, dict(element.attrib))
    if name == "Say":
        # SSML (<break>, <prosody>, ...) may sit inside <Say>: the caller hears all its text.
        verb.text = " ".join("".join(element.itertext()).split())
    elif name == "Gather":
        _refuse_stray_text(element, where)
        verb.children = [_read_verb(child, where, parent="Gather") for child in element]
    elif name == "Dial":
        numbers = [" ".join("".join(child.itertext()).split()) for child in element]
        verb.text = " ".join(filter(None, [(element.text or "").strip(), *numbers]))
    else:
        if len(element):
            raise TwimlError(
                12100,
                f"document parse failure: {where}: <{name}> cannot contain <{element[0].tag}>",
            )
        verb.text = (element.text or "").strip()
    _check_attributes(verb, where)
    return verb


def _check_attributes(verb: Verb, where: str) -> None:
    # Twilio validates the whole document before running it, so a bad attribute in the
    # last verb fails the request (and reaches the fallback URL), not the verb.
    for name in _INT_ATTRIBUTES.get(verb.name, ()):
        int_attr(verb, name, None, where)
    for name in _BOOL_ATTRIBUTES.get(verb.name, ()):
        bool_attr(verb, name, where)
    if verb.name in ("Gather", "Record", "Redirect", "Dial"):
        method_attr(verb, where)
    if verb.name == "Gather":
        finish = verb.attributes.get("finishOnKey", "#")
        if len(finish) > 1 or (finish and finish not in "0123456789*#"):
            raise TwimlError(
                12100, f"{where}: <Gather finishOnKey={finish!r}> must be one key of 0-9, * or #"
            )
    if verb.name == "Record":
        finish = verb.attributes.get("finishOnKey", RECORD_FINISH_KEYS)
        if any(key not in RECORD_FINISH_KEYS for key in finish):
            raise TwimlError(
                12100, f"{where}: <Record finishOnKey={finish!r}> may hold only 0-9, * and #"
            )
    if verb.name == "Redirect" and not verb.text:
        raise TwimlError(12100, f"{where}: <Redirect> without a URL")
    if verb.name == "Play" and not verb.text and not verb.attributes.get("digits"):
        raise TwimlError(12100, f"{where}: <Play> without a URL (or digits)")
    if verb.name == "Reject":
        reason = verb.attributes.get("reason", "rejected")
        if reason not in ("rejected", "busy"):
            raise TwimlError(
                12100, f"{where}: <Reject reason={reason!r}> must be 'rejected' or 'busy'"
            )


def int_attr(verb: Verb, name: str, default: int | None, where: str) -> int | None:
    raw = verb.attributes.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise TwimlError(
            12100, f"{where}: <{verb.name} {name}={raw!r}> is not a whole number"
        ) from None
    if value < 0:
        raise TwimlError(12100, f"{where}: <{verb.name} {name}={raw!r}> is negative")
    return value


def bool_attr(verb: Verb, name: str, where: str) -> bool:
    raw = verb.attributes.get(name, "false").strip().lower()
    if raw not in ("true", "false"):
        raise TwimlError(12100, f"{where}: <{verb.name} {name}={raw!r}> must be true or false")
    return raw == "true"


def method_attr(verb: Verb, where: str) -> str:
    method = verb.attributes.get("method", "POST").strip().upper() or "POST"
    if method not in ("GET", "POST"):
        raise TwimlError(12100, f"{where}: <{verb.name} method={method!r}> must be GET or POST")
    return method


def lint(verbs: list[Verb]) -> list[str]:
    """Habits our design asks for that Twilio does not enforce (reported as warnings)."""
    warnings = []
    for index, verb in enumerate(verbs):
        if verb.name != "Gather":
            continue
        if "action" not in verb.attributes:
            warnings.append("<Gather> without an explicit action")
        following = verbs[index + 1].name if index + 1 < len(verbs) else None
        if following not in ("Redirect", "Hangup"):
            warnings.append(
                "<Gather> not followed by <Redirect> or <Hangup>: "
                f"silence goes on to {f'<{following}>' if following else 'the end of the call'}"
            )
    return warnings
