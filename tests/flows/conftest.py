from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from yachay.content.prompts import Prompts
from yachay.flows.call import CALL
from yachay.flows.engine import FlowContext, Timing
from yachay.flows.events import GatherKeys, Hangup, RecordVoice, Speak
from yachay.flows.resume import Keys, Recording, Silence
from yachay.flows.state import CallState

from .memory import MemoryTutor, MemoryWorld
from .sql_world import SqlWorld, migrated_template

PROMPTS_DIR = Path(__file__).resolve().parents[2] / "content" / "prompts"


@pytest.fixture(scope="session")
def prompts() -> Prompts:
    return Prompts.load(PROMPTS_DIR)


class Conversation:
    """Drives the pure engine turn by turn, feeding events into the memory world."""

    def __init__(
        self,
        world: MemoryWorld,
        prompts: Prompts,
        phone: str = "+51900000001",
        sid: str = "CA1",
        placed_for: int | None = None,
        purpose: str = "",
    ) -> None:
        self.world = world
        self.tutor = MemoryTutor(world)
        self.ctx = FlowContext(world, self.tutor, prompts, Timing(), bridged_calls=True)
        self.now = datetime(2026, 11, 25, 15, 0)
        self.state = CallState(call_sid=sid, phone=phone, placed_for=placed_for, purpose=purpose)
        self.turns: list[list] = []
        self._record(CALL.start(self.state, self.ctx, self.now))

    def _record(self, result) -> None:  # noqa: ANN001
        self.state = self.world.record(result.events, result.state, self.now)
        self.turns.append(result.events)

    def press(self, *keys: str) -> Conversation:
        for key in keys:
            self.now += timedelta(seconds=3)
            if key == "s":
                resume = Silence(self.now)
            elif key.startswith("r"):
                resume = Recording(
                    "https://api.twilio.com/rec/RE1",
                    f"RE{len(self.turns)}",
                    int(key[1:] or 5),
                    self.now,
                )
            else:
                resume = Keys(key, self.now)
            self._record(CALL.resume(self.state, resume, self.ctx))
        return self

    @property
    def last(self) -> list:
        return self.turns[-1]

    def said(self, turn: int = -1) -> str:
        return " ".join(e.text for e in self.turns[turn] if isinstance(e, Speak))

    @property
    def wait(self):  # noqa: ANN201
        return self.last[-1]

    @property
    def hung_up(self) -> bool:
        return isinstance(self.wait, Hangup)


@pytest.fixture(scope="session")
def sql_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return migrated_template(tmp_path_factory.mktemp("flows-template"))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "world" in metafunc.fixturenames:
        only_memory = metafunc.definition.get_closest_marker("memory_world") is not None
        params = ["memory"] if only_memory else ["memory", "sql"]
        metafunc.parametrize("world", params, indirect=True)


@pytest.fixture
def world(
    request: pytest.FixtureRequest, sql_template: Path, tmp_path: Path
) -> Iterator[MemoryWorld | SqlWorld]:
    """Each flow test runs twice: on the hand-written memory world, and on the real
    catalog and event recorder over a real database. Parents' and teachers' flows (marked
    ``memory_world``) run on the memory world only: tests/e2e/test_adult_calls.py runs
    them through the real catalog and recorder, as whole calls."""
    w = MemoryWorld() if request.param == "memory" else SqlWorld(sql_template, tmp_path)
    w.add_lesson("g3-a", grade=3, segments=3, questions=4)
    w.add_lesson("g3-b", grade=3, segments=3, questions=4)
    w.add_lesson("g4-a", grade=4, segments=2, questions=2)
    yield w
    if isinstance(w, SqlWorld):
        w.close()


@pytest.fixture
def converse(world: MemoryWorld, prompts: Prompts):  # noqa: ANN201
    def start(
        phone: str = "+51900000001",
        sid: str = "CA1",
        placed_for: int | None = None,
        purpose: str = "",
    ) -> Conversation:
        """A call from `phone`; with `placed_for`, a call Yachay placed for that student."""
        return Conversation(world, prompts, phone, sid, placed_for, purpose)

    return start


__all__ = ["Conversation", "GatherKeys", "RecordVoice"]
