"""When to ring a household: learned from the calls that reached it and those that did not.

Each half hour of the day is a slot with a Beta belief about the chance a call then is
answered (Beta(1, 1) before any call). Signal comes and goes with where a family is (the
fields, the school, the hill with coverage), so an observation also counts, at half
weight, for the slots next to its own. Every day the call goes to a slot of the chosen
window drawn by Thompson sampling: the slot whose sampled chance is highest. Slots never
tried keep being tried now and then, and one a family stops answering at loses its turn.
Calls the household makes to us count as answered at their hour: the phone had signal.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from yachay.outreach.hours import Window

SLOT_MINUTES = 30
#: How much an observation tells about the neighbouring slots.
NEIGHBOUR_WEIGHT = 0.5


@dataclass(frozen=True)
class Observation:
    minute: int  # local minutes after midnight
    answered: bool


def slot_of(minute: int) -> int:
    return minute // SLOT_MINUTES


def window_slots(window: Window) -> list[int]:
    """Slots whose start lies in the window (a call placed then rings inside it)."""
    first = -(-window.start // SLOT_MINUTES)  # the first slot starting at or after start
    return [s for s in range(first, slot_of(window.end - 1) + 1) if s * SLOT_MINUTES < window.end]


def beliefs(observations: Iterable[Observation]) -> dict[int, tuple[float, float]]:
    """slot -> (answered, not answered), weighted, neighbours included."""
    counts: dict[int, list[float]] = {}
    for obs in observations:
        slot = slot_of(obs.minute)
        near = ((slot, 1.0), (slot - 1, NEIGHBOUR_WEIGHT), (slot + 1, NEIGHBOUR_WEIGHT))
        for other, weight in near:
            cell = counts.setdefault(other, [0.0, 0.0])
            cell[0 if obs.answered else 1] += weight
    return {slot: (a, b) for slot, (a, b) in counts.items()}


def choose_minute(
    observations: Iterable[Observation],
    window: Window,
    rng: random.Random,
    allowed: Callable[[int], bool] = lambda minute: True,
) -> int | None:
    """The minute of the day to place today's call at: the start of the chosen slot (or of
    the window, if it starts inside that slot), among the slots whose start is `allowed`
    (outside quiet hours); None when there is none."""
    counts = beliefs(observations)
    best_slot, best_draw = None, -1.0
    for slot in window_slots(window):
        if not allowed(max(window.start, slot * SLOT_MINUTES)):
            continue
        answered, missed = counts.get(slot, (0.0, 0.0))
        draw = rng.betavariate(1.0 + answered, 1.0 + missed)
        if draw > best_draw:
            best_slot, best_draw = slot, draw
    if best_slot is None:
        return None
    return max(window.start, best_slot * SLOT_MINUTES)


def expected_answer_rates(observations: Iterable[Observation], window: Window) -> dict[int, float]:
    """slot start minute -> the belief's mean: what the schedule command shows."""
    counts = beliefs(observations)
    return {
        slot * SLOT_MINUTES: (1.0 + counts.get(slot, (0, 0))[0])
        / (2.0 + sum(counts.get(slot, (0, 0))))
        for slot in window_slots(window)
    }
