"""Households with hidden reachability, called every day inside their window: does
learning the best time answer more calls than ringing at a fixed hour?

Each household has a window (2-4 hours between 14:00 and 20:00) and, hidden from the
caller, a chance that a call is answered in each half hour: low most of the day (the
child is out, the phone is in the fields, there is no signal), high for an hour or so
(home, or on the hill with coverage), with the peak anywhere in the window. Every day the
household gets a lesson call with up to 3 tries (the retry spacing of production); each
try's outcome is what the policy learns from. Policies:

- fixed start: ring at the window's start (what a plain cron job does);
- fixed middle: ring in the middle of the window;
- learned: `best_time.choose_minute` over the household's past tries (what runs);
- oracle: ring at the hidden best half hour.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from yachay.outreach.best_time import SLOT_MINUTES, Observation, choose_minute, slot_of
from yachay.outreach.hours import Window

Policy = Callable[["Household", list[Observation], random.Random], int]


@dataclass(frozen=True)
class Household:
    window: Window
    #: slot -> chance a call then is answered (hidden from every policy but the oracle)
    reach: dict[int, float]

    def answers(self, minute: int, rng: random.Random) -> bool:
        return rng.random() < self.reach.get(slot_of(minute), 0.05)


def make_households(count: int, rng: random.Random) -> list[Household]:
    out = []
    for _ in range(count):
        start = rng.choice(range(14 * 60, 17 * 60 + 1, 30))
        end = min(20 * 60, start + rng.choice((120, 180, 240)))
        window = Window(start, end)
        base = rng.uniform(0.05, 0.25)
        peak_slot = slot_of(rng.randrange(start, end))
        peak = rng.uniform(0.6, 0.95)
        reach = {}
        for slot in range(slot_of(12 * 60), slot_of(22 * 60)):
            distance = abs(slot - peak_slot)
            reach[slot] = peak if distance == 0 else (peak + base) / 2 if distance == 1 else base
        out.append(Household(window, reach))
    return out


def fixed_start(household: Household, seen: list[Observation], rng: random.Random) -> int:
    return household.window.start


def fixed_middle(household: Household, seen: list[Observation], rng: random.Random) -> int:
    w = household.window
    return (w.start + w.end) // 2 // SLOT_MINUTES * SLOT_MINUTES


def learned(household: Household, seen: list[Observation], rng: random.Random) -> int:
    minute = choose_minute(seen, household.window, rng)
    assert minute is not None
    return minute


def oracle(household: Household, seen: list[Observation], rng: random.Random) -> int:
    w = household.window
    slots = [s for s in household.reach if w.start <= s * SLOT_MINUTES < w.end]
    return max(w.start, max(slots, key=lambda s: household.reach[s]) * SLOT_MINUTES)


POLICIES: dict[str, Policy] = {
    "fixed start": fixed_start,
    "fixed middle": fixed_middle,
    "learned": learned,
    "oracle": oracle,
}


@dataclass(frozen=True)
class Result:
    policy: str
    tries: int
    answered: int
    days: int
    days_reached: int

    @property
    def answer_rate(self) -> float:
        return self.answered / self.tries if self.tries else 0.0

    @property
    def reached_rate(self) -> float:
        return self.days_reached / self.days if self.days else 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "policy": self.policy,
            "tries": self.tries,
            "answered": self.answered,
            "answer_rate": round(self.answer_rate, 3),
            "days": self.days,
            "days_reached": self.days_reached,
            "reached_rate": round(self.reached_rate, 3),
            "tries_per_lesson_reached": round(self.tries / max(1, self.days_reached), 2),
        }


def simulate(
    households: int = 200,
    days: int = 60,
    seed: int = 0,
    retry_minutes: tuple[int, ...] = (10, 30),
    policies: dict[str, Policy] | None = None,
) -> list[Result]:
    """The same households and the same luck (per policy) for every policy."""
    results = []
    for name, policy in (policies or POLICIES).items():
        homes = make_households(households, random.Random(seed))
        luck = random.Random(f"{seed}|answers")
        choices = random.Random(f"{seed}|choices")
        tries = answered = reached = 0
        for home in homes:
            seen: list[Observation] = []
            for _day in range(days):
                minute = policy(home, seen, choices)
                offsets = (0, *(sum(retry_minutes[: i + 1]) for i in range(len(retry_minutes))))
                for offset in offsets:
                    at = minute + offset
                    if at >= home.window.end:
                        break
                    tries += 1
                    ok = home.answers(at, luck)
                    seen.append(Observation(at, ok))
                    if ok:
                        answered += 1
                        reached += 1
                        break
        results.append(Result(name, tries, answered, households * days, reached))
    return results


def table(results: list[Result]) -> str:
    """A Markdown table, the README's."""
    lines = [
        "| policy | tries | answered | answer rate | days reached | tries per day reached |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        d = r.as_dict()
        lines.append(
            f"| {r.policy} | {r.tries} | {r.answered} | {d['answer_rate']:.3f} | "
            f"{d['reached_rate']:.3f} | {d['tries_per_lesson_reached']} |"
        )
    return "\n".join(lines)
