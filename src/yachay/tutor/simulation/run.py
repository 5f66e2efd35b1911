"""Running the policies on simulated students and summing up what they learned."""

from __future__ import annotations

import multiprocessing
import random
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime

from yachay.tutor.domain import AnswerEvent
from yachay.tutor.filter_fit import fit_quick_rule, fit_skill_filter
from yachay.tutor.simulation.policies import POLICIES, POLICY_NAMES, PRODUCTION, REFIT, Policy
from yachay.tutor.simulation.production import run_production, run_refitted_filter
from yachay.tutor.simulation.teaching import Outcome, call_schedule, run_student
from yachay.tutor.simulation.world import (
    Curriculum,
    SimConfig,
    Student,
    World,
    synthetic_curriculum,
)

# --- running --------------------------------------------------------------------------


def warmup_histories(
    world: World, config: SimConfig
) -> list[tuple[int, list[tuple[str, bool, int]]]]:
    """Answers ``(item, correct, response_ms)`` of a separate cohort
    (`SimConfig.warmup_students`, other seeds) practising with the random policy for
    `warmup_days`: the logged data a predictor is fitted on."""
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
        histories.append((student.grade, recorder.answers))
    return histories


class _Recorder(Policy):
    def __init__(self, inner: Policy) -> None:
        self.inner = inner
        self.answers: list[tuple[str, bool, int]] = []

    def choose(self, now: datetime, n: int) -> list[str]:
        return self.inner.choose(now, n)

    def observe(self, event: AnswerEvent) -> None:
        self.answers.append((event.item_id, event.correct, event.response_ms))
        self.inner.observe(event)


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
    #: The filter rows' parameters, fitted on the warm-up cohort.
    fitted: dict[str, float]
    seconds: float
    #: The production row's model: its kind, and each scheduled retrain and its gate.
    production: dict = field(default_factory=dict)

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
        for a, b in (
            ("adaptive", "fixed"),
            ("adaptive", "oracle"),
            ("adaptive", "random"),
            ("adaptive", "adaptive-filter"),
            ("adaptive-refit", "fixed"),
            ("adaptive-refit", "oracle"),
            ("adaptive-filter", "fixed"),
            ("adaptive-filter", "oracle"),
            ("adaptive-filter", "adaptive-untimed"),
            ("adaptive-untimed", "oracle"),
        ):
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
            "production": self.production,
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
    unknown = set(config.policies) - set(POLICY_NAMES)
    if unknown:
        raise ValueError(f"unknown policies: {', '.join(sorted(unknown))}")
    curriculum = curriculum or synthetic_curriculum(config.seed)
    started = time.perf_counter()
    fitted: dict[str, float] = {}
    histories: list = []
    filters = {"adaptive-filter", "adaptive-untimed"} & set(config.policies)
    sequential = {PRODUCTION, REFIT} & set(config.policies)  # the cohort a week at a time
    if (filters or sequential) and config.warmup_students > 0:
        world = World(curriculum, config.model, config.seed)
        histories = warmup_histories(world, config)
    if filters and histories:
        fitted = fit_skill_filter(histories, curriculum.catalog)
        quick = (
            fit_quick_rule(histories, curriculum.catalog, fitted)
            if "adaptive-filter" in filters
            else None
        )
        if quick is not None:
            fitted |= quick.as_fitted()
    production: dict = {}
    production_outcomes = None
    if PRODUCTION in config.policies:
        production_outcomes, line = run_production(
            config, World(curriculum, config.model, config.seed), histories
        )
        production = {
            "model": line.model_name,
            "retrain_days": config.retrain_days,
            "retrainings": [asdict(r) for r in line.history],
        }
    refit_outcomes = (
        run_refitted_filter(config, World(curriculum, config.model, config.seed), histories)
        if REFIT in config.policies
        else None
    )
    per_student = tuple(p for p in config.policies if p not in (PRODUCTION, REFIT))
    chunks = [
        range(start, min(start + _CHUNK, config.students))
        for start in range(0, config.students, _CHUNK)
    ]
    outcomes: list[dict[str, Outcome]] = []
    if workers > 1 and len(chunks) > 1:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(min(workers, len(chunks)), mp_context=context) as pool:
            jobs = [
                pool.submit(_run_students, config, curriculum, fitted, c, per_student)
                for c in chunks
            ]
            for job in jobs:  # in student order, so sums do not depend on timing
                outcomes += job.result()
                if progress is not None:
                    progress(len(outcomes))
    else:
        for chunk in chunks:
            outcomes += _run_students(config, curriculum, fitted, chunk, per_student)
            if progress is not None:
                progress(len(outcomes))

    for name, extra in ((PRODUCTION, production_outcomes), (REFIT, refit_outcomes)):
        if extra is not None:
            for row, outcome in zip(outcomes, extra, strict=True):
                row[name] = outcome
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
        production,
    )


_CHUNK = 10  # students per job


def _run_students(
    config: SimConfig,
    curriculum: Curriculum,
    fitted: dict[str, float],
    students: range,
    policies: Sequence[str],
) -> list[dict[str, Outcome]]:
    world = World(curriculum, config.model, config.seed)
    world.fitted = fitted
    out = []
    for n in students:
        base = Student.draw(world, random.Random(f"student-{config.seed}-{n}"), config.grades)
        calls = call_schedule(config, random.Random(f"calls-{config.seed}-{n}"))
        row = {}
        for name in policies:
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
