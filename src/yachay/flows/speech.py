"""How long the caller listens to what a turn says: the start of their response time.

A question's time runs from when its last choice has been heard, not from when the reply
left the server: the child cannot answer what they have not heard, and a long question
would otherwise read as a slow child. The server knows how long each prompt lasts (a
recording's duration, or synthesis at the voice's rate); the flows are handed that
knowledge through `FlowContext.spoken_seconds` and never import the voice layer.
"""

from __future__ import annotations

from collections.abc import Iterable

from yachay.flows.events import Speak

__all__ = ["CHARACTERS_PER_SECOND", "SLOW_FACTOR", "heard_seconds", "text_seconds"]

#: Synthesised Spanish at the voice's normal rate: about 150 words a minute, 14 characters
#: a second with the spaces (Polly's neural Spanish voices, measured on our prompts).
CHARACTERS_PER_SECOND = 14.0
#: Prompts read slowly (stories) take this much longer.
SLOW_FACTOR = 1.5
#: Twilio's pause between two <Say> elements.
PAUSE_SECONDS = 0.3


def text_seconds(event: Speak) -> float:
    """An estimate of how long ``event`` is spoken, from its text at the voice's rate."""
    seconds = len(event.text) / CHARACTERS_PER_SECOND
    return seconds * SLOW_FACTOR if event.slow else seconds


def heard_seconds(events: Iterable[object], spoken_seconds=text_seconds) -> float:  # noqa: ANN001
    """Seconds the caller listens to the `Speak` events among ``events``, in order."""
    spoken = [spoken_seconds(e) for e in events if isinstance(e, Speak)]
    return sum(spoken) + PAUSE_SECONDS * max(0, len(spoken) - 1)
