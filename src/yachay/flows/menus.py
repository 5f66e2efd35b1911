"""Keypad menus: the behaviour every menu shares, and menus that are plain data.

`*` repeats, an invalid key says so and asks again, silence repeats the prompt twice and
then takes the menu's fallback.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from yachay.flows.engine import Turn
from yachay.flows.resume import Recording

#: Times a prompt is repeated after silence before the fallback.
SILENCE_REPEATS = 2


class KeyMenu:
    """Base for nodes that wait for one key; subclasses say the prompt and route keys."""

    name: str

    def prompt(self, turn: Turn) -> None:
        raise NotImplementedError

    def choose(self, turn: Turn, key: str) -> bool:
        """Act on a key; False when the key means nothing here."""
        raise NotImplementedError

    def fallback(self, turn: Turn) -> None:
        raise NotImplementedError

    def timeout(self, turn: Turn) -> int:
        return turn.timing.menu

    def enter(self, turn: Turn) -> None:
        self.prompt(turn)
        turn.wait_keys(self.timeout(turn))

    def on_keys(self, turn: Turn, digits: str) -> None:
        key = digits[:1]
        if key == "*":
            turn.repeat()
        elif not key or not self.choose(turn, key):
            turn.say("invalid_key")
            turn.repeat()

    def on_silence(self, turn: Turn) -> None:
        if turn.state.misses < SILENCE_REPEATS:
            turn.state.misses += 1
            turn.say("no_input")
            turn.repeat()
        else:
            self.fallback(turn)

    def on_recording(self, turn: Turn, recording: Recording) -> None:
        self.on_silence(turn)


@dataclass(frozen=True)
class Menu(KeyMenu):
    """A menu that is only data: a prompt, where each key leads, and where silence ends."""

    name: str
    prompt_key: str
    routes: Mapping[str, str]
    on_silence_goto: str

    def prompt(self, turn: Turn) -> None:
        turn.say(self.prompt_key)

    def choose(self, turn: Turn, key: str) -> bool:
        if key not in self.routes:
            return False
        turn.goto(self.routes[key])
        return True

    def fallback(self, turn: Turn) -> None:
        turn.goto(self.on_silence_goto)
