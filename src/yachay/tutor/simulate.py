"""Simulated students: does the adaptive policy help children learn more per minute of call?

Nobody can A/B-test on children before the policy ships, so we test it on synthetic
students whose knowledge we can see, taught by four policies on the same students with
the same luck (common random numbers: every policy meets the same children, the same call
schedule and the same stream of random draws):

- **adaptive** — ours: `policy.next_items` with FSRS reviews (`review`), driven by a
  predictor that does **not** see the hidden knowledge (`SkillFilter`, below);
- **fixed** — a textbook: the skills of the student's grade in curriculum order,
  `SimConfig.fixed_items_per_skill` questions each from easy to hard, then the next
  grade's (and from the start again when the book is done). The default, 45 questions a
  skill, is about the pace that serves the fixed policy best in this simulation (15 or 30
  do far worse, 60 about the same): the baseline is not a straw man;
- **random** — any question of the student's grade or below;
- **oracle** — the same `next_items` rule fed with the *true* success probabilities; it
  needs no evidence before calling a skill mastered, presumes nothing and needs no
  reviews (it sees forgetting). A reference point, not a proven optimum.

The student model
-----------------
Each student has a hidden knowledge ``k`` in [0, 1] per skill.

*Answers.* An item has a difficulty level 1–5 (known to everyone) and a hidden offset
``delta = 0.05 + 0.175 (level - 1) + noise`` (sd 0.04: items of one level differ).
``P(right) = guess + (1 - guess - slip) q`` with ``q = sigmoid(10 (k - delta))``: keypad
questions are right a quarter of the time by chance (guess 0.25) and children slip (0.08).
A skill is **mastered** when the mean true P(right) over its items reaches 0.8 — the
policy's own definition, measured on the truth (about k = 0.7 when the items spread over
the five levels).

*Learning.* Every answered question is followed by its explanation, so right and wrong
answers both teach: ``k += rate * prereq * zpd * (1 - k)``.

- ``rate`` is the student's learning rate, log-normal (sd 0.35) around 0.075: about twenty
  well-chosen questions take a skill from scratch to mastery.
- ``prereq = 0.15 + 0.85 * mean over prerequisites of min(1, k_p / 0.7)``: a skill whose
  prerequisites are unknown is learned slowly.
- ``zpd``, the zone of proximal development: learning is fastest on items the child can
  nearly do. ``zpd = 0.1 + 0.9 exp(-((q - 0.7) / 0.3)^2)``: an item the child already
  masters teaches less, one far above the child's level teaches little. This assumption is
  what makes choosing items matter at all; it rests on the same literature as the policy's
  band (Vygotsky; Wilson et al. 2019, "The eighty five percent rule for optimal
  learning"). Adaptive and oracle aim at the band through their predictions, fixed and
  random do not; with a flatter or shifted zone the advantage shrinks (try
  ``--zpd-width`` and ``--zpd-centre``).

*Forgetting.* Between practices knowledge decays towards half its peak:
``k = floor + (k - floor) exp(-days / tau)``, ``floor = 0.5 peak``. ``tau`` starts at 12
days for new learning and grows 1.6-fold for each further day the skill is practised
(the spacing effect), up to a year; what a child knew before (earlier grades) has a tau of
a year.

*Students.* Grades 1–6, uniformly. Skills of earlier grades are known (k 0.85–0.97) with
probability 0.85 when their prerequisites are known and 0.3 when not (gaps pile up along
the prerequisite graph), otherwise they are gaps (k 0.2–0.6); skills of the student's
grade start at 0–0.3, later grades at 0–0.1. Each day a student calls with probability
0.85 and answers 8–12 questions (a few minutes: 30 seconds a question with its
explanation) in practice rounds of five, as on the phone. Response times shrink with
competence (they feed the FSRS ratings).

The adaptive predictor
----------------------
`SkillFilter`, a multi-level Bayesian knowledge tracing per skill: a belief over a latent
ability, an item-response emission by difficulty level, Bayes after each answer and a
chance to move up after practice. It knows nothing of prerequisites or forgetting and
never sees ``k``. Its parameters (the logit step between levels, how fast ability grows,
and a prior for skills below, at and above the student's grade) are fitted by log loss on
the answers of a separate warm-up cohort (`SimConfig.warmup_students`, other seeds) that
practised random questions for two weeks — as production fits its model on logged
answers. The fit is reported with the results. A knowledge-tracing model trained on real
answers (the serving model) takes its place in production; the policy reads only
predictions.

Metrics (per policy)
--------------------
- **skills mastered per hour of calls**: skills mastered at the end minus at the start,
  summed over students, over the hours of calls (the same hours for every policy);
- **final mastery**: mean true k over the skills of the student's grade and below, the
  morning after the last day;
- the share of those skills mastered, and the rate of right answers in practice.

Reading the oracle ratio: the oracle can stop practising a skill the very question it
crosses the mastery line, which the count of skills mastered rewards fully; any policy
that must infer knowledge from a few keypad answers practises past the line (or stops
short). Final mastery is the gentler comparison.
"""

from __future__ import annotations

import itertools
import math
import multiprocessing
import random
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from yachay.tutor.mastery import AnswerEvent, Catalog, Item, MasteryRule, SkillNode
from yachay.tutor.policy import PolicyConfig, next_items
from yachay.tutor.review import ReviewState

__all__ = [
    "FILTER_GRID",
    "POLICIES",
    "Call",
    "Curriculum",
    "PolicyResult",
    "SimConfig",
    "SimReport",
    "SkillFilter",
    "Student",
    "StudentModel",
    "World",
    "call_schedule",
    "fit_skill_filter",
    "pack_curriculum",
    "run_student",
    "simulate",
    "synthetic_curriculum",
    "warmup_histories",
    "with_model",
]

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
        return cls(world, grade, rate, k, tau)

    def copy(self) -> Student:
        other = Student(self.world, self.grade, self.rate, list(self.k), list(self.tau))
        other.peak = list(self.peak)
        other.practised_day = list(self.practised_day)
        other.clock = self.clock
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
                self.k[s] = floor + (k - floor) * math.exp(-elapsed / self.tau[s])
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


# --- predictors ----------------------------------------------------------------------


class SkillFilter:
    """Per-skill Bayesian knowledge filter: the adaptive policy's predictor in the simulator.

    Each skill has a belief over a latent ability ``theta`` (a grid from -4 to 4). An item
    of difficulty level ``d`` is answered right with ``guess + (1 - guess - slip)
    sigmoid(theta - step (d - 3))``; each answer updates the belief (Bayes), then practice
    may move ability up ``jump`` grid cells with probability ``learn`` (a multi-level
    Bayesian knowledge tracing). An item of several skills averages their beliefs. The
    prior is a normal belief around ``prior``. It knows nothing of prerequisites or
    forgetting, never sees hidden knowledge, and replays the history it is given
    (remembering how far it got: a growing history costs one step per new answer).
    `fit_skill_filter` chooses ``step``, ``prior``, ``learn`` and ``jump`` from logged answers.
    """

    GRID = np.linspace(-4, 4, 33)

    def __init__(
        self,
        catalog: Catalog,
        step: float = 1.5,
        prior: float | Sequence[float] = 0.0,
        learn: float = 0.4,
        jump: int = 2,
        spread: float = 1.5,
        guess: float = 0.25,
        slip: float = 0.05,
    ) -> None:
        self.catalog = catalog
        self._arrays = a = _item_arrays(catalog)
        levels = np.arange(-2.0, 3.0)
        self._emission = guess + (1 - guess - slip) / (
            1 + np.exp(-(self.GRID[None, :] - step * levels[:, None]))
        )
        centre = np.broadcast_to(np.asarray(prior, dtype=float), (len(catalog.skills),))
        belief = np.exp(-0.5 * ((self.GRID[None, :] - centre[:, None]) / spread) ** 2)
        self._prior = _normalise(belief)  # skills x grid
        self._learn, self._jump = learn, int(jump)
        self._level = [int(level) + 2 for level in a.level]
        self._level_array = np.array(self._level)
        self._reset()

    def _reset(self) -> None:
        self._belief = self._prior.copy()
        self._seen: list[tuple[str, bool]] = []

    def _sync(self, history: Sequence[tuple[str, bool]]) -> None:
        done = len(self._seen)
        if done > len(history) or (done and tuple(history[done - 1]) != self._seen[-1]):
            self._reset()
            done = 0
        a, belief = self._arrays, self._belief
        for item_id, correct in history[done:]:
            self._seen.append((item_id, bool(correct)))
            r = a.row.get(item_id)
            if r is None:
                continue
            emission = self._emission[self._level[r]]
            likelihood = emission if correct else 1 - emission
            for s in a.skills[r]:
                belief[s] = _learn(_normalise(belief[s] * likelihood), self._learn, self._jump)

    def predict(
        self, history: Sequence[tuple[str, bool]], candidate_ids: Sequence[str], /
    ) -> dict[str, float]:
        self._sync(history)
        a = self._arrays
        rows = np.fromiter(
            map(a.row.__getitem__, candidate_ids), dtype=int, count=len(candidate_ids)
        )
        if a.single is not None:
            belief = self._belief[a.single[rows]]
        else:
            belief = a.weights[rows] @ self._belief
        p = np.einsum("ij,ij->i", belief, self._emission[self._level_array[rows]])
        return dict(zip(candidate_ids, p.tolist(), strict=True))


def _normalise(belief: np.ndarray) -> np.ndarray:
    return belief / belief.sum(axis=-1, keepdims=True)


def _learn(belief: np.ndarray, learn: float | np.ndarray, jump: int) -> np.ndarray:
    """Move probability mass ``learn`` up ``jump`` cells (the top cell keeps what overflows)."""
    moved = belief * (1 - learn)
    moved[..., jump:] += belief[..., :-jump] * learn
    moved[..., -1:] += belief[..., -jump:].sum(axis=-1, keepdims=True) * learn
    return moved


@dataclass(frozen=True)
class _ItemArrays:
    row: dict[str, int]
    skills: list[tuple[int, ...]]
    level: list[float]
    weights: np.ndarray
    #: Each item's skill, when every item has exactly one (else None).
    single: np.ndarray | None


_ARRAYS: dict[int, tuple[Catalog, _ItemArrays]] = {}


def _item_arrays(catalog: Catalog) -> _ItemArrays:
    cached = _ARRAYS.get(id(catalog))
    if cached is not None and cached[0] is catalog:
        return cached[1]
    index = {s.id: n for n, s in enumerate(catalog.skills)}
    skills = [tuple(index[s] for s in item.skills) for item in catalog.items]
    weights = np.zeros((len(catalog.items), len(catalog.skills)))
    for n, ss in enumerate(skills):
        weights[n, list(ss)] = 1 / len(ss)
    arrays = _ItemArrays(
        {item.id: n for n, item in enumerate(catalog.items)},
        skills,
        [item.difficulty - 3.0 for item in catalog.items],
        weights,
        np.array([ss[0] for ss in skills], dtype=int)
        if all(len(ss) == 1 for ss in skills)
        else None,
    )
    _ARRAYS.clear()  # one catalog at a time is all a run needs
    _ARRAYS[id(catalog)] = (catalog, arrays)
    return arrays


FILTER_GRID = {
    "step": (0.7, 1.0, 1.5, 2.0),
    "learn": (0.1, 0.2, 0.4),
    "jump": (1, 2, 4),
    "prior": (-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0),
}

#: Where a skill stands for a student: below, at or above the student's grade.
RELATIONS = ("below", "at", "above")


def relation(skill_grade: int, student_grade: int) -> int:
    return 0 if skill_grade < student_grade else 1 if skill_grade == student_grade else 2


def filter_priors(catalog: Catalog, grade: int, fitted: Mapping[str, float]) -> list[float]:
    """Each skill's prior ability for a student of ``grade``: the fitted prior of its relation."""
    return [fitted.get(f"prior_{RELATIONS[relation(s.grade, grade)]}", 0.0) for s in catalog.skills]


def fit_skill_filter(
    histories: Sequence[tuple[int, Sequence[tuple[str, bool]]]],
    catalog: Catalog,
    grid: Mapping[str, Sequence[float]] = FILTER_GRID,
) -> dict[str, float]:
    """`SkillFilter` parameters with the lowest log loss on ``histories`` (``(student grade,
    answers)``), each answer predicted from the answers before it.

    A grid search vectorised over the grid: ``step``, ``learn`` and ``jump`` are shared; the
    prior is chosen separately for skills below, at and above the student's grade (the
    filter treats skills independently, so the log loss splits by skill).
    """
    shared = [k for k in grid if k != "prior"]
    keys = ["jump", *(k for k in grid if k != "jump")]  # jump outermost: contiguous groups
    combos = [
        dict(zip(keys, values, strict=True))
        for values in itertools.product(*(grid[k] for k in keys))
    ]
    filters = [SkillFilter(catalog, c["step"], c["prior"], c["learn"], c["jump"]) for c in combos]
    emission = np.stack([f._emission for f in filters], axis=1)  # level x combo x grid
    prior = np.stack([f._prior[0] for f in filters])  # combo x grid
    learn = np.array([c["learn"] for c in combos])[:, None]
    jumps = []
    for j in grid["jump"]:
        rows = [n for n, c in enumerate(combos) if c["jump"] == j]
        jumps.append((int(j), slice(rows[0], rows[-1] + 1)))
    a = filters[0]._arrays
    level = filters[0]._level
    skill_grade = [s.grade for s in catalog.skills]
    loss = np.zeros((len(combos), len(RELATIONS)))
    for grade, history in histories:
        belief = np.tile(prior, (len(catalog.skills), 1, 1))
        for item_id, correct in history:
            r = a.row.get(item_id)
            if r is None:
                continue
            skills = list(a.skills[r])
            e = emission[level[r]]
            p = (belief[skills].mean(axis=0) * e).sum(axis=-1)
            loss[:, relation(skill_grade[skills[0]], grade)] -= np.log(p if correct else 1 - p)
            likelihood = e if correct else 1 - e
            for s in skills:
                b = _normalise(belief[s] * likelihood)
                for j, rows in jumps:
                    belief[s, rows] = _learn(b[rows], learn[rows], j)
    best: tuple[float, dict[str, float]] | None = None
    groups: dict[tuple, list[int]] = {}
    for n, c in enumerate(combos):
        groups.setdefault(tuple(c[k] for k in shared), []).append(n)
    for values, rows in groups.items():
        key = dict(zip(shared, values, strict=True))
        total, fitted = 0.0, dict(key)
        for rel, name in enumerate(RELATIONS):
            n = min(rows, key=lambda n, rel=rel: loss[n, rel])
            total += loss[n, rel]
            fitted[f"prior_{name}"] = combos[n]["prior"]
        fitted = {k: fitted[k] for k in [*shared, *(f"prior_{r}" for r in RELATIONS)]}
        if best is None or total < best[0]:
            best = (total, fitted)
    assert best is not None
    return best[1]


class _Oracle:
    """The true P(right) now, read from the hidden state."""

    def __init__(self, world: World, student: Student) -> None:
        self.world = world
        self.student = student

    def predict(
        self, history: Sequence[tuple[str, bool]], candidate_ids: Sequence[str], /
    ) -> dict[str, float]:
        rows = np.fromiter(
            map(self.world.row.__getitem__, candidate_ids), dtype=int, count=len(candidate_ids)
        )
        p = self.world.p_correct(self.student.k, rows)
        return dict(zip(candidate_ids, p.tolist(), strict=True))


# --- policies -------------------------------------------------------------------------


class _Policy:
    def choose(self, now: datetime, n: int) -> list[str]:
        raise NotImplementedError

    def observe(self, event: AnswerEvent) -> None:
        pass


class _Adaptive(_Policy):
    def __init__(
        self, world: World, student: Student, config: SimConfig, rng: random.Random
    ) -> None:
        self.catalog = world.catalog
        self.grade = student.grade
        fitted = dict(world.fitted)
        priors = filter_priors(world.catalog, student.grade, fitted)
        self.predictor = SkillFilter(
            world.catalog,
            step=fitted.get("step", 1.5),
            prior=priors,
            learn=fitted.get("learn", 0.2),
            jump=int(fitted.get("jump", 2)),
        )
        self.reviews = ReviewState()
        self.history: list[AnswerEvent] = []

    def choose(self, now: datetime, n: int) -> list[str]:
        due = self.reviews.due(now)
        picks = next_items(
            self.history, self.catalog, self.predictor, now, n, grade=self.grade, due_reviews=due
        )
        return [c.item_id for c in picks]

    def observe(self, event: AnswerEvent) -> None:
        self.history.append(event)
        self.reviews.record(event, self.catalog.item[event.item_id].skills)


ORACLE_CONFIG = PolicyConfig(mastery=MasteryRule(min_attempts=0), presume_below_grade=False)


class _OraclePolicy(_Policy):
    def __init__(
        self, world: World, student: Student, config: SimConfig, rng: random.Random
    ) -> None:
        self.catalog = world.catalog
        self.grade = student.grade
        self.predictor = _Oracle(world, student)
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


class _Fixed(_Policy):
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


class _Random(_Policy):
    def __init__(
        self, world: World, student: Student, config: SimConfig, rng: random.Random
    ) -> None:
        self.items = [i.id for i in world.catalog.items if i.grade <= student.grade]
        self.rng = rng

    def choose(self, now: datetime, n: int) -> list[str]:
        return self.rng.sample(self.items, min(n, len(self.items)))


POLICIES: dict[str, Callable[[World, Student, SimConfig, random.Random], _Policy]] = {
    "adaptive": _Adaptive,
    "fixed": _Fixed,
    "random": _Random,
    "oracle": _OraclePolicy,
}


# --- running --------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    day: int
    at: datetime
    questions: int


def call_schedule(config: SimConfig, rng: random.Random) -> list[Call]:
    calls = []
    for day in range(config.days):
        if rng.random() < config.call_probability:
            # 16:00–19:00 in Lima (UTC-5), after school
            at = START + timedelta(days=day, hours=21 + 3 * rng.random())
            calls.append(Call(day, at, rng.randint(*config.questions_per_call)))
    return calls


def warmup_histories(world: World, config: SimConfig) -> list[tuple[int, list[tuple[str, bool]]]]:
    """Answers of a separate cohort (`SimConfig.warmup_students`, other seeds) practising
    with the random policy for `warmup_days`: the logged data a predictor is fitted on."""
    warm = replace(config, days=config.warmup_days)
    histories = []
    for n in range(config.warmup_students):
        student = Student.draw(world, random.Random(f"warmup-{config.seed}-{n}"), config.grades)
        calls = call_schedule(warm, random.Random(f"warmup-calls-{config.seed}-{n}"))
        policy = POLICIES[config.warmup_policy](
            world, student, warm, random.Random(f"warmup-policy-{config.seed}-{n}")
        )
        recorder = _Recorder(policy)
        run_student(
            world,
            student,
            calls,
            recorder,
            warm,
            random.Random(f"warmup-answers-{config.seed}-{n}"),
        )
        histories.append((student.grade, recorder.pairs))
    return histories


class _Recorder(_Policy):
    def __init__(self, inner: _Policy) -> None:
        self.inner = inner
        self.pairs: list[tuple[str, bool]] = []

    def choose(self, now: datetime, n: int) -> list[str]:
        return self.inner.choose(now, n)

    def observe(self, event: AnswerEvent) -> None:
        self.pairs.append((event.item_id, event.correct))
        self.inner.observe(event)


@dataclass
class _Outcome:
    questions: int = 0
    right: int = 0
    newly_mastered: int = 0
    final_mastery: float = 0.0
    mastered_share: float = 0.0


def run_student(
    world: World,
    student: Student,
    calls: Sequence[Call],
    policy: _Policy,
    config: SimConfig,
    rng: random.Random,
    sid: str = "s",
) -> _Outcome:
    """Teach one student (mutated in place) with ``policy`` through the calls."""
    before = student.mastered()
    out = _Outcome()
    for number, call in enumerate(calls):
        now = call.at
        student.forget_until((now - START).total_seconds() / 86400)
        asked = 0
        while asked < call.questions:
            ids = policy.choose(now, min(config.round_size, call.questions - asked))
            if not ids:
                break
            for item_id in ids:
                correct, ms = student.answer(item_id, rng)
                student.learn(item_id, call.day)
                policy.observe(AnswerEvent(item_id, correct, now, ms, f"{sid}-{number}"))
                now += timedelta(seconds=config.seconds_per_question)
                asked += 1
                out.right += correct
        out.questions += asked
    student.forget_until(config.days)
    scope = student.in_scope()
    after = student.mastered()
    out.newly_mastered = len(after) - len(before)
    out.final_mastery = sum(student.k[s] for s in scope) / len(scope) if scope else 0.0
    out.mastered_share = len(after & set(scope)) / len(scope) if scope else 0.0
    return out


@dataclass(frozen=True)
class PolicyResult:
    policy: str
    students: int
    questions: int
    hours: float
    skills_mastered: int
    skills_mastered_per_hour: float
    skills_mastered_per_student: float
    final_mastery: float
    mastered_share: float
    practice_accuracy: float


@dataclass(frozen=True)
class SimReport:
    config: SimConfig
    curriculum: str
    skills: int
    items: int
    results: dict[str, PolicyResult]
    #: The adaptive predictor's parameters, fitted on the warm-up cohort.
    fitted: dict[str, float]
    seconds: float

    def ratio(self, a: str, b: str) -> dict[str, float | None] | None:
        """Policy ``a``'s metrics over ``b``'s (None where ``b``'s is zero)."""
        if a not in self.results or b not in self.results:
            return None
        x, y = self.results[a], self.results[b]

        def div(p: float, q: float) -> float | None:
            return round(p / q, 3) if q > 0 else None

        return {
            "skills_mastered_per_hour": div(x.skills_mastered_per_hour, y.skills_mastered_per_hour),
            "final_mastery": div(x.final_mastery, y.final_mastery),
        }

    @property
    def ratios(self) -> dict[str, dict[str, float | None]]:
        out = {}
        for a, b in (("adaptive", "fixed"), ("adaptive", "oracle"), ("adaptive", "random")):
            r = self.ratio(a, b)
            if r is not None:
                out[f"{a}/{b}"] = r
        return out

    def to_dict(self) -> dict:
        settings = asdict(self.config)
        settings["curriculum"] = self.curriculum
        settings["skills"] = self.skills
        settings["items"] = self.items
        return {
            "settings": settings,
            "policies": {name: asdict(r) for name, r in self.results.items()},
            "ratios": self.ratios,
            "predictor": self.fitted,
            "seconds": round(self.seconds, 2),
        }


def simulate(
    config: SimConfig | None = None,
    curriculum: Curriculum | None = None,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
) -> SimReport:
    """Run every policy of ``config.policies`` on the same students.

    Deterministic for a seed, whatever ``workers`` (processes sharing the students).
    ``progress`` is called with the number of students done so far.
    """
    config = config or SimConfig()
    unknown = set(config.policies) - set(POLICIES)
    if unknown:
        raise ValueError(f"unknown policies: {', '.join(sorted(unknown))}")
    curriculum = curriculum or synthetic_curriculum(config.seed)
    started = time.perf_counter()
    fitted: dict[str, float] = {}
    if "adaptive" in config.policies and config.warmup_students > 0:
        world = World(curriculum, config.model, config.seed)
        fitted = fit_skill_filter(warmup_histories(world, config), curriculum.catalog)
    chunks = [
        range(start, min(start + _CHUNK, config.students))
        for start in range(0, config.students, _CHUNK)
    ]
    outcomes: list[dict[str, _Outcome]] = []
    if workers > 1 and len(chunks) > 1:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(min(workers, len(chunks)), mp_context=context) as pool:
            jobs = [pool.submit(_run_students, config, curriculum, fitted, c) for c in chunks]
            for job in jobs:  # in student order, so sums do not depend on timing
                outcomes += job.result()
                if progress is not None:
                    progress(len(outcomes))
    else:
        for chunk in chunks:
            outcomes += _run_students(config, curriculum, fitted, chunk)
            if progress is not None:
                progress(len(outcomes))

    results = {}
    students = max(1, config.students)
    for name in config.policies:
        runs = [o[name] for o in outcomes]
        questions = sum(o.questions for o in runs)
        right = sum(o.right for o in runs)
        mastered = sum(o.newly_mastered for o in runs)
        hours = questions * config.seconds_per_question / 3600
        results[name] = PolicyResult(
            policy=name,
            students=config.students,
            questions=questions,
            hours=round(hours, 2),
            skills_mastered=mastered,
            skills_mastered_per_hour=round(mastered / hours, 3) if hours else 0.0,
            skills_mastered_per_student=round(mastered / students, 3),
            final_mastery=round(sum(o.final_mastery for o in runs) / students, 4),
            mastered_share=round(sum(o.mastered_share for o in runs) / students, 4),
            practice_accuracy=round(right / questions, 4) if questions else 0.0,
        )
    catalog = curriculum.catalog
    return SimReport(
        config,
        curriculum.name,
        len(catalog.skills),
        len(catalog.items),
        results,
        fitted,
        time.perf_counter() - started,
    )


_CHUNK = 10  # students per job


def _run_students(
    config: SimConfig, curriculum: Curriculum, fitted: dict[str, float], students: range
) -> list[dict[str, _Outcome]]:
    world = World(curriculum, config.model, config.seed)
    world.fitted = fitted
    out = []
    for n in students:
        base = Student.draw(world, random.Random(f"student-{config.seed}-{n}"), config.grades)
        calls = call_schedule(config, random.Random(f"calls-{config.seed}-{n}"))
        row = {}
        for name in config.policies:
            student = base.copy()
            policy = POLICIES[name](
                world, student, config, random.Random(f"policy-{config.seed}-{n}")
            )
            row[name] = run_student(
                world,
                student,
                calls,
                policy,
                config,
                random.Random(f"answers-{config.seed}-{n}"),
                sid=f"s{n}",
            )
        out.append(row)
    return out


def with_model(config: SimConfig, **changes: float) -> SimConfig:
    """``config`` with some `StudentModel` parameters changed."""
    return replace(config, model=replace(config.model, **changes))
