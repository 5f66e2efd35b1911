"""The hidden world of the simulation: curricula, the student model, simulated students."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from yachay.tutor.domain import Catalog, Item, SkillNode

START = datetime(2025, 3, 3, tzinfo=UTC)  # a Monday: the Peruvian school year starts in March
#: Mean P(right) over a skill's items at which it counts as mastered (the policy's threshold).
MASTERED = 0.8
#: Knowledge at which a prerequisite fully supports learning (about mastery: with items
#: spread over the levels, k = 0.7 gives a mean P(right) of 0.8).
KNOWN = 0.7


@dataclass(frozen=True)
class StudentModel:
    """How simulated children answer, learn and forget (see the module docstring)."""

    guess: float = 0.25
    slip: float = 0.08
    sharpness: float = 10.0
    item_noise: float = 0.04
    learn_rate: float = 0.075
    learn_spread: float = 0.35
    zpd_centre: float = 0.7
    zpd_width: float = 0.3
    zpd_floor: float = 0.1
    prereq_floor: float = 0.15
    forget_days: float = 12.0
    prior_forget_days: float = 365.0
    spacing_gain: float = 1.6
    max_forget_days: float = 365.0
    savings: float = 0.5
    prior_known: float = 0.85
    prior_known_without: float = 0.3
    #: Children forget at different speeds: each one's rate is log-normal with this sd
    #: around 1 (0: all alike, the default; the learner-profile check sets it).
    forget_spread: float = 0.0


@dataclass(frozen=True)
class SimConfig:
    students: int = 200
    days: int = 30
    seed: int = 0
    grades: tuple[int, int] = (1, 6)
    call_probability: float = 0.85
    questions_per_call: tuple[int, int] = (8, 12)
    seconds_per_question: float = 30.0
    round_size: int = 5
    fixed_items_per_skill: int = 45
    #: The cohort the adaptive policy's predictor is fitted on (other students).
    warmup_students: int = 40
    warmup_days: int = 14
    warmup_policy: str = "random"
    policies: tuple[str, ...] = ("adaptive", "fixed", "random", "oracle")
    #: The production row's model kind (None: `DEFAULT_MODEL`, what `yachay tutor train`
    #: trains and the server loads).
    production_model: str | None = None
    #: The production row retrains its model every this many days (a weekly retrain) ...
    retrain_days: int = 7
    #: ... for at most this many epochs (None: `TrainConfig`'s, as `yachay tutor train`).
    production_epochs: int | None = None
    model: StudentModel = field(default_factory=StudentModel)


@dataclass(frozen=True)
class Curriculum:
    name: str
    catalog: Catalog


def synthetic_curriculum(
    seed: int = 0, grades: int = 6, skills_per_grade: int = 7, items_per_skill: int = 20
) -> Curriculum:
    """A skill graph shaped like a primary-school pack: each skill builds on one or two
    earlier ones (mostly from the grade before); items spread evenly over levels 1–5."""
    rng = random.Random(f"curriculum-{seed}")
    skills: list[SkillNode] = []
    for grade in range(1, grades + 1):
        for n in range(skills_per_grade):
            sid = f"g{grade}-s{n + 1}"
            if not skills:
                prereqs: tuple[str, ...] = ()
            else:
                previous = [s.id for s in skills if s.grade == grade - 1]
                pool = previous or [s.id for s in skills]
                count = 1 if rng.random() < 0.5 or len(skills) < 2 else 2
                picks = rng.sample(pool, min(count, len(pool)))
                if rng.random() < 0.3:
                    same = [s.id for s in skills if s.grade == grade]
                    if same:
                        picks = [rng.choice(same), *picks[:1]]
                prereqs = tuple(dict.fromkeys(picks))
            skills.append(SkillNode(sid, prereqs, grade, f"Tema {n + 1} de {grade}.º"))
    items = [
        Item(f"{s.id}-q{j + 1:02d}", (s.id,), 1 + j * 5 // items_per_skill, s.grade)
        for s in skills
        for j in range(items_per_skill)
    ]
    return Curriculum("synthetic", Catalog.build(items, skills))


def pack_curriculum(path: str | Path) -> Curriculum:
    """The skills, prerequisites and every item (hand-written and generated) of a pack."""
    from yachay.content.loader import load_pack

    pack = load_pack(Path(path))
    skills = [
        SkillNode(s.id, tuple(s.prerequisites), s.grade, s.name.get("es") or s.id)
        for s in pack.pack.skills
    ]
    grade_of = {s.id: s.grade for s in skills}
    items = [
        Item(q.id, tuple(q.skills), q.difficulty, q.grade or grade_of.get(q.skills[0], 1))
        for q in pack.items
    ]
    return Curriculum(pack.id, Catalog.build(items, skills))


# --- the hidden world ----------------------------------------------------------------


class World:
    """A curriculum with the hidden item offsets and index arrays, shared by all students."""

    def __init__(self, curriculum: Curriculum, model: StudentModel, seed: int) -> None:
        self.curriculum = curriculum
        self.catalog = catalog = curriculum.catalog
        self.model = model
        self.skill_ids = [s.id for s in catalog.skills]
        self.index = {s: n for n, s in enumerate(self.skill_ids)}
        self.grade = [s.grade for s in catalog.skills]
        self.prereqs = [tuple(self.index[p] for p in s.prerequisites) for s in catalog.skills]
        self.topological = _topological(self.prereqs)
        rng = random.Random(f"items-{seed}")
        self.item_ids = [i.id for i in catalog.items]
        self.row = {item_id: n for n, item_id in enumerate(self.item_ids)}
        self.item_skills: dict[str, tuple[int, ...]] = {}
        self.delta: dict[str, float] = {}
        #: items x skills, each row averaging the item's skills
        self.weights = np.zeros((len(self.item_ids), len(self.skill_ids)))
        for n, item in enumerate(catalog.items):
            skills = tuple(self.index[s] for s in item.skills)
            self.item_skills[item.id] = skills
            self.weights[n, list(skills)] = 1 / len(skills)
            self.delta[item.id] = level_offset(item.difficulty) + rng.gauss(0, model.item_noise)
        self.delta_array = np.array([self.delta[i] for i in self.item_ids])
        self.practicable = [bool(catalog.items_of[s]) for s in self.skill_ids]
        #: `SkillFilter` parameters for the adaptive policy (`simulate` fits them).
        self.fitted: dict[str, float] = {}
        reps = catalog.representatives
        self.rep_rows = [
            np.array([self.row[i] for i in reps[s]], dtype=int) for s in self.skill_ids
        ]
        with_items = [s for s, rows in enumerate(self.rep_rows) if len(rows)]
        self.rep_skills = np.array(with_items, dtype=int)
        self.all_rep_rows = np.concatenate([self.rep_rows[s] for s in with_items] or [[]]).astype(
            int
        )
        self.rep_sizes = np.array([len(self.rep_rows[s]) for s in with_items], dtype=float)
        self.rep_starts = np.concatenate([[0], np.cumsum(self.rep_sizes)[:-1]]).astype(int)

    def p_correct(self, knowledge: Sequence[float], rows: np.ndarray) -> np.ndarray:
        """True P(right) of the items at ``rows`` for a student with ``knowledge``."""
        m = self.model
        k = self.weights[rows] @ np.asarray(knowledge)
        q = 1 / (1 + np.exp(-m.sharpness * (k - self.delta_array[rows])))
        return m.guess + (1 - m.guess - m.slip) * q


def _topological(prereqs: Sequence[Sequence[int]]) -> list[int]:
    """Skill indices, every skill after its prerequisites (cycles broken by index order)."""
    order: list[int] = []
    state = [0] * len(prereqs)  # 0 new, 1 visiting, 2 done

    def visit(s: int) -> None:
        if state[s]:
            return
        state[s] = 1
        for p in prereqs[s]:
            visit(p)
        state[s] = 2
        order.append(s)

    for s in range(len(prereqs)):
        visit(s)
    return order


def level_offset(difficulty: int) -> float:
    """The knowledge at which a child solves half the items of a difficulty level (1–5)."""
    return 0.05 + 0.175 * (difficulty - 1)


class Student:
    """One simulated child: hidden knowledge per skill, learning, forgetting."""

    def __init__(
        self, world: World, grade: int, rate: float, knowledge: list[float], tau: list[float]
    ) -> None:
        self.world = world
        self.grade = grade
        self.rate = rate
        self.k = knowledge
        self.peak = list(knowledge)
        self.tau = tau
        self.practised_day = [-1] * len(knowledge)
        self.clock = 0.0  # days since START up to which forgetting has been applied
        #: How fast this child forgets, relative to the model's time constants.
        self.forgetting = 1.0

    @classmethod
    def draw(cls, world: World, rng: random.Random, grades: tuple[int, int]) -> Student:
        m = world.model
        grade = rng.randint(*grades)
        rate = m.learn_rate * math.exp(rng.gauss(0, m.learn_spread))
        n = len(world.grade)
        k, tau = [0.0] * n, [m.forget_days] * n
        known = [False] * n
        for s in world.topological:  # prerequisites first
            g = world.grade[s]
            if g < grade:
                ready = all(known[p] for p in world.prereqs[s])
                known[s] = rng.random() < (m.prior_known if ready else m.prior_known_without)
                k[s] = rng.uniform(0.85, 0.97) if known[s] else rng.uniform(0.2, 0.6)
                tau[s] = m.prior_forget_days if known[s] else m.forget_days
            elif g == grade:
                k[s] = rng.uniform(0.0, 0.3)
            else:
                k[s] = rng.uniform(0.0, 0.1)
        student = cls(world, grade, rate, k, tau)
        if m.forget_spread:  # drawn last: the other draws stay what they were
            student.forgetting = math.exp(rng.gauss(0, m.forget_spread))
        return student

    def copy(self) -> Student:
        other = Student(self.world, self.grade, self.rate, list(self.k), list(self.tau))
        other.peak = list(self.peak)
        other.practised_day = list(self.practised_day)
        other.clock = self.clock
        other.forgetting = self.forgetting
        return other

    def competence(self, item_id: str) -> float:
        """q: the chance of solving the item without guessing."""
        skills = self.world.item_skills[item_id]
        k = sum(self.k[s] for s in skills) / len(skills)
        x = self.world.model.sharpness * (k - self.world.delta[item_id])
        return 1 / (1 + math.exp(-x))

    def p_correct(self, item_id: str) -> float:
        m = self.world.model
        return m.guess + (1 - m.guess - m.slip) * self.competence(item_id)

    def answer(self, item_id: str, rng: random.Random) -> tuple[bool, int]:
        """Right or wrong, and the response time in ms (faster when competent)."""
        q = self.competence(item_id)
        correct = rng.random() < self.p_correct(item_id)
        ms = int(3000 + 14000 * (1 - q) * rng.uniform(0.5, 1.5))
        return correct, ms

    def learn(self, item_id: str, day: int) -> None:
        m = self.world.model
        q = self.competence(item_id)
        zpd = m.zpd_floor + (1 - m.zpd_floor) * math.exp(-(((q - m.zpd_centre) / m.zpd_width) ** 2))
        for s in self.world.item_skills[item_id]:
            prereqs = self.world.prereqs[s]
            if prereqs:
                known = sum(min(1.0, self.k[p] / KNOWN) for p in prereqs) / len(prereqs)
                prereq = m.prereq_floor + (1 - m.prereq_floor) * known
            else:
                prereq = 1.0
            self.k[s] = min(1.0, self.k[s] + self.rate * prereq * zpd * (1 - self.k[s]))
            self.peak[s] = max(self.peak[s], self.k[s])
            if self.practised_day[s] != day:
                if self.practised_day[s] >= 0:
                    self.tau[s] = min(m.max_forget_days, self.tau[s] * m.spacing_gain)
                self.practised_day[s] = day

    def forget_until(self, days: float) -> None:
        """Decay every skill from the student's clock to ``days`` (days since START)."""
        elapsed = days - self.clock
        if elapsed <= 0:
            return
        savings = self.world.model.savings
        for s, k in enumerate(self.k):
            floor = savings * self.peak[s]
            if k > floor:
                self.k[s] = floor + (k - floor) * math.exp(-elapsed * self.forgetting / self.tau[s])
        self.clock = days

    def true_mastery(self, skill: int) -> float:
        """Mean true P(right) over the skill's representative items: the policy's measure."""
        rows = self.world.rep_rows[skill]
        return float(self.world.p_correct(self.k, rows).mean()) if len(rows) else 0.0

    def mastered(self) -> set[int]:
        """Skills whose true mean P(right) reaches 0.8, the policy's threshold."""
        w = self.world
        p = w.p_correct(self.k, w.all_rep_rows)
        means = np.add.reduceat(p, w.rep_starts) / w.rep_sizes
        return {int(s) for s, m in zip(w.rep_skills, means, strict=True) if m >= MASTERED}

    def in_scope(self) -> list[int]:
        """The skills of the student's grade and below that have items."""
        return [
            s
            for s, g in enumerate(self.world.grade)
            if g <= self.grade and self.world.practicable[s]
        ]


def with_model(config: SimConfig, **changes: float) -> SimConfig:
    """``config`` with some `StudentModel` parameters changed."""
    return replace(config, model=replace(config.model, **changes))
