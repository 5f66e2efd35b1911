"""`yachay tutor train`: answers in a real SQLite database -> a trained, registered, maybe
promoted model, with the run in a real (temporary) MLflow store."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import update

from tests.tutor.tutor_db import add_students
from yachay.app import create_app
from yachay.config import Settings
from yachay.db import models as m
from yachay.tutor.answer_log import Vocabulary, is_holdout, read_answer_log
from yachay.tutor.checkpoint import load_checkpoint
from yachay.tutor.cli import tutor
from yachay.tutor.features import FEATURE_NAMES
from yachay.tutor.registry import Registry, read_pointer
from yachay.tutor.retrain import NotEnoughData, train_from_db
from yachay.tutor.train_config import TrainConfig

FAST = TrainConfig(max_epochs=3, batch_size=16)
SMALL = {"embed_dim": 16, "hidden_dim": 16, "mlp_dim": 16, "concepts": 4}


@pytest.fixture
def app(var_dir: Path, database):  # noqa: ANN001, ANN201
    url, _ = database
    return create_app({"var_dir": var_dir, "database_url": url})


def settings_for(var_dir: Path) -> Settings:
    return Settings(var_dir=var_dir)


def test_answers_become_sequences_in_time_order_with_a_stable_mapping(database):
    _, db = database
    add_students(db, 5, 12)
    with db.session() as session:
        log = read_answer_log(session)
        again = read_answer_log(session)
    assert log.num_answers == 60 and len(log.students) == 5
    assert log.fingerprint == again.fingerprint and len(log.fingerprint) == 64
    vocab = Vocabulary.build(log)
    assert vocab == Vocabulary.build(again)
    assert sorted(vocab.questions.values()) == list(range(1, len(vocab.questions) + 1))
    assert vocab.question_id("never-seen") == len(vocab.questions) + 1
    assert vocab.skill_id("sumar") in range(1, 4) and vocab.skill_id("nope") == 4
    # the mapping survives the checkpoint's metadata
    assert Vocabulary.from_metadata(vocab.to_metadata()) == vocab
    sequence = vocab.sequence(log.students[0])
    assert len(sequence) == 12
    assert sequence.responses.tolist() == [int(c) for c in log.students[0].correct]
    # our answers are timed data: the model reads their response times
    assert sequence.ms is not None and sequence.ms.tolist() == list(log.students[0].response_ms)
    assert min(sequence.ms) > 1000

    with db.session() as session:  # a response time is part of the data a model learns from
        session.execute(update(m.Answer).where(m.Answer.id == 1).values(response_ms=123))
    with db.session() as session:
        assert read_answer_log(session).fingerprint != log.fingerprint

    add_students(db, 1, 3, seed=9, first_phone=100)
    with db.session() as session:
        assert read_answer_log(session).fingerprint not in {log.fingerprint, again.fingerprint}


def test_holdout_students_are_chosen_by_id_and_stay_chosen():
    chosen = [s for s in range(1, 2001) if is_holdout(s)]
    assert 300 < len(chosen) < 500  # about 20%
    assert chosen == [s for s in range(1, 2001) if is_holdout(s)]


def test_too_few_answers_is_a_clear_message_and_exit_0(app, database):
    _, db = database
    add_students(db, 3, 10)
    result = app.test_cli_runner().invoke(tutor, ["train", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "Not training yet: 30 answers in the database; training needs at least 1000" in (
        result.output
    )
    result = app.test_cli_runner().invoke(tutor, ["models"])
    assert "No tutor model yet" in result.output


def test_train_registers_v1_and_promotes_it(app, database, var_dir):
    _, db = database
    add_students(db, 60, 40)
    runner = app.test_cli_runner()
    result = runner.invoke(tutor, ["train", "--epochs", "2", "--quiet", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["version"] == 1 and out["promoted"] is True
    assert out["reason"] == "no model in production yet"
    assert out["answers"] == 2400 and out["production"] is None
    assert 0.5 < out["new"]["auc"] <= 1 and 0.5 < out["prior"]["auc"] <= 1
    assert out["holdout"]["students"] == sum(is_holdout(s) for s in range(1, 61))

    pointer = read_pointer(var_dir / "tutor")
    assert pointer is not None and pointer.version == 1
    assert pointer.fingerprint == out["fingerprint"]
    checkpoint = load_checkpoint(var_dir / "tutor" / pointer.checkpoint)
    assert checkpoint.metadata["fingerprint"] == out["fingerprint"]
    assert "sumar-q1" in checkpoint.metadata["questions"]
    # trained on our answers, it reads their response times
    assert checkpoint.model.config.num_features == len(FEATURE_NAMES)

    # MLflow has the run: parameters, metrics, the data fingerprint, the checkpoint
    registry = Registry(settings_for(var_dir))
    run = registry.client.get_run(out["mlflow_run"])
    assert run.info.status == "FINISHED"
    assert run.data.params["model"] == "dkt+f"
    assert run.data.params["data.fingerprint"] == out["fingerprint"]
    assert run.data.params["data.answers"] == "2400"
    assert run.data.metrics["holdout_auc"] == pytest.approx(out["new"]["auc"])
    assert "prior_holdout_auc" in run.data.metrics and "val_auc" in run.data.metrics
    assert run.data.tags["promoted"] == "true"
    assert [a.path for a in registry.client.list_artifacts(run.info.run_id)] == [
        "checkpoint",
        "data",
    ]
    [version] = registry.versions()
    assert version.production and version.fingerprint == out["fingerprint"]
    assert version.holdout_auc == pytest.approx(out["new"]["auc"], abs=1e-6)

    table = runner.invoke(tutor, ["models"]).output
    assert "v1" in table and "production" in table and out["fingerprint"][:8] in table


def test_a_worse_model_is_registered_but_not_promoted(app, database, var_dir):
    _, db = database
    add_students(db, 60, 40)
    settings = settings_for(var_dir)
    first = train_from_db(settings, db, train_config=FAST, model_options=SMALL, progress=False)
    assert first.promoted and first.version.version == 1
    # An untrained model (learning rate 0) on the same data: worse on the same holdout.
    second = train_from_db(
        settings,
        db,
        train_config=TrainConfig(max_epochs=1, lr=0.0),
        model_options=SMALL,
        progress=False,
    )
    assert second.version.version == 2
    assert second.production_version == 1
    assert second.production["auc"] == pytest.approx(first.new["auc"])  # the same holdout
    assert second.new["auc"] < first.new["auc"] - 0.002
    assert not second.promoted and "v1 stays in production" in second.reason
    registry = Registry(settings)
    assert registry.production().version == 1
    assert read_pointer(var_dir / "tutor").version == 1
    assert [(v.version, v.production) for v in registry.versions()] == [(2, False), (1, True)]
    run = registry.client.get_run(second.run_id)
    assert run.data.tags["promoted"] == "false"
    assert run.data.metrics["production_holdout_auc"] == pytest.approx(first.new["auc"])

    # The table says so.
    result = app.test_cli_runner().invoke(
        tutor, ["train", "--epochs", "1", "--quiet", "--no-promote"]
    )
    assert result.exit_code == 0, result.output
    assert "Not promoted v3" in result.output and "production: v1" in result.output
    assert "cold-start prior" in result.output


def test_the_checkpoint_round_trips_through_the_registry(database, var_dir):
    _, db = database
    add_students(db, 40, 30)
    settings = settings_for(var_dir)
    result = train_from_db(
        settings, db, train_config=FAST, model_options=SMALL, progress=False, min_answers=100
    )
    registry = Registry(settings)
    local = registry.checkpoint_path(1)
    before = load_checkpoint(local)
    local.unlink()  # e.g. another host: fetched from MLflow's artifacts
    path = registry.ensure_checkpoint(registry.get(1))
    after = load_checkpoint(path)
    assert after.metadata == before.metadata and after.model_name == result.model_name

    from tests.tutor.reference_scorer import Answer, KnowledgeTracer

    history = [Answer(1, True, 1), Answer(2, False, 2), Answer(3, True, 1)]
    p_before = KnowledgeTracer(before.model, before.train_config.window).predict(history, [1, 4])
    p_after = KnowledgeTracer(after.model, after.train_config.window).predict(history, [1, 4])
    np.testing.assert_array_equal(p_before, p_after)


def test_too_few_students_for_a_holdout_is_not_enough_data(database, var_dir):
    _, db = database
    add_students(db, 1, 50)
    with pytest.raises(NotEnoughData, match="student"):
        train_from_db(settings_for(var_dir), db, min_answers=10, progress=False)


def test_the_version_carries_the_skill_filter_that_decides(database, var_dir):
    from yachay.tutor.bank import question_bank
    from yachay.tutor.serving import TutorService
    from yachay.tutor.skill_filter import filter_from_fitted

    _, db = database
    add_students(db, 60, 40)
    settings = settings_for(var_dir)
    result = train_from_db(settings, db, train_config=FAST, model_options=SMALL, progress=False)
    assert result.promoted and result.filter is not None
    # the filter pools a skill's evidence: on these learners it predicts well
    assert result.filter["auc"] > 0.65
    checkpoint = load_checkpoint(var_dir / "tutor" / read_pointer(var_dir / "tutor").checkpoint)
    fitted = checkpoint.metadata["skill_filter"]
    assert {"step", "learn", "jump", "prior_below", "prior_at", "prior_above"} <= set(fitted)
    run = Registry(settings).client.get_run(result.run_id)
    assert run.data.metrics["filter_holdout_auc"] == pytest.approx(result.filter["auc"])
    assert float(run.data.params["filter.step"]) == fitted["step"]
    [version] = Registry(settings).versions()
    assert version.filter_holdout_auc == pytest.approx(result.filter["auc"], abs=1e-6)
    assert version.deciding_auc == version.filter_holdout_auc

    service = TutorService(settings, poll_interval=0.0)
    with db.session() as session:
        bank = question_bank(session)
        log = read_answer_log(session)
    student = log.students[0]
    history = list(zip(student.questions, student.correct, student.response_ms, strict=True))
    candidates = list(bank.catalog.item)[:4]
    served = service.predictor(bank.info, bank.catalog, grade=1)
    scores = served.predict(history, candidates)
    expected = filter_from_fitted(bank.catalog, 1, fitted).predict(history, candidates)
    assert scores == pytest.approx(expected)
    assert {served.version_of(c) for c in candidates} == {1}
    # without the bank's catalog (nothing to read difficulty levels from): the model answers
    assert service.predictor(bank.info).predict(history, candidates) != pytest.approx(expected)

    # a second version on the same data is compared on both, the filter included
    again = train_from_db(settings, db, train_config=FAST, model_options=SMALL, progress=False)
    assert again.production_filter == pytest.approx(result.filter)
    assert "skill filter: holdout AUC" in again.reason
    # ... keeping the served filter's dynamics, unless told to refit them
    client = Registry(settings).client
    assert client.get_run(result.run_id).data.params["filter.dynamics_from"] == "this run's answers"
    assert client.get_run(again.run_id).data.params["filter.dynamics_from"] == "v1"
    refit = train_from_db(
        settings, db, train_config=FAST, model_options=SMALL, progress=False, refit_dynamics=True
    )
    params = client.get_run(refit.run_id).data.params
    assert params["filter.dynamics_from"] == "this run's answers"
