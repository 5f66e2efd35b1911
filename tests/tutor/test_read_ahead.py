"""Reading students' histories ahead of a model switch: after `yachay tutor promote`, the
workers score every active student without reading a window, exactly as without it."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from tests.tutor.test_serving import fast_models, perturbed, random_history
from tests.tutor.test_shared_states import counting_reads
from tests.tutor.tutor_db import QUESTIONS, answer_row, fake_version, make_database, mlflow_store
from yachay.app import create_app
from yachay.config import Settings
from yachay.db import models as m
from yachay.db.models import utcnow
from yachay.tutor.cli import tutor
from yachay.tutor.decisions import answer_history
from yachay.tutor.mastery import as_answers
from yachay.tutor.registry import Registry
from yachay.tutor.scoring import CandidateScorer
from yachay.tutor.serving import STATES_FILE, TutorService
from yachay.tutor.shared_states import SharedStates


@pytest.mark.parametrize("name", sorted(fast_models()))
def test_a_history_read_ahead_grows_through_window_changes_without_a_read(
    name, tmp_path, monkeypatch
):
    """The read-ahead process prepares a history already inside the next window; a worker
    then scores it, and every answer after it, across two window changes, reading nothing."""
    model = perturbed(name)
    path = tmp_path / "states.sqlite"
    ahead = CandidateScorer(model, 6, stride=3, shared=SharedStates(path, "v1"))
    rng = np.random.default_rng(4)
    q, s, r = random_history(rng, 20, 30, 5)
    assert ahead.prepare(q[:11], s[:11], r[:11])  # window from answer 6, the next from 9
    assert ahead.shared.flush()

    worker = CandidateScorer(model, 6, stride=3, shared=SharedStates(path, "v1"))
    reads: list[int] = []
    counting_reads(worker, reads, monkeypatch)
    for n in range(11, 21):
        cq, cs = rng.integers(1, 33, 12), rng.integers(1, 8, 12)
        np.testing.assert_allclose(
            worker.score(q[:n], s[:n], r[:n], cq, cs),
            worker.score_naive(q[:n], s[:n], r[:n], cq, cs),
            atol=1e-5,
        )
    assert reads == []


def test_a_history_before_the_next_window_is_prepared_without_it(tmp_path):
    scorer = CandidateScorer(perturbed("dkt+f"), 6, stride=3)
    q, s, r = random_history(np.random.default_rng(1), 9, 30, 5)
    assert scorer.prepare(q, s, r)
    (state,) = scorer._states.values()  # noqa: SLF001 - what was kept
    assert (state.current.start, state.upcoming) == (6, None)  # the next answer starts it


@pytest.fixture
def settings(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    var = tmp_path / "var"
    mlflow_store(tmp_path_factory, var)
    return Settings(var_dir=var)


def add_history(db, answers: int, days_ago: float, seed: int) -> int:  # noqa: ANN001
    """A student who answered ``answers`` questions, the last ``days_ago`` days ago."""
    rng = np.random.default_rng(seed)
    end = utcnow() - timedelta(days=days_ago)
    with db.session() as session:
        student = m.Student(phone=f"+519{seed:08d}", language="es", grade=1)
        session.add(student)
        session.flush()
        for step in range(answers):
            question = QUESTIONS[rng.integers(len(QUESTIONS))][0]
            at = end - timedelta(minutes=answers - step)
            session.add(
                answer_row(
                    student.id,
                    question,
                    bool(rng.integers(2)),
                    at,
                    call_sid=f"CA{seed:06d}",
                    step=step,
                    response_ms=4000,
                )
            )
        return student.id


def test_promote_reads_ahead_so_workers_switch_without_reading(settings, tmp_path, monkeypatch):
    url, db = make_database(settings.var_dir)
    registry = Registry(settings)
    for seed in (1, 2):
        fake_version(registry, settings, seed, tmp_path)
    # 250 answers: past the start of the second window (answers 100-299)
    active = [add_history(db, answers, 1, seed) for seed, answers in ((1, 250), (2, 40))]
    away = add_history(db, 120, 120, 3)  # last called 120 days ago
    with db.read_session() as session:
        # as the server hands them on: with their response times, which the model reads
        histories = {i: as_answers(answer_history(session, i)) for i in [*active, away]}
    app = create_app({"var_dir": settings.var_dir, "database_url": url})
    runner = app.test_cli_runner()
    monkeypatch.setattr("yachay.tutor.read_ahead.BATCH", 1)  # a query per student

    result = runner.invoke(tutor, ["promote", "1"])
    assert result.exit_code == 0, result.output
    assert "read ahead with v1: 2 of 2 students who answered in the last 100 days" in result.output
    assert "production: the cold-start prior -> v1" in result.output

    worker = TutorService(settings, db, threads=None, poll_interval=0.0)
    alone = TutorService(settings, db, threads=None, poll_interval=0.0, share_states=False)
    candidates = [qid for qid, _, _ in QUESTIONS]
    worker.start()
    reads: list[int] = []
    counting_reads(worker._model.scorer, reads, monkeypatch)  # noqa: SLF001
    for student in active:
        history = histories[student]
        assert worker.predict(history, candidates) == pytest.approx(
            alone.predict(history, candidates), abs=1e-5
        )
        # the student answers on: one model step a question, no read (the first student
        # crosses into the third window, answers 200-399)
        grown = list(history)
        for n in range(60):
            grown.append((candidates[n % len(candidates)], n % 3 > 0, 2500 + 100 * n))
            scores = worker.predict(grown, candidates)
        assert scores == pytest.approx(alone.predict(grown, candidates), abs=1e-5)
    assert reads == []
    worker.predict(histories[away], candidates)
    assert reads == [120]  # not read ahead: read on its first question, as before

    result = runner.invoke(tutor, ["promote", "2"])
    assert result.exit_code == 0 and "read ahead with v2: 2 of 2" in result.output
    assert "production: v1 -> v2" in result.output
    reads = []
    read = worker._load  # noqa: SLF001 - count the reads of the model the worker switches to

    def load(pointer):  # noqa: ANN001, ANN202
        loaded = read(pointer)
        counting_reads(loaded.scorer, reads, monkeypatch)
        return loaded

    monkeypatch.setattr(worker, "_load", load)
    for student in active:
        assert worker.predict(histories[student], candidates) == pytest.approx(
            alone.predict(histories[student], candidates), abs=1e-5
        )
    assert reads == [] and worker.version == alone.version == 2

    # An urgent rollback switches at once; v1's states are still in the file for a day.
    result = runner.invoke(tutor, ["rollback", "--no-read-ahead"])
    assert result.exit_code == 0 and "read ahead" not in result.output
    assert "production: v2 -> v1" in result.output
    with sqlite3.connect(settings.tutor_dir / STATES_FILE) as connection:
        models = dict(connection.execute("SELECT model, count(*) FROM states GROUP BY model"))
    assert models == {"v1:models/v1.pt": 3, "v2:models/v2.pt": 2}
    db.dispose()


def test_a_failed_read_ahead_still_switches(settings, tmp_path, caplog):
    registry = Registry(settings, before_switch=lambda pointer: 1 / 0)
    fake_version(registry, settings, 1, tmp_path)
    assert registry.promote(1).version == 1
    assert "preparing the switch to v1 failed; switching anyway" in caplog.text
    assert Registry(settings).production().version == 1


def test_preparing_a_student_never_raises(settings, tmp_path, caplog, monkeypatch):
    """It runs after a reply was sent: a failure is logged, never raised."""
    url, db = make_database(settings.var_dir)
    registry = Registry(settings)
    fake_version(registry, settings, 1, tmp_path)
    registry.promote(1)
    student = add_history(db, 30, 1, 5)
    service = TutorService(settings, db, threads=None)
    service.prepare_students([student, 999])  # 999: no such student, nothing to prepare
    assert service._model.scorer.remembered == 1  # noqa: SLF001
    monkeypatch.setattr(service, "prepare", lambda history: 1 / 0)
    service.prepare_students([student])
    assert f"could not prepare the tutor for student {student}" in caplog.text
    db.dispose()
