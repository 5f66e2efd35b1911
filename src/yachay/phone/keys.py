"""What the caller does at each <Gather> or <Record>: the key-token grammar and key sources.

Grammar of one token (case of the letters does not matter):

=========  ===========================================================================
``1``      digits, ``*`` and ``#`` typed at a <Gather>: ``1``, ``12``, ``*``, ``123#``
``s``      stay silent until the timeout (<Gather> and <Record>)
``h``      hang up (<Gather> and <Record>)
``r``      speak for 5 seconds, then press the finishing key (<Record> only)
``r7``     speak for 7 seconds, then press the finishing key (<Record> only)
``v:hola`` say "hola" to a speech <Gather> (``input`` contains ``speech``)
=========  ===========================================================================

A script is a sequence of tokens; in the command line they are separated by commas.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

KeyKind = Literal["digits", "silence", "hangup", "record", "speech"]

#: Seconds a caller speaks for a bare ``r``.
DEFAULT_RECORD_SECONDS = 5

_DIGITS = re.compile(r"[0-9*#]+")
_RECORD = re.compile(r"r(\d*)")


@dataclass(frozen=True)
class KeyToken:
    """One parsed token; ``raw`` is what the script said."""

    raw: str
    kind: KeyKind
    digits: str = ""
    seconds: int = 0
    speech: str = ""


def parse_key(token: str) -> KeyToken:
    """Read one token of the grammar above; ``ValueError`` says what is accepted."""
    raw = token
    token = token.strip()
    lowered = token.lower()
    if _DIGITS.fullmatch(token):
        return KeyToken(raw, "digits", digits=token)
    if lowered == "s":
        return KeyToken(raw, "silence")
    if lowered == "h":
        return KeyToken(raw, "hangup")
    match = _RECORD.fullmatch(lowered)
    if match:
        seconds = int(match.group(1)) if match.group(1) else DEFAULT_RECORD_SECONDS
        if seconds < 1:
            raise ValueError(f"key {raw!r}: a recording lasts at least 1 second (r1, r5, ...)")
        return KeyToken(raw, "record", seconds=seconds)
    if lowered.startswith("v:") and token[2:].strip():
        return KeyToken(raw, "speech", speech=token[2:].strip())
    raise ValueError(
        f"key {raw!r} is not understood: use digits/*/# (e.g. 1, 12#), s (silence), "
        "h (hang up), r or r7 (record 7 s), v:words (speech)"
    )


def parse_script(script: str) -> list[str]:
    """Split a comma-separated script such as ``"1,3,s,r5"``, checking every token."""
    tokens = [part.strip() for part in script.split(",")]
    if tokens == [""]:
        return []
    for position, token in enumerate(tokens, start=1):
        if not token:
            raise ValueError(f"key #{position} of {script!r} is empty (two commas in a row?)")
        parse_key(token)
    return tokens


@dataclass(frozen=True)
class KeyPrompt:
    """What a key source is told when the call waits for the caller."""

    #: ``"gather"`` or ``"record"``.
    kind: Literal["gather", "record"]
    #: The verb's attributes as written in the TwiML.
    attributes: Mapping[str, str]
    #: URL of the TwiML document that holds the verb.
    url: str
    #: Texts said (and URLs played) since the last input, so an interactive
    #: caller or a smart script knows which menu it is in.
    heard: tuple[str, ...] = ()
    #: Tokens the caller may use here, for prompts and error messages.
    accepts: tuple[str, ...] = field(default=())


@runtime_checkable
class KeySource(Protocol):
    """Anything that gives the caller's next token, or ``None`` to hang up."""

    def next_key(self, prompt: KeyPrompt) -> str | None: ...


class ScriptedKeys:
    """A fixed list of tokens, consumed in order; ``None`` once it runs out."""

    def __init__(self, tokens: Iterable[str]) -> None:
        self.tokens = list(tokens)
        for token in self.tokens:
            parse_key(token)
        self.position = 0

    def next_key(self, prompt: KeyPrompt) -> str | None:
        if self.position >= len(self.tokens):
            return None
        token = self.tokens[self.position]
        self.position += 1
        return token

    @property
    def remaining(self) -> list[str]:
        return self.tokens[self.position :]


class _CallableKeys:
    def __init__(self, function: Callable[[KeyPrompt], str | None]) -> None:
        self.function = function

    def next_key(self, prompt: KeyPrompt) -> str | None:
        return self.function(prompt)


KeysLike = KeySource | Callable[[KeyPrompt], "str | None"] | Iterable[str] | str


def as_key_source(keys: KeysLike) -> KeySource:
    """Accept a script (``"1,3,s"`` or ``["1", "3", "s"]``), a callable or a key source."""
    if isinstance(keys, str):
        return ScriptedKeys(parse_script(keys))
    if isinstance(keys, KeySource):
        return keys
    if callable(keys):
        return _CallableKeys(keys)
    return ScriptedKeys(keys)
