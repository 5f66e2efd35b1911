"""Serving: the production model by our question ids, picked up without a restart, a
sensible cold start, and the fast scorer that gives the same numbers as the slow one."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.tutor.tutor_db import DIFFICULTY, QUESTIONS, fake_version, make_database, mlflow_store
from yachay.app import create_app
from yachay.config import Settings
from yachay.tutor.checkpoint import load_checkpoint
from yachay.tutor.data import UNTIMED_FEATURES, StudentSequence, history_features
from yachay.tutor.db_data import QuestionInfo, Vocabulary
from yachay.tutor.history_counts import HistoryCounts, sequence_features
from yachay.tutor.models import DEFAULT_MODEL, MODELS, build_model
from yachay.tutor.models.dkt import DKT
from yachay.tutor.predict import Answer, KnowledgeTracer
from yachay.tutor.prior import prior_probability
from yachay.tutor.registry import Pointer, Registry, write_pointer
from yachay.tutor.scoring import FAST_PATHS, CandidateScorer
from yachay.tutor.serving import TutorService, init_app

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
def db(settings: Settings):  # noqa: ANN201
    _, database = make_database(settings.var_dir)
    yield database
    database.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(settings: Settings, db, clock: Clock) -> TutorService:  # noqa: ANN001
    return TutorService(settings, db, threads=None, clock=clock)


HISTORY = [("sumar-q1", True), ("sumar-q2", True), ("restar-q3", False), ("sumar-q0", True)]
CANDIDATES = [qid for qid, _, _ in QUESTIONS]


def test_a_fresh_install_answers_from_the_prior(service):
    assert service.predict(HISTORY, []) == {}
    p = service.predict([], CANDIDATES)
    assert list(p) == CANDIDATES and service.version is None
    assert all(0.25 < v < 1 for v in p.values())
    easy = [p[q] for q in CANDIDATES if DIFFICULTY[q] == 1]
    hard = [p[q] for q in CANDIDATES if DIFFICULTY[q] == 5]
    assert min(easy) > max(hard)
    # the student's own answers count: right on sumar, wrong on restar
    p = service.predict(HISTORY, ["sumar-q2", "restar-q2"])
    assert p["sumar-q2"] > p["restar-q2"]
    # questions nobody knows of are still answered
    p = service.predict([("ghost-1", True)], ["ghost-2"])
    assert 0.25 < p["ghost-2"] < 1


def expected(settings: Settings, version: int, history, candidates) -> dict[str, float]:  # noqa: ANN001
    """The slow reference: KnowledgeTracer.predict on the checkpoint, ids mapped by hand."""
    checkpoint = load_checkpoint(Registry(settings).checkpoint_path(version))
    vocab = Vocabulary.from_metadata(checkpoint.metadata)
    tracer = KnowledgeTracer(checkpoint.model, checkpoint.train_config.window)
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
    p = service.predict(history, ["sumar-q1", "ghost"])
    assert service.version == 1
    assert p["sumar-q1"] == pytest.approx(
        expected(settings, 1, history, ["sumar-q1"])["sumar-q1"], abs=1e-5
    )
    # the same question bank, no model: the prior
    cold = TutorService(Settings(var_dir=settings.var_dir / "elsewhere"), service.db, threads=None)
    assert p["ghost"] == pytest.approx(cold.predict(history, ["ghost"])["ghost"])
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


def test_threads_predict_while_production_switches(settings, db, tmp_path):  # noqa: ANN001
    registry = Registry(settings)
    for seed in (1, 2):
        fake_version(registry, settings, seed, tmp_path)
    registry.promote(1)
    service = TutorService(settings, db, threads=None, poll_interval=0.0)
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


def test_init_app_registers_the_service_and_loads_on_the_first_request(settings, tmp_path):
    url, database = make_database(settings.var_dir)
    registry = Registry(settings)
    fake_version(registry, settings, 1, tmp_path)
    registry.promote(1)
    app = create_app({"var_dir": settings.var_dir, "database_url": url})
    service = init_app(app)
    service.threads = None
    assert app.extensions["yachay.tutor"] is service
    assert service.version is None  # nothing loaded while the app is only built
    app.test_client().get("/healthz")
    service._warm_up.join(timeout=60)
    assert service.version == 1
    database.dispose()


# --- fast scoring = slow scoring ----------------------------------------------------------


def random_history(rng: np.random.Generator, n: int, items: int, skills: int):  # noqa: ANN201
    # ids up to 2 past the vocabulary: unknown questions and skills are scored too
    return (rng.integers(1, items + 3, n), rng.integers(1, skills + 3, n), rng.integers(0, 2, n))


def random_times(rng: np.random.Generator, n: int) -> np.ndarray:
    """Response times in ms, a fifth of them unknown (-1)."""
    return np.where(rng.random(n) < 0.2, -1, rng.integers(300, 40_000, n))


@pytest.mark.parametrize("timed", [True, False])
def test_vectorised_features_equal_the_reference(timed):
    rng = np.random.default_rng(0)
    for n in (0, 1, 2, 7, 60):
        q, s, r = random_history(rng, n, 12, 4)
        ms = random_times(rng, n) if timed else None
        if n:
            reference = history_features(StudentSequence(q, s, r, ms))
            np.testing.assert_allclose(sequence_features(q, s, r, ms), reference, atol=1e-6)
            if n > 7:
                assert reference[1:, -2:].any() == timed  # the times are read, or all 0
        cq, cs = rng.integers(1, 15, 9), rng.integers(1, 7, 9)
        got = HistoryCounts.of(q, s, r, ms=ms).features(cq, cs)
        for i in range(9):
            whole = StudentSequence(
                np.append(q, cq[i]),
                np.append(s, cs[i]),
                np.append(r, 0),
                None if ms is None else np.append(ms, -1),
            )
            np.testing.assert_allclose(got[i], history_features(whole)[-1], atol=1e-6)


def fast_models() -> dict[str, type]:
    """Every registered model the scorer knows a fast path for."""
    return {name: cls for name, cls in MODELS.items() if cls.__name__ in FAST_PATHS}


def test_the_default_model_has_a_fast_path():
    assert DEFAULT_MODEL in fast_models()


@pytest.mark.parametrize("name", sorted(fast_models()))
@pytest.mark.parametrize("window", [200, 6])
def test_fast_scoring_equals_one_sequence_per_candidate(name, window):
    torch.manual_seed(0)
    cls = fast_models()[name]
    model = cls(cls.Config(num_items=30, num_skills=5)).eval()
    with torch.no_grad():  # trained weights are not small; zeros would hide mistakes
        for parameter in model.parameters():
            parameter.add_(torch.randn_like(parameter) * 0.2)
    scorer = CandidateScorer(model, window)
    assert scorer.is_fast, f"{name} fell back to the slow path"
    rng = np.random.default_rng(1)
    for n in (0, 1, 5, 40):
        q, s, r = random_history(rng, n, 30, 5)
        ms = random_times(rng, n)
        cq, cs = rng.integers(1, 33, 25), rng.integers(1, 8, 25)
        fast = scorer.score(q, s, r, cq, cs, ms=ms)
        slow = scorer.score_naive(q, s, r, cq, cs, ms=ms)
        np.testing.assert_allclose(fast, slow, atol=1e-5)
    assert scorer.score(q, s, r, [], []).shape == (0,)


def perturbed(name: str, **config: int):  # noqa: ANN201
    """A model with random weights: trained weights are not small, zeros would hide mistakes."""
    torch.manual_seed(0)
    cls = fast_models()[name]
    model = cls(cls.Config(num_items=30, num_skills=5, **config)).eval()
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(torch.randn_like(parameter) * 0.2)
    return model


def test_counts_grown_answer_by_answer_equal_counts_of_the_whole_history():
    rng = np.random.default_rng(3)
    q, s, r = random_history(rng, 40, 12, 4)
    ms = random_times(rng, 40)
    counts = HistoryCounts.of(q[:0], s[:0], r[:0], sizes=(5, 3))  # too small: must grow
    cq, cs = np.arange(1, 16), rng.integers(1, 7, 15)
    for n in range(41):
        whole = HistoryCounts.of(q[:n], s[:n], r[:n], ms=ms[:n])
        np.testing.assert_array_equal(counts.features(cq, cs), whole.features(cq, cs))
        for question, skill in [*zip(cq.tolist(), cs.tolist(), strict=True), (40, 2), (3, 9)]:
            np.testing.assert_array_equal(  # one row without arrays: the very same numbers
                counts.next_features(question, skill),
                counts.features(np.array([question]), np.array([skill])),
            )
        if n < 40:
            counts = counts.extended(int(q[n]), int(s[n]), int(r[n]), int(ms[n]))


@pytest.mark.parametrize("name", sorted(fast_models()))
def test_a_growing_history_is_stepped_not_reread_and_stays_exact(name, monkeypatch):
    model = perturbed(name)
    scorer = CandidateScorer(model, 6, stride=3)
    reads = []
    read = scorer.windows.read  # the test counts the passes over a window
    monkeypatch.setattr(
        scorer.windows,
        "read",
        lambda q, s, r, m, start: reads.append(len(q)) or read(q, s, r, m, start),
    )
    rng = np.random.default_rng(2)
    q, s, r = random_history(rng, 20, 30, 5)
    ms = random_times(rng, 20)
    for n in [*range(0, 12), 11, 14, 20]:
        cq, cs = rng.integers(1, 33, 12), rng.integers(1, 8, 12)
        np.testing.assert_allclose(
            scorer.score(q[:n], s[:n], r[:n], cq, cs, ms=ms[:n]),
            scorer.score_naive(q[:n], s[:n], r[:n], cq, cs, ms=ms[:n]),
            atol=1e-5,
        )
    # Windows of 6 every 3: answers 6-8 are scored in the window from 3, 9-11 from 6, 12-14
    # from 9... From answer 3 on, the growing history also grows the window from 3, so at 6
    # it is ready (and the window from 6 at 9; the jump from 11 to 14 grows three answers
    # and moves into the window from 9, grown since 9). Only the first scoring and the jump
    # to 20, from 14, more than a window back, read the history; 11 again is remembered.
    assert reads == [0, 20]
    assert scorer.remembered == 14


@pytest.mark.parametrize("window, stride", [(6, 6), (6, 2), (7, 4), (5, 1)])
def test_a_history_grown_through_any_windows_stays_exact(window, stride):
    """Windows that do not overlap, or overlap more than half: every answer of a history
    scored as it grows equals the naive path."""
    model = perturbed("dkt+f")
    scorer = CandidateScorer(model, window, stride=stride)
    rng = np.random.default_rng(7)
    q, s, r = random_history(rng, 24, 30, 5)
    ms = random_times(rng, 24)
    for n in range(25):
        cq, cs = rng.integers(1, 33, 6), rng.integers(1, 8, 6)
        np.testing.assert_allclose(
            scorer.score(q[:n], s[:n], r[:n], cq, cs, ms=ms[:n]),
            scorer.score_naive(q[:n], s[:n], r[:n], cq, cs, ms=ms[:n]),
            atol=1e-5,
        )


@pytest.mark.parametrize("name", sorted(fast_models()))
def test_a_remembered_history_is_never_mistaken_for_another(name):
    model = perturbed(name)
    scorer = CandidateScorer(model, 200)
    rng = np.random.default_rng(2)
    q, s, r = random_history(rng, 30, 30, 5)
    cq, cs = rng.integers(1, 33, 12), rng.integers(1, 8, 12)
    scorer.score(q, s, r, cq, cs)
    scorer.score(q[:-1], s[:-1], r[:-1], cq, cs)
    # One answer different is another history, never the remembered one, nor grown from it.
    flipped = r.copy()
    flipped[-1] = 1 - flipped[-1]
    np.testing.assert_allclose(
        scorer.score(q, s, flipped, cq, cs), scorer.score_naive(q, s, flipped, cq, cs), atol=1e-5
    )
    # As are the same answers to other questions.
    other = q.copy()
    other[0] = other[0] % 30 + 1
    np.testing.assert_allclose(
        scorer.score(other, s, r, cq, cs), scorer.score_naive(other, s, r, cq, cs), atol=1e-5
    )
    # And the same answers given at another speed.
    slower = np.full(len(q), 9000)
    np.testing.assert_allclose(
        scorer.score(q, s, r, cq, cs, ms=slower),
        scorer.score_naive(q, s, r, cq, cs, ms=slower),
        atol=1e-5,
    )
    assert scorer.remembered == 5


def test_serving_reads_a_history_the_way_evaluation_scored_it():
    """The score served for the next answer is the one evaluation gave that answer (the
    windows evaluation cut), so the published test AUC is what students get."""
    model = perturbed("dkt+f")
    scorer = CandidateScorer(model, 8, stride=3)
    rng = np.random.default_rng(4)
    q, s, r = random_history(rng, 30, 30, 5)
    ms = random_times(rng, 30)
    history = [
        Answer(int(a), bool(b), int(c), None if d < 0 else int(d))
        for a, b, c, d in zip(q, r, s, ms, strict=True)
    ]
    evaluated = scorer.naive.trace(history)
    served = [
        scorer.score(q[:t], s[:t], r[:t], q[t : t + 1], s[t : t + 1], ms=ms[:t])[0]
        for t in range(30)
    ]
    np.testing.assert_allclose(served, evaluated, atol=1e-5)


@pytest.mark.parametrize(
    ("config", "fast"),
    [
        ({"concepts": 0}, True),
        ({"pfa_head": False}, True),
        ({"concepts": 0, "pfa_head": False}, True),
        ({"attention_heads": 2}, False),  # the fast path does not attend: the slow one scores
    ],
)
def test_dkt_features_configurations_are_scored_exactly(config, fast, caplog):
    model = perturbed("dkt+f", **config)
    scorer = CandidateScorer(model, 6, stride=3)
    assert scorer.is_fast is fast
    if not fast:
        assert "does not attend" in caplog.text
    rng = np.random.default_rng(2)
    q, s, r = random_history(rng, 20, 30, 5)
    cq, cs = rng.integers(1, 33, 25), rng.integers(1, 8, 25)
    for n in (0, 7, 8, 20):
        np.testing.assert_allclose(
            scorer.score(q[:n], s[:n], r[:n], cq, cs),
            scorer.score_naive(q[:n], s[:n], r[:n], cq, cs),
            atol=1e-5,
        )


def test_a_model_without_a_fast_path_or_a_wrong_one_is_scored_the_slow_way(monkeypatch):
    class Unfamiliar(DKT):
        pass

    torch.manual_seed(0)
    model = Unfamiliar(DKT.Config(num_items=10, num_skills=3, embed_dim=8, hidden_dim=8))
    assert not CandidateScorer(model, 50).is_fast

    wrong = FAST_PATHS["DKT"]._replace(
        read=lambda model, state, c, mlp: np.zeros(c.count, dtype=np.float32)
    )
    monkeypatch.setitem(FAST_PATHS, "DKT", wrong)
    model = build_model("dkt", num_items=10, num_skills=3, embed_dim=8, hidden_dim=8)
    scorer = CandidateScorer(model, 50)  # the self-check catches the wrong read-out
    assert not scorer.is_fast
    q, s, r = np.array([1, 2, 3]), np.array([1, 2, 1]), np.array([1, 0, 1])
    want = KnowledgeTracer(model, 50).predict(
        [Answer(1, True, 1), Answer(2, False, 2), Answer(3, True, 1)], [(4, 1), (5, 3)]
    )
    np.testing.assert_allclose(scorer.score(q, s, r, [4, 5], [1, 3]), want, atol=1e-6)
