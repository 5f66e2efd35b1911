"""A learner profile a teacher can read: how a child learns, from their answers alone.

`learner_profile` reads one student's answers (oldest first, with their times) and the
catalog, and estimates:

- **learning speed**: how fast the child's level on a skill climbs with practice. Each
  answer places the child on the skill's scale: the question's difficulty (1-5), plus one
  if right and minus one if wrong. The speed is the mean, over the skills practised at
  least `MIN_ANSWERS` times, of that level's least-squares slope per answer. An adaptive
  tutor keeps success near 70 %, so the signal is mostly in how fast the questions it
  picks get harder; a fixed course keeps the difficulty, and then it is in the answers.
- **forgetting**: how much more often the child is wrong when coming back to a skill after
  at least a day than within a session: the share of wrong answers among the first answers
  after such a gap, minus the share among the others (at least `RECENT` returns);
- **pace**: the median response time, in seconds;
- **care**: the share of wrong answers given quickly (in less than half the child's
  median time) — hurried mistakes, not gaps;
- **strongest and weakest areas**: the skills with the highest and lowest mean level
  (among those with at least 3 answers).

`describe` turns a profile into a few Spanish sentences, comparing the child with their
class when the class's profiles are given. ``yachay tutor simulate`` checks the speed and
forgetting estimates against the simulated children's hidden ones (README).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from yachay.tutor.domain import AnswerEvent, Catalog, as_utc

__all__ = ["LearnerProfile", "describe", "learner_profile"]

MIN_ANSWERS = 6
RECENT = 3


@dataclass(frozen=True)
class LearnerProfile:
    answers: int
    #: Levels (difficulty +- 1) gained per answer on a skill; None with too few answers.
    learning_speed: float | None
    #: Extra share of wrong answers on coming back to a skill after a day or more.
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


def learner_profile(answers: Sequence[AnswerEvent], catalog: Catalog) -> LearnerProfile:
    """The profile of one student from their answers, oldest first."""
    by_skill: dict[str, list[AnswerEvent]] = defaultdict(list)
    for event in answers:
        item = catalog.item.get(event.item_id)
        if item is not None and item.skills:
            by_skill[item.skills[0]].append(event)
    slopes = [
        _slope([_level(catalog, e) for e in events])
        for events in by_skill.values()
        if len(events) >= MIN_ANSWERS
    ]
    returns, others = [], []
    for events in by_skill.values():
        for n in range(1, len(events)):
            days = (as_utc(events[n].at) - as_utc(events[n - 1].at)).total_seconds() / 86400
            (returns if days >= 1 else others).append(not events[n].correct)
    forgetting = (
        sum(returns) / len(returns) - sum(others) / len(others)
        if len(returns) >= RECENT and others
        else None
    )
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
