"""The production row: the tutor exactly as the server runs it, on simulated children.

What serve calls, step by step, and what this module runs in its place:

- **The version.** `yachay tutor train` (`retrain.train_from_db`) reads the database's
  answers as an `AnswerLog` and the students' grades, then trains a candidate and judges it
  against production with `candidate.train_candidate` and `candidate.judge`: the holdout
  split, the model (`DEFAULT_MODEL`), the skill filter that decides, and the gate (the
  model and the filter each not worse than production's holdout AUC, within
  `AUC_TOLERANCE`). `ModelLine.retrain` calls those same two functions on an `AnswerLog`
  of simulated answers (the same structure, the same fingerprint rule); what it leaves out
  is the database read and MLflow's bookkeeping (the run, the snapshot, the registry).
- **Serving.** A promoted version is written as a checkpoint with `save_checkpoint` and
  named in a pointer with `write_pointer`, in a temporary tutor folder; `TutorService` — the
  server's class — loads it and answers every prediction with the child's grade (no
  version at all: the cold-start prior, as on the phone).
- **Deciding.** `ProductionPolicy` builds a round as `decisions.practice_round` does
  (spaced reviews from the whole history, `next_items`, questions of a later grade
  excluded), without the database read.
- **When it retrains.** Before the first child calls, on the warm-up cohort's logged
  random practice (`warmup_histories`); then every `SimConfig.retrain_days` days (7: a
  weekly `yachay tutor train`) on the warm-up answers and every answer the simulated
  children gave so far. The children advance together, a week at a time, so a retrain sees
  exactly the answers a server would have logged by then.
"""

from __future__ import annotations

import dataclasses
import hashlib
import random
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from yachay.config import Settings
from yachay.tutor.answer_log import AnswerLog, StudentAnswers, question_skill
from yachay.tutor.bank import QuestionInfo
from yachay.tutor.candidate import Served
from yachay.tutor.decisions import beyond_grade
from yachay.tutor.domain import AnswerEvent, Catalog, Predictor
from yachay.tutor.policy import next_items
from yachay.tutor.review import ReviewState
from yachay.tutor.serving import TutorService
from yachay.tutor.simulation.policies import Policy
from yachay.tutor.simulation.teaching import Outcome, call_schedule, finish, teach
from yachay.tutor.simulation.world import SimConfig, Student, World

__all__ = [
    "ModelLine",
    "ProductionPolicy",
    "Retraining",
    "answer_log",
    "question_info",
    "run_production",
    "run_refitted_filter",
]

#: Warm-up students' ids in the answer log (simulated children are 1, 2, ...).
WARMUP_ID = 1_000_000


def question_info(catalog: Catalog, choices: int = 4) -> dict[str, QuestionInfo]:
    """What the question bank tells serving about each item (keypad questions: 4 choices)."""
    return {
        i.id: QuestionInfo(question_skill(i.skills), int(i.difficulty), choices)
        for i in catalog.items
    }


def answer_log(
    students: Sequence[tuple[int, Sequence[tuple[str, bool, int | None]]]], catalog: Catalog
) -> AnswerLog:
    """``(student id, [(item, correct, response_ms), ...])`` as `read_answer_log` returns the
    database's answers: per student, oldest first, the question's first skill, and a
    fingerprint of exactly that data."""
    digest = hashlib.sha256()
    out = []
    for student_id, answers in students:
        if not answers:
            continue
        skills = tuple(question_skill(catalog.item[a[0]].skills) for a in answers)
        out.append(
            StudentAnswers(
                student_id,
                tuple(a[0] for a in answers),
                skills,
                tuple(bool(a[1]) for a in answers),
                tuple(a[2] for a in answers),
            )
        )
        for (item, correct, ms), skill in zip(answers, skills, strict=True):
            digest.update(f"{student_id}\t{item}\t{skill}\t{int(correct)}\t{ms}\n".encode())
    return AnswerLog(tuple(out), digest.hexdigest())


@dataclass
class Retraining:
    """One scheduled retrain: what the promotion gate saw and decided."""

    day: int
    answers: int
    students: int
    holdout_answers: int
    holdout_auc: float | None
    production_auc: float | None
    #: The skill filter's (what decides) holdout AUC, new and production's.
    filter_auc: float | None
    production_filter_auc: float | None
    promoted: bool
    reason: str
    version: int | None


@dataclass
class ModelLine:
    """Train, gate and publish models as `yachay tutor train` does; serve them with the
    server's `TutorService` from a temporary tutor folder."""

    catalog: Catalog
    model_name: str = ""
    max_epochs: int | None = None
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="yachay-sim-")))
    history: list[Retraining] = field(default_factory=list)

    def __post_init__(self) -> None:
        from yachay.tutor.defaults import DEFAULT_MODEL

        self.model_name = self.model_name or DEFAULT_MODEL
        self.settings = Settings(var_dir=self.folder)
        self.service = TutorService(self.settings, poll_interval=0.0)
        self.service.start()  # no model yet: the cold-start prior serves
        self.info = question_info(self.catalog)
        self._production: Served | None = None  # what the gate reads of the served version
        self._version = 0

    def predictor(self, grade: int) -> Predictor:
        """What a student of ``grade``'s practice is decided with, as on the server."""
        return self.service.predictor(self.info, self.catalog, grade)

    def retrain(self, log: AnswerLog, day: int, grades: Mapping[int, int]) -> Retraining:
        """`train_from_db` on ``log``: the same candidate, judged by the same gate against
        the served version, published if it passes."""
        from yachay.tutor.candidate import MIN_ANSWERS, NotEnoughData, judge, train_candidate
        from yachay.tutor.checkpoint import save_checkpoint
        from yachay.tutor.decider import FILTER_KEY
        from yachay.tutor.registry import Pointer, write_pointer
        from yachay.tutor.train_config import TrainConfig

        config = TrainConfig()
        if self.max_epochs is not None:
            config = dataclasses.replace(config, max_epochs=self.max_epochs)
        try:
            candidate = train_candidate(
                log,
                grades,
                self.catalog,
                self.model_name,
                config,
                min_answers=MIN_ANSWERS,
                keep=self._production.fitted if self._production else None,
            )
        except NotEnoughData as exc:
            record = Retraining(
                day,
                log.num_answers,
                len(log.students),
                0,
                None,
                None,
                None,
                None,
                False,
                str(exc),
                None,
            )
            self.history.append(record)
            return record
        judgement = judge(candidate, self._production, grades, self.catalog)
        version = None
        if judgement.promoted:
            self._version += 1
            version = self._version
            relative = f"models/v{version}.pt"
            save_checkpoint(
                self.settings.tutor_dir / relative,
                candidate.model,
                train_config=config,
                metadata={
                    **candidate.vocabulary.to_metadata(),
                    "fingerprint": log.fingerprint,
                    **({FILTER_KEY: candidate.fitted} if candidate.fitted else {}),
                },
            )
            write_pointer(
                self.settings.tutor_dir,
                Pointer(version, relative, self.model_name, log.fingerprint),
            )
            self.service.start()  # what the next poll of the pointer does on the server
            self._production = Served(
                version, candidate.model.eval(), candidate.vocabulary, config, candidate.fitted
            )

        def auc(metrics: dict[str, float] | None) -> float | None:
            return None if not metrics else round(metrics["auc"], 4)

        record = Retraining(
            day,
            log.num_answers,
            len(log.students),
            candidate.holdout.num_answers,
            auc(candidate.new),
            auc(judgement.production),
            auc(candidate.filter),
            auc(judgement.production_filter),
            judgement.promoted,
            judgement.reason,
            version,
        )
        self.history.append(record)
        return record


class ProductionPolicy(Policy):
    """A practice round as `decisions.practice_round` builds it, with the served model."""

    def __init__(self, world: World, student: Student, predictor: Predictor) -> None:
        self.catalog = world.catalog
        self.grade = student.grade
        self.predictor = predictor
        self.history: list[AnswerEvent] = []
        self.exclude = beyond_grade(world.catalog, student.grade)

    def choose(self, now: datetime, n: int) -> list[str]:
        history = self.history
        due = ReviewState.from_history(history, self.catalog).due(now) if history else []
        picks = next_items(
            history,
            self.catalog,
            self.predictor,
            now,
            n,
            grade=self.grade,
            due_reviews=due,
            exclude=self.exclude,
        )
        return [c.item_id for c in picks]

    def observe(self, event: AnswerEvent) -> None:
        self.history.append(event)

    def answers(self) -> list[tuple[str, bool, int | None]]:
        return [(e.item_id, e.correct, e.response_ms) for e in self.history]


def warmup_log(
    histories: Sequence[tuple[int, Sequence[tuple[str, bool, int]]]],
) -> list[tuple[int, Sequence[tuple[str, bool, int]]]]:
    """The warm-up cohort's answers keyed by their ids in the answer log."""
    return [(WARMUP_ID + n, answers) for n, (_grade, answers) in enumerate(histories)]


def student_rng(config: SimConfig, n: int) -> random.Random:
    return random.Random(f"answers-{config.seed}-{n}")


def run_production(
    config: SimConfig,
    world: World,
    histories: Sequence[tuple[int, Sequence[tuple[str, bool, int]]]],
) -> tuple[list[Outcome], ModelLine]:
    """Teach every student with the production tutor (see the module doc): the same
    children, calls and random draws as the other policies, a week at a time, the model
    retrained between weeks on everything logged so far."""
    with tempfile.TemporaryDirectory(prefix="yachay-sim-") as folder:
        return _run_production(config, world, histories, Path(folder))


class RefittedFilter:
    """`SkillFilter` parameters fitted on logged answers and the students' grades, refitted
    on the production schedule: the ``adaptive-refit`` comparison row's predictor."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.fitted: dict[str, float] = {}
        self.version = 0

    def refit(self, graded: Sequence[tuple[int, Sequence[tuple]]]) -> None:
        from yachay.tutor.filter_fit import fit_filter

        self.fitted = fit_filter(graded, self.catalog)
        self.version += 1

    def predictor(self, grade: int) -> Predictor:
        return _RefittedPredictor(self, grade)


class _RefittedPredictor:
    def __init__(self, source: RefittedFilter, grade: int) -> None:
        self.source, self.grade = source, grade
        self._filter, self._version = None, -1

    def predict(self, history, candidates):  # noqa: ANN001, ANN201
        from yachay.tutor.skill_filter import filter_from_fitted

        if self._version != self.source.version:  # a refit: a new filter replays the history
            self._filter = filter_from_fitted(self.source.catalog, self.grade, self.source.fitted)
            self._version = self.source.version
        return self._filter.predict(history, candidates)


def run_refitted_filter(
    config: SimConfig,
    world: World,
    histories: Sequence[tuple[int, Sequence[tuple[str, bool, int]]]],
) -> list[Outcome]:
    """The ``adaptive-refit`` row: the production row's path and schedule with the filter,
    refitted every `SimConfig.retrain_days` on the logged answers and grades, in the served
    model's place."""
    source = RefittedFilter(world.catalog)
    source.refit(histories)
    kids = []
    for n in range(config.students):
        student = Student.draw(world, random.Random(f"student-{config.seed}-{n}"), config.grades)
        calls = list(enumerate(call_schedule(config, random.Random(f"calls-{config.seed}-{n}"))))
        policy = ProductionPolicy(world, student, source.predictor(student.grade))
        kids.append(_Kid(student, calls, policy, student_rng(config, n), student.mastered()))
    for start in range(0, config.days, config.retrain_days):
        end = start + config.retrain_days
        for n, kid in enumerate(kids):
            week = [(i, c) for i, c in kid.calls if start <= c.day < end]
            teach(kid.student, week, kid.policy, config, kid.rng, f"s{n}", kid.out)
        if end < config.days:
            source.refit([*histories, *((k.student.grade, k.policy.answers()) for k in kids)])
    return [finish(kid.student, kid.before, kid.out, config) for kid in kids]


def _run_production(
    config: SimConfig,
    world: World,
    histories: Sequence[tuple[int, Sequence[tuple[str, bool, int]]]],
    folder: Path,
) -> tuple[list[Outcome], ModelLine]:
    catalog = world.catalog
    line = ModelLine(
        catalog,
        model_name=config.production_model or "",
        max_epochs=config.production_epochs,
        folder=folder,
    )
    warm = warmup_log(histories)
    grades = {student_id: histories[student_id - WARMUP_ID][0] for student_id, _ in warm}
    line.retrain(answer_log(warm, catalog), day=0, grades=grades)
    kids = []
    for n in range(config.students):
        student = Student.draw(world, random.Random(f"student-{config.seed}-{n}"), config.grades)
        calls = list(enumerate(call_schedule(config, random.Random(f"calls-{config.seed}-{n}"))))
        grades[n + 1] = student.grade
        policy = ProductionPolicy(world, student, line.predictor(student.grade))
        kids.append(_Kid(student, calls, policy, student_rng(config, n), student.mastered()))
    for start in range(0, config.days, config.retrain_days):
        end = start + config.retrain_days
        for n, kid in enumerate(kids):
            week = [(i, c) for i, c in kid.calls if start <= c.day < end]
            teach(kid.student, week, kid.policy, config, kid.rng, f"s{n}", kid.out)
        if end < config.days:
            logged = [*warm, *((n + 1, kid.policy.answers()) for n, kid in enumerate(kids))]
            line.retrain(answer_log(logged, catalog), day=end, grades=grades)
    return [finish(kid.student, kid.before, kid.out, config) for kid in kids], line


@dataclass
class _Kid:
    student: Student
    calls: list
    policy: ProductionPolicy
    rng: random.Random
    before: set[int]
    out: Outcome = field(default_factory=Outcome)
