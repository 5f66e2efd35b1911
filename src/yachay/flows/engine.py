"""The pure flow engine: (state, what the caller did) -> (events, new state).

A call is a walk over nodes. Entering a node emits what the caller hears and ends either
in a wait (keys, a recording) or by moving to another node. The caller's next input goes
to the node that is waiting. No Flask, no TwiML, no database: the catalog answers the
read-only questions, the tutor chooses questions, and everything that must be stored
leaves as a domain event.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from yachay.content.prompts import BASE_LANGUAGE, Prompts
from yachay.flows.events import (
    AnswerGraded,
    DialNumber,
    Event,
    GatherKeys,
    Hangup,
    RecordVoice,
    Speak,
    Wait,
)
from yachay.flows.ports import Catalog, Texts, Tutor
from yachay.flows.resume import Keys, Recording, Resume, Silence
from yachay.flows.speech import heard_seconds, text_seconds
from yachay.flows.state import CallState

#: Moves between nodes allowed in one turn; more means a flow loops without waiting.
MAX_MOVES = 50


class FlowError(RuntimeError):
    pass


@dataclass(frozen=True)
class Timing:
    """How long each kind of wait listens, in seconds."""

    menu: int = 6
    segment: int = 2
    question: int = 10
    record_max: int = 60


@dataclass(frozen=True)
class FlowContext:
    catalog: Catalog
    tutor: Tutor
    prompts: Prompts
    timing: Timing = field(default_factory=Timing)
    #: Whether a teacher can be bridged to a student (the school's caller id is set).
    bridged_calls: bool = False
    #: How long a prompt is spoken, in seconds (the server may know a recording's duration;
    #: the default estimates from the text: `speech.text_seconds`).
    spoken_seconds: Callable[[Speak], float] = text_seconds


@dataclass(frozen=True)
class TurnResult:
    events: list[Event]
    state: CallState

    @property
    def wait(self) -> Wait:
        last = self.events[-1]
        assert isinstance(last, GatherKeys | RecordVoice | Hangup | DialNumber)
        return last


class Node(Protocol):
    name: str

    def enter(self, turn: Turn) -> None: ...

    def on_keys(self, turn: Turn, digits: str) -> None: ...

    def on_silence(self, turn: Turn) -> None: ...

    def on_recording(self, turn: Turn, recording: Recording) -> None: ...


class Turn:
    """One stretch of a call, from an input to the next wait; nodes act through it."""

    def __init__(
        self, state: CallState, ctx: FlowContext, nodes: Mapping[str, Node], now: datetime
    ) -> None:
        self.state = state
        self.ctx = ctx
        self.now = now
        self.events: list[Event] = []
        self._nodes = nodes
        self._moves = 0
        self._waiting = False

    # -- what the caller hears --------------------------------------------------------

    @property
    def catalog(self) -> Catalog:
        return self.ctx.catalog

    @property
    def tutor(self) -> Tutor:
        return self.ctx.tutor

    @property
    def graded(self) -> Sequence[AnswerGraded]:
        """The answers graded so far in this turn: storage has not seen them yet."""
        return [e for e in self.events if isinstance(e, AnswerGraded)]

    @property
    def timing(self) -> Timing:
        return self.ctx.timing

    def say(self, prompt: str, language: str | None = None, /, **values: object) -> None:
        lang = language or self.state.language
        if lang not in self.ctx.prompts.languages:
            lang = BASE_LANGUAGE
        text = self.ctx.prompts.text(prompt, lang, **values)
        self.events.append(Speak(text, lang, private="name" in values))

    def speak(
        self, texts: Texts, audio: Mapping[str, str] | None = None, slow: bool = False
    ) -> None:
        """Content text in the caller's language, or in Spanish where it has none yet."""
        lang = self.state.language if self.state.language in texts else BASE_LANGUAGE
        self.events.append(Speak(texts[lang], lang, (audio or {}).get(lang), slow))

    def has_text(self, texts: Texts) -> bool:
        return self.state.language in texts

    def emit(self, event: Event) -> None:
        self.events.append(event)

    def heard_seconds(self) -> float:
        """How long the caller listens to what this turn has said so far."""
        return heard_seconds(self.events, self.ctx.spoken_seconds)

    # -- where the call goes ----------------------------------------------------------

    def goto(self, node: str, **values: object) -> None:
        self._moves += 1
        if self._moves > MAX_MOVES:
            raise FlowError(f"more than {MAX_MOVES} moves without waiting, last to {node!r}")
        self.state.node = node
        self.state.vars = dict(values)
        self.state.misses = 0
        self._nodes[node].enter(self)

    def repeat(self) -> None:
        """Enter the current node again, keeping its values and the count of silences."""
        self._moves += 1
        if self._moves > MAX_MOVES:
            raise FlowError(f"more than {MAX_MOVES} moves without waiting at {self.state.node!r}")
        self._nodes[self.state.node].enter(self)

    def wait_keys(self, timeout: int, max_digits: int = 1) -> None:
        self._end(GatherKeys(timeout=timeout, max_digits=max_digits))

    def wait_recording(self, max_seconds: int) -> None:
        self._end(RecordVoice(max_seconds=max_seconds))

    def dial(self, number: str) -> None:
        """Bridge the caller to `number`; the node hears `on_silence` when that call ends."""
        self._end(DialNumber(number))

    def hang_up(self) -> None:
        self._end(Hangup())

    def _end(self, wait: Wait) -> None:
        if self._waiting:
            raise FlowError(f"node {self.state.node!r} waits twice in one turn")
        self._waiting = True
        self.events.append(wait)

    def result(self) -> TurnResult:
        if not self._waiting:
            raise FlowError(f"node {self.state.node!r} ended a turn without waiting")
        return TurnResult(self.events, self.state)


class Engine:
    def __init__(self, nodes: Mapping[str, Node], start_node: str) -> None:
        self.nodes = dict(nodes)
        if start_node not in self.nodes:
            raise FlowError(f"unknown start node {start_node!r}")
        self.start_node = start_node

    def start(self, state: CallState, ctx: FlowContext, now: datetime) -> TurnResult:
        turn = Turn(copy.deepcopy(state), ctx, self.nodes, now)
        turn.goto(self.start_node)
        return turn.result()

    def resume(
        self, state: CallState, resume: Resume, ctx: FlowContext, now: datetime | None = None
    ) -> TurnResult:
        turn = Turn(copy.deepcopy(state), ctx, self.nodes, now or resume.at)
        node = self.nodes.get(state.node)
        if node is None:
            raise FlowError(f"the call is at unknown node {state.node!r}")
        if isinstance(resume, Keys):
            node.on_keys(turn, resume.digits)
        elif isinstance(resume, Recording):
            node.on_recording(turn, resume)
        elif isinstance(resume, Silence):
            node.on_silence(turn)
        else:  # pragma: no cover - the Resume union is closed
            raise FlowError(f"unknown resume {resume!r}")
        return turn.result()
