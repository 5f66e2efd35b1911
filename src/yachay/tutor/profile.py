"""A learner profile a teacher can read: how a child learns, from their answers alone.

`learner_profile` reads one student's answers (oldest first, with their times) and the
catalog, and estimates:

- **learning speed**: how fast the child's level on a skill climbs with practice. Each
  answer places the child on the skill's scale: the question's difficulty (1-5), plus one
  if right and minus one if wrong. The speed is the mean, over the skills practised at
  least `MIN_ANSWERS` times, of that level's least-squares slope per answer over the
  skill's first `CLIMB` answers (later ones are mostly reviews, which start lower after a
  holiday: forgetting, not slow learning). An adaptive tutor keeps success near 70 %, so
  the signal is mostly in how fast the questions it picks get harder; a fixed course keeps
  the difficulty, and then it is in the answers.
- **forgetting**: how much of a skill the child loses over a break of `BREAK_DAYS` or more
  (a holiday, a week without calling). Each answer gives a reading of the child's level on
  the skill (`_readings`): the question's difficulty, plus how quickly it was answered
  within the child's own range of times, a little more if right. On each return to a skill
  after a break, the loss is the level at the end of the previous call minus the level at
  the start of the new one (the means of `EDGE` readings each side, moved by the child's
  usual gain per answer, so that what they learn during those answers is not read as
  remembering). The losses are summed and divided by what a child would lose whose
  memory of a skill lasts `STABILITY_DAYS` per day they practised it (the spacing effect):
  the level reached times ``1 - exp(-days away / (STABILITY_DAYS x days practised))``. At
  least `RECENT` returns, else None. A relative number: the teacher only hears it
  compared with the class;
- **pace**: the median response time, in seconds;
- **care**: the share of wrong answers given quickly (in less than half the child's
  median time) — hurried mistakes, not gaps;
- **strongest and weakest areas**: the skills with the highest and lowest mean level
  (among those with at least 3 answers).

`describe` turns a profile into a few Spanish sentences, comparing the child with their
class when the class's profiles are given. `simulation.profile_check` checks the speed and
forgetting estimates against the simulated children's hidden ones (README).
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from yachay.tutor.domain import AnswerEvent, Catalog, as_utc

__all__ = ["LearnerProfile", "describe", "learner_profile"]

MIN_ANSWERS = 6
RECENT = 3
#: The answers on a skill whose climb is the learning speed.
CLIMB = 20
#: A return to a skill after at least this many days is read for forgetting: after a
#: night, too little is forgotten to tell from the noise of single answers.
BREAK_DAYS = 4.0
#: How long a child's memory of a skill lasts (the time constant of its exponential fall),
#: in days per day they practised it: the expected loss that losses are compared with.
#: Both numbers were chosen on the simulation's school year (seeds 0 and 1, adaptive
#: policy): 5 days and 3 gave 0.52 and 0.49 once that policy asked at most one review a
#: round; 4 and 20 give 0.65 and 0.56, and nearby values within 0.03.
STABILITY_DAYS = 20.0
#: Readings on each side of a break that are averaged.
EDGE = 3
#: Logit of the speed share per difficulty level, and the share's clip (one answer's
#: reading stays within about 3 levels of its question's difficulty).
SPEED_PER_LEVEL = 1.5
SPEED_CLIP = 0.01
#: Times above this many medians of the child's are read as their slowest.
SLOWEST = 4
#: What a right (wrong) answer adds to (takes from) a timed reading, in levels.
RIGHT_BONUS = 0.2


@dataclass(frozen=True)
class LearnerProfile:
    answers: int
    #: Levels (difficulty +- 1) gained per answer on a skill; None with too few answers.
    learning_speed: float | None
    #: Level lost over breaks of `BREAK_DAYS` or more, over what a child with memories of
    #: `STABILITY_DAYS` per day of practice would lose (a relative number: compare
    #: children); None with fewer than `RECENT` such returns.
    forgetting: float | None
    #: Median response time in seconds; None without times.
    median_seconds: float | None
    #: Share of wrong answers given in under half the median time; None without times.
    hurried_mistakes: float | None
    strongest: str | None
    weakest: str | None


def _level(catalog: Catalog, event: AnswerEvent) -> float:
    item = catalog.item.get(event.item_id)
    difficulty = item.difficulty if item is not None else 3
    return difficulty + (1.0 if event.correct else -1.0)


def _slope(values: Sequence[float]) -> float:
    n = len(values)
    mean_x = (n - 1) / 2
    mean_y = sum(values) / n
    num = sum((x - mean_x) * (y - mean_y) for x, y in enumerate(values))
    den = sum((x - mean_x) ** 2 for x in range(n))
    return num / den


def _days(a: AnswerEvent, b: AnswerEvent) -> float:
    return (as_utc(b.at) - as_utc(a.at)).total_seconds() / 86400


def _readings(answers: Sequence[AnswerEvent], catalog: Catalog) -> dict[int, float]:
    """Each answer's reading of the child's level on its skill, by ``id`` of the answer.

    Timed: the difficulty, plus the logit of the *speed share* (1 for the child's quickest
    answer, 0 for their slowest) over `SPEED_PER_LEVEL`, plus or minus `RIGHT_BONUS`: a
    quick answer to a hard question says more than a right one. Untimed (or all times
    alike): the difficulty plus one if right, minus one if wrong, as `_level`."""
    times = [e.response_ms for e in answers if e.response_ms is not None and e.response_ms >= 0]
    # Times over `SLOWEST` medians are left out of the range: a child who put the phone
    # down for a minute says nothing of their level, and would squeeze every other reading.
    usual = [t for t in times if t <= SLOWEST * statistics.median(times)] if times else [0]
    quick, slow = min(usual), max(usual)
    out = {}
    for event in answers:
        if event.response_ms is None or event.response_ms < 0 or slow <= quick:
            out[id(event)] = _level(catalog, event)
            continue
        share = (slow - event.response_ms) / (slow - quick)
        share = min(max(share, SPEED_CLIP), 1 - SPEED_CLIP)
        item = catalog.item.get(event.item_id)
        difficulty = item.difficulty if item is not None else 3
        bonus = RIGHT_BONUS if event.correct else -RIGHT_BONUS
        out[id(event)] = difficulty + math.log(share / (1 - share)) / SPEED_PER_LEVEL + bonus
    return out


def _calls(events: Sequence[AnswerEvent]) -> list[list[AnswerEvent]]:
    """A skill's answers split where half a day or more passes between two of them."""
    calls: list[list[AnswerEvent]] = []
    for event in events:
        if calls and _days(calls[-1][-1], event) < 0.5:
            calls[-1].append(event)
        else:
            calls.append([event])
    return calls


def _forgetting(
    by_skill: dict[str, list[AnswerEvent]], catalog: Catalog, answers: Sequence[AnswerEvent]
) -> float | None:
    """Level lost over breaks, over the loss expected (see the module docstring)."""
    level = _readings(answers, catalog)
    calls = {skill: _calls(events) for skill, events in by_skill.items()}
    # The child's usual gain per answer within a call (their learning, in reading levels).
    steps = [
        level[id(b)] - level[id(a)]
        for skill_calls in calls.values()
        for call in skill_calls
        for a, b in zip(call, call[1:], strict=False)
    ]
    gain = statistics.mean(steps) if steps else 0.0
    lost = expected = 0.0
    returns = 0
    for skill_calls in calls.values():
        pairs = zip(skill_calls, skill_calls[1:], strict=False)
        for practised, (before, after) in enumerate(pairs, 1):
            away = _days(before[-1], after[0])
            if away < BREAK_DAYS:
                continue
            end, start = before[-EDGE:], after[:EDGE]
            left = statistics.mean(level[id(e)] for e in end) + gain * (len(end) - 1) / 2
            back = statistics.mean(level[id(e)] for e in start) - gain * (len(start) - 1) / 2
            lost += left - back
            expected += max(left, 0.1) * (1 - math.exp(-away / (STABILITY_DAYS * practised)))
            returns += 1
    return lost / expected if returns >= RECENT else None


def learner_profile(answers: Sequence[AnswerEvent], catalog: Catalog) -> LearnerProfile:
    """The profile of one student from their answers, oldest first."""
    by_skill: dict[str, list[AnswerEvent]] = defaultdict(list)
    for event in answers:
        item = catalog.item.get(event.item_id)
        if item is not None and item.skills:
            by_skill[item.skills[0]].append(event)
    slopes = [
        _slope([_level(catalog, e) for e in events[:CLIMB]])
        for events in by_skill.values()
        if len(events) >= MIN_ANSWERS
    ]
    forgetting = _forgetting(by_skill, catalog, answers)
    times = [e.response_ms for e in answers if e.response_ms is not None and e.response_ms >= 0]
    median = statistics.median(times) if times else None
    hurried = None
    if median is not None:
        wrong = [e for e in answers if not e.correct and e.response_ms is not None]
        if wrong:
            hurried = sum(e.response_ms < median / 2 for e in wrong) / len(wrong)
    levels = {
        skill: sum(_level(catalog, e) for e in events) / len(events)
        for skill, events in by_skill.items()
        if len(events) >= 3
    }
    ordered = sorted(levels, key=lambda s: (levels[s], s))
    return LearnerProfile(
        answers=len(answers),
        learning_speed=sum(slopes) / len(slopes) if slopes else None,
        forgetting=forgetting,
        median_seconds=None if median is None else median / 1000,
        hurried_mistakes=hurried,
        strongest=ordered[-1] if len(ordered) >= 2 else None,
        weakest=ordered[0] if len(ordered) >= 2 else None,
    )


def _rank(value: float | None, others: Sequence[float | None]) -> str | None:
    """ "más que", "como" or "menos que" the class (middle half: "como")."""
    known = sorted(v for v in others if v is not None)
    if value is None or len(known) < 4:
        return None
    below = sum(v < value for v in known) / len(known)
    return "más" if below > 0.75 else "menos" if below < 0.25 else "como"


def describe(
    profile: LearnerProfile,
    catalog: Catalog,
    classmates: Sequence[LearnerProfile] = (),
    areas: bool = True,
) -> list[str]:
    """A few sentences in Spanish for the teacher (or a parent), comparing with the class.
    Without ``areas``, no sentence on the strongest and weakest areas (a parent's call names
    them from the tutor's skill report, which may pick other skills)."""
    if profile.answers < MIN_ANSWERS:
        return ["Todavía respondió muy pocas preguntas para describir cómo aprende."]
    out = []
    speed = _rank(profile.learning_speed, [p.learning_speed for p in classmates])
    if speed == "más":
        out.append("Aprende rápido: avanza a preguntas más difíciles antes que la mayoría.")
    elif speed == "menos":
        out.append("Aprende a su ritmo: necesita más práctica que la mayoría en cada tema.")
    elif speed == "como":
        out.append("Aprende al ritmo de la mayoría de su clase.")
    forgets = _rank(profile.forgetting, [p.forgetting for p in classmates])
    if forgets == "más":
        out.append("Olvida pronto lo que no practica: le ayuda repasar seguido.")
    elif forgets == "menos":
        out.append("Recuerda bien lo aprendido aunque pasen días sin practicar.")
    if profile.median_seconds is not None:
        out.append(f"Suele responder en unos {round(profile.median_seconds)} segundos.")
    if profile.hurried_mistakes is not None and profile.hurried_mistakes >= 0.5:
        out.append("Muchos de sus errores son apurados: vale la pena pedirle que piense con calma.")
    if areas and profile.strongest and profile.weakest:
        strong, weak = (
            catalog.skill[s].name if s in catalog.skill else s
            for s in (profile.strongest, profile.weakest)
        )
        out.append(f"Su tema más fuerte es «{strong}»; el que más le cuesta, «{weak}».")
    return out
