"""The served tutor: the cold-start prior, following promotions, and scoring a round exactly
as the model's forward (and evaluation) would."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.tutor.reference_scorer import Answer, KnowledgeTracer
from tests.tutor.tutor_db import DIFFICULTY, QUESTIONS, fake_version, mlflow_store
from yachay.config import Settings
from yachay.tutor.answer_log import Vocabulary
from yachay.tutor.bank import QuestionInfo
from yachay.tutor.checkpoint import load_checkpoint
from yachay.tutor.data import StudentSequence
from yachay.tutor.features import UNTIMED_FEATURES, history_features, next_features
from yachay.tutor.models import MODELS, build_model
from yachay.tutor.prior import prior_probability
from yachay.tutor.registry import Pointer, Registry, write_pointer
from yachay.tutor.scoring import score_candidates
from yachay.tutor.serving import TutorService

# --- the cold-start prior -----------------------------------------------------------------


def test_the_prior_favours_easier_questions_and_what_the_student_has_shown():
    def p(difficulty, right=0, answers=0, all_right=0, all_answers=0, choices=4):  # noqa: ANN001, ANN202
        return prior_probability(
            QuestionInfo("s", difficulty, choices), right, answers, all_right, all_answers
        )

    by_difficulty = [p(d) for d in range(1, 6)]
    assert by_difficulty == sorted(by_difficulty, reverse=True)
    assert p(3) == pytest.approx(0.72, abs=0.01)  # inside the productive band
    assert 0.45 < p(5) < p(1) < 0.95
    assert p(3, right=10, answers=10) > 0.9 > p(3) > 0.5 > p(3, right=0, answers=10) > 0.25
    assert p(3, all_right=10, all_answers=10) > p(3)  # a new skill: what they showed elsewhere
    assert p(3, right=0, answers=10, all_right=10, all_answers=10) < p(3)  # the skill first
    assert p(5, right=0, answers=50, choices=2) > 0.5  # never below a guess
    assert p(5, right=0, answers=50, choices=4) > 0.25


# --- the service --------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def settings(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    var = tmp_path / "var"
    mlflow_store(tmp_path_factory, var)
    return Settings(var_dir=var)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(settings: Settings, clock: Clock) -> TutorService:
    return TutorService(settings, clock=clock)


HISTORY = [("sumar-q1", True), ("sumar-q2", True), ("restar-q3", False), ("sumar-q0", True)]
CANDIDATES = [qid for qid, _, _ in QUESTIONS]
#: What the question bank says of each question (tests/tutor/tutor_db.py's bank).
INFO = {qid: QuestionInfo(skill, difficulty, 4) for qid, skill, difficulty in QUESTIONS}


def test_a_fresh_install_answers_from_the_prior(service):
    assert service.predict(HISTORY, []) == {}
    p = service.predict([], CANDIDATES, INFO)
    assert list(p) == CANDIDATES and service.version is None
    assert all(0.25 < v < 1 for v in p.values())
    easy = [p[q] for q in CANDIDATES if DIFFICULTY[q] == 1]
    hard = [p[q] for q in CANDIDATES if DIFFICULTY[q] == 5]
    assert min(easy) > max(hard)
    # the student's own answers count: right on sumar, wrong on restar
    p = service.predict(HISTORY, ["sumar-q2", "restar-q2"], INFO)
    assert p["sumar-q2"] > p["restar-q2"]
    # questions nobody knows of are still answered
    p = service.predict([("ghost-1", True)], ["ghost-2"])
    assert 0.25 < p["ghost-2"] < 1


def expected(settings: Settings, version: int, history, candidates) -> dict[str, float]:  # noqa: ANN001
    """The slow reference: KnowledgeTracer.predict on the checkpoint, ids mapped by hand."""
    checkpoint = load_checkpoint(Registry(settings).checkpoint_path(version))
    vocab = Vocabulary.from_metadata(checkpoint.metadata)
    config = checkpoint.train_config
    tracer = KnowledgeTracer(checkpoint.model, config.window, stride=config.stride)
    answers = [
        Answer(
            vocab.question_id(a[0]),
            a[1],
            vocab.skill_id(vocab.question_skills.get(a[0], "-")),
            a[2] if len(a) > 2 else None,
        )
        for a in history
    ]
    cands = [(vocab.questions[c], vocab.skill_id(vocab.question_skills[c])) for c in candidates]
    return dict(zip(candidates, tracer.predict(answers, cands).tolist(), strict=True))


def test_serving_follows_promote_and_rollback_without_a_restart(settings, service, clock, tmp_path):
    registry = Registry(settings)
    for seed in (1, 2):
        fake_version(registry, settings, seed, tmp_path)
    registry.promote(1)
    service.start()
    assert service.version == 1
    got = service.predict(HISTORY, CANDIDATES)
    want = expected(settings, 1, HISTORY, CANDIDATES)
    assert got == pytest.approx(want, abs=1e-5)

    registry.promote(2)
    assert service.predict(HISTORY, CANDIDATES) == got  # checked at most once a second
    clock.now += 1.5
    v2 = service.predict(HISTORY, CANDIDATES)
    assert service.version == 2
    assert v2 == pytest.approx(expected(settings, 2, HISTORY, CANDIDATES), abs=1e-5)
    assert v2 != pytest.approx(got, abs=1e-3)

    registry.rollback()
    clock.now += 1.5
    assert service.predict(HISTORY, CANDIDATES) == pytest.approx(want, abs=1e-5)
    assert service.version == 1


def test_the_served_model_reads_response_times(settings, service, clock, tmp_path):
    """A model trained on our answers reads how long each took; one trained without times
    (or before they were features) is served the same whatever the times."""
    registry = Registry(settings)
    fake_version(registry, settings, 1, tmp_path)
    fake_version(registry, settings, 2, tmp_path, num_features=UNTIMED_FEATURES)
    quick = [(q, c, 1800) for q, c in HISTORY]
    slow = [(q, c, 24_000) for q, c in HISTORY]
    registry.promote(1)
    service.start()
    got = service.predict(quick, CANDIDATES)
    assert got == pytest.approx(expected(settings, 1, quick, CANDIDATES), abs=1e-5)
    assert service.predict(slow, CANDIDATES) != pytest.approx(got, abs=1e-3)
    # pairs are answers of unknown time
    unknown = [(q, c, None) for q, c in HISTORY]
    assert service.predict(HISTORY, CANDIDATES) == service.predict(unknown, CANDIDATES)

    registry.promote(2)
    clock.now += 1.5
    untimed = service.predict(quick, CANDIDATES)
    assert service.version == 2
    assert untimed == pytest.approx(expected(settings, 2, quick, CANDIDATES), abs=1e-5)
    assert service.predict(slow, CANDIDATES) == untimed
    assert service.predict(HISTORY, CANDIDATES) == untimed


def test_questions_the_model_never_saw_get_the_prior(settings, service, tmp_path):
    registry = Registry(settings)
    fake_version(registry, settings, 1, tmp_path)
    registry.promote(1)
    history = [*HISTORY, ("added-since", True)]  # answered, but unknown to the model
    p = service.predict(history, ["sumar-q1", "ghost"], INFO)
    assert service.version == 1
    assert p["sumar-q1"] == pytest.approx(
        expected(settings, 1, history, ["sumar-q1"])["sumar-q1"], abs=1e-5
    )
    # the same question bank, no model: the prior
    cold = TutorService(Settings(var_dir=settings.var_dir / "elsewhere"))
    assert p["ghost"] == pytest.approx(cold.predict(history, ["ghost"], INFO)["ghost"])
    assert cold.version is None


def test_a_broken_checkpoint_keeps_the_current_model(settings, service, clock, tmp_path, caplog):
    registry = Registry(settings)
    fake_version(registry, settings, 1, tmp_path)
    registry.promote(1)
    before = service.predict(HISTORY, CANDIDATES)
    (settings.tutor_dir / "models" / "v9.pt").write_bytes(b"not a checkpoint")
    write_pointer(settings.tutor_dir, Pointer(version=9, checkpoint="models/v9.pt"))
    clock.now += 2
    assert service.predict(HISTORY, CANDIDATES) == before
    assert service.version == 1
    assert "could not load tutor model v9" in caplog.text
    write_pointer(settings.tutor_dir, Pointer(version=10, checkpoint="models/missing.pt"))
    clock.now += 2
    assert service.predict(HISTORY, CANDIDATES) == before


def test_the_versions_filter_decides_and_a_failing_filter_leaves_it_to_the_model(
    settings, service, tmp_path, caplog
):
    from yachay.tutor.decider import FILTER_KEY
    from yachay.tutor.domain import Catalog, Item
    from yachay.tutor.skill_filter import filter_from_fitted

    questions = {qid: i for i, (qid, _, _) in enumerate(QUESTIONS, start=1)}
    vocab = Vocabulary(
        questions,
        {s: i for i, s in enumerate(("sumar", "restar", "contar"), start=1)},
        {qid: skill for qid, skill, _ in QUESTIONS},
    )
    fitted = {"step": 1.5, "learn": 0.2, "jump": 2.0, "prior_at": -1.0, "prior_below": 1.0}
    registry = Registry(settings)
    fake_version(
        registry, settings, 1, tmp_path, metadata={**vocab.to_metadata(), FILTER_KEY: fitted}
    )
    registry.promote(1)
    catalog = Catalog.build([Item(qid, (skill,), d, 2) for qid, skill, d in QUESTIONS], [])
    decided = service.predictor(INFO, catalog, grade=2).predict(HISTORY, CANDIDATES)
    assert decided == pytest.approx(
        filter_from_fitted(catalog, 2, fitted).predict(HISTORY, CANDIDATES)
    )
    by_model = service.predict(HISTORY, CANDIDATES, INFO)
    assert by_model != pytest.approx(decided)
    # a question of a difficulty the filter has no level for (content gone wrong): the
    # filter fails, the call does not; the model answers, and the log says why
    broken = Catalog.build([Item(qid, (skill,), 9, 2) for qid, skill, _ in QUESTIONS], [])
    predictor = service.predictor(INFO, broken, grade=2)
    assert predictor.predict(HISTORY, CANDIDATES) == pytest.approx(by_model)
    assert {predictor.version_of(c) for c in CANDIDATES} == {1}
    assert "the skill filter of v1 failed" in caplog.text


def test_threads_predict_while_production_switches(settings, tmp_path):
    registry = Registry(settings)
    for seed in (1, 2):
        fake_version(registry, settings, seed, tmp_path)
    registry.promote(1)
    service = TutorService(settings, poll_interval=0.0)
    errors: list[BaseException] = []
    stop = threading.Event()

    def work() -> None:
        try:
            while not stop.is_set():
                p = service.predict(HISTORY, CANDIDATES)
                assert len(p) == len(CANDIDATES) and all(0 < v < 1 for v in p.values())
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    workers = [threading.Thread(target=work) for _ in range(3)]
    for w in workers:
        w.start()
    for _ in range(3):
        registry.promote(2)
        registry.rollback()
    stop.set()
    for w in workers:
        w.join()
    assert not errors
    assert service.predict(HISTORY, CANDIDATES) and service.version == 1


def test_the_service_as_a_predictor_reads_the_bank_it_is_given(settings, service):
    bound = service.predictor(INFO)
    assert bound.predict(HISTORY, CANDIDATES) == service.predict(HISTORY, CANDIDATES, INFO)
    # without the bank's facts every question is a middle one
    flat = service.predict([], CANDIDATES)
    assert len(set(flat.values())) == 1


def test_warm_up_loads_the_model_in_the_background(settings, service, tmp_path):
    registry = Registry(settings)
    fake_version(registry, settings, 1, tmp_path)
    registry.promote(1)
    assert service.version is None  # nothing loaded while only built
    service.warm_up()
    service.warm_up()  # once
    service._warm_up.join(timeout=60)
    assert service.version == 1


# --- scoring a round = the model's forward, once per candidate ---------------------------


def random_history(rng: np.random.Generator, n: int, items: int, skills: int) -> StudentSequence:
    ms = np.where(rng.random(n) < 0.2, -1, rng.integers(500, 30_000, n))
    return StudentSequence(
        rng.integers(1, items + 3, n), rng.integers(1, skills + 3, n), rng.integers(0, 2, n), ms
    )


def reference(model, history: StudentSequence, cq, cs, window: int, stride: int):  # noqa: ANN001, ANN201
    times = history.ms.tolist()
    answers = [
        Answer(int(q), bool(r), int(s), None if t < 0 else int(t))
        for q, s, r, t in zip(
            history.questions, history.skills, history.responses, times, strict=True
        )
    ]
    tracer = KnowledgeTracer(model, window, stride=stride)
    return tracer.predict(answers, list(zip(cq.tolist(), cs.tolist(), strict=True)))


CONFIGS = [(name, {}) for name in sorted(MODELS)] + [
    ("dkt+f", {"concepts": 0}),
    ("dkt+f", {"pfa_head": False}),
    ("dkt+f", {"attention_heads": 2}),
    ("attn+f", {"concepts": 0, "pfa_head": False, "layers": 2}),
]


@pytest.mark.parametrize(("name", "config"), CONFIGS)
@pytest.mark.parametrize(("window", "stride"), [(200, 100), (6, 3), (7, 7)])
def test_one_pass_scoring_equals_one_sequence_per_candidate(name, config, window, stride):
    """Every model, read once and read out for every candidate, gives what its forward gives
    for each candidate appended to the history (the window evaluation would read)."""
    torch.manual_seed(0)
    model = build_model(name, num_items=30, num_skills=5, **config).eval()
    rng = np.random.default_rng(1)
    history = random_history(rng, 25, 30, 5)
    cq, cs = rng.integers(1, 34, 40), rng.integers(1, 8, 40)  # some beyond the vocabulary
    for n in (0, 1, 6, 7, 13, 25):
        part = StudentSequence(
            history.questions[:n], history.skills[:n], history.responses[:n], history.ms[:n]
        )
        np.testing.assert_allclose(
            score_candidates(model, part, cq, cs, window=window, stride=stride),
            reference(model, part, cq, cs, window, stride),
            atol=1e-5,
        )


def test_serving_reads_a_history_the_way_evaluation_scored_it():
    """The score served for the next answer is the one evaluation gave that answer (the
    windows evaluation cut), so the published test AUC is what students get."""
    from yachay.tutor.train import predict_sequences
    from yachay.tutor.train_config import TrainConfig

    torch.manual_seed(0)
    model = build_model("dkt+f", num_items=30, num_skills=5).eval()
    history = random_history(np.random.default_rng(4), 30, 30, 5)
    _, evaluated = predict_sequences(model, [history], TrainConfig(window=8, eval_stride=3))
    served = [
        score_candidates(
            model,
            StudentSequence(
                history.questions[:t], history.skills[:t], history.responses[:t], history.ms[:t]
            ),
            history.questions[t : t + 1],
            history.skills[t : t + 1],
            window=8,
            stride=3,
        )[0]
        for t in range(30)
    ]
    np.testing.assert_allclose(served, evaluated, atol=1e-5)


def test_a_candidates_features_are_those_it_gets_once_answered():
    rng = np.random.default_rng(3)
    history = random_history(rng, 40, 12, 4)
    cq, cs = rng.integers(1, 16, 20), rng.integers(1, 7, 20)
    window, got = next_features(history, cq, cs, start=17)
    np.testing.assert_array_equal(window, history_features(history)[17:])
    for i, (q, s) in enumerate(zip(cq, cs, strict=True)):
        longer = StudentSequence(
            np.append(history.questions, q),
            np.append(history.skills, s),
            np.append(history.responses, 1),
            np.append(history.ms, 900),
        )
        np.testing.assert_array_equal(got[i], history_features(longer)[-1])
