"""The teaching policies compared by the simulation: adaptive, fixed, random, oracle."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime

from yachay.tutor.domain import AnswerEvent, Predictor
from yachay.tutor.mastery import MasteryRule
from yachay.tutor.policy import PolicyConfig, next_items
from yachay.tutor.review import ReviewState
from yachay.tutor.simulation.predictors import TruePredictor
from yachay.tutor.simulation.world import SimConfig, Student, World
from yachay.tutor.skill_filter import QuickRule, SkillFilter, filter_priors

# --- policies -------------------------------------------------------------------------


class Policy:
    def choose(self, now: datetime, n: int) -> list[str]:
        raise NotImplementedError

    def observe(self, event: AnswerEvent) -> None:
        pass


class _Adaptive(Policy):
    """The filter row: `next_items` with FSRS reviews, driven by a filter that reads each answer's
    correctness and response time (`QuickRule`, fitted on the warm-up cohort), as the
    serving model does."""

    def __init__(
        self, world: World, student: Student, config: SimConfig, rng: random.Random
    ) -> None:
        self.catalog = world.catalog
        self.grade = student.grade
        self.predictor: Predictor = self._predictor(world, student)
        self.reviews = ReviewState()
        self.history: list[AnswerEvent] = []

    def _predictor(self, world: World, student: Student) -> Predictor:
        return _filter(world, student, QuickRule.from_fitted(world.fitted))

    def choose(self, now: datetime, n: int) -> list[str]:
        due = self.reviews.due(now)
        picks = next_items(
            self.history, self.catalog, self.predictor, now, n, grade=self.grade, due_reviews=due
        )
        return [c.item_id for c in picks]

    def observe(self, event: AnswerEvent) -> None:
        self.history.append(event)
        self.reviews.record(event, self.catalog.item[event.item_id].skills)


class _UntimedAdaptive(_Adaptive):
    """Adaptive with a filter that reads correctness only: what response times add."""

    def _predictor(self, world: World, student: Student) -> Predictor:
        return _filter(world, student, None)


def _filter(world: World, student: Student, quick: QuickRule | None) -> SkillFilter:
    """The adaptive policies' predictor, with the parameters fitted on the warm-up cohort."""
    fitted = world.fitted
    return SkillFilter(
        world.catalog,
        step=fitted.get("step", 1.5),
        prior=filter_priors(world.catalog, student.grade, fitted),
        learn=fitted.get("learn", 0.2),
        jump=int(fitted.get("jump", 2)),
        quick=quick,
    )


#: The oracle sees the truth: it needs no evidence to call a skill mastered, presumes
#: nothing and confirms nothing.
ORACLE_CONFIG = PolicyConfig(
    mastery=MasteryRule(min_attempts=0), presume_below_grade=False, confirm_days=0
)


class _OraclePolicy(Policy):
    def __init__(
        self, world: World, student: Student, config: SimConfig, rng: random.Random
    ) -> None:
        self.catalog = world.catalog
        self.grade = student.grade
        self.predictor = TruePredictor(world, student)
        self.history: list[AnswerEvent] = []

    def choose(self, now: datetime, n: int) -> list[str]:
        picks = next_items(
            self.history,
            self.catalog,
            self.predictor,
            now,
            n,
            grade=self.grade,
            config=ORACLE_CONFIG,
        )
        return [c.item_id for c in picks]

    def observe(self, event: AnswerEvent) -> None:
        self.history.append(event)


class _Fixed(Policy):
    """A textbook: the grade's skills in order, a fixed number of questions each."""

    def __init__(
        self, world: World, student: Student, config: SimConfig, rng: random.Random
    ) -> None:
        catalog = world.catalog
        order = sorted(
            (s for s in catalog.skills if s.grade >= student.grade and catalog.items_of[s.id]),
            key=lambda s: (s.grade, catalog.order[s.id]),
        )
        self.plan: list[str] = []
        for skill in order:
            items = catalog.items_of[skill.id]  # easiest first
            per = config.fixed_items_per_skill
            if len(items) >= per:  # spread over the skill's range, easy to hard
                picks = [items[j * len(items) // per] for j in range(per)]
            else:
                picks = [items[j % len(items)] for j in range(per)]
            self.plan += [i.id for i in picks]
        self.position = 0

    def choose(self, now: datetime, n: int) -> list[str]:
        if not self.plan:
            return []
        # when the book is done, it starts again (revision)
        out = [self.plan[(self.position + j) % len(self.plan)] for j in range(n)]
        self.position += n
        return out


class _Random(Policy):
    def __init__(
        self, world: World, student: Student, config: SimConfig, rng: random.Random
    ) -> None:
        self.items = [i.id for i in world.catalog.items if i.grade <= student.grade]
        self.rng = rng

    def choose(self, now: datetime, n: int) -> list[str]:
        return self.rng.sample(self.items, min(n, len(self.items)))


#: The production tutor's row (`simulation.production`): it teaches the whole cohort a week
#: at a time, so it is not one of the per-student `POLICIES`.
PRODUCTION = "adaptive"
#: The production row's path and schedule with the filter refitted weekly on the logged
#: answers in the served model's place (`production.run_refitted_filter`): opt-in.
REFIT = "adaptive-refit"

POLICIES: dict[str, Callable[[World, Student, SimConfig, random.Random], Policy]] = {
    "fixed": _Fixed,
    "random": _Random,
    "oracle": _OraclePolicy,
    # comparison rows, not run unless asked for (SimConfig.policies)
    "adaptive-filter": _Adaptive,
    "adaptive-untimed": _UntimedAdaptive,
}

#: Every row the simulation can run, the production row first.
POLICY_NAMES: tuple[str, ...] = (PRODUCTION, *POLICIES, REFIT)
