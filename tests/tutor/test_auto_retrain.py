"""`yachay tutor retrain-if-needed`: the drift statistics, and decisions on a real SQLite
database with a real (temporary) MLflow store: train the first model, wait while nothing
changed, retrain on drift through the promotion gate, flag degraded live calibration."""

from __future__ import annotations

import json
import math
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.tutor.tutor_db import (
    QUESTIONS,
    add_students,
    answer_row,
    fake_version,
)
from yachay.app import create_app
from yachay.config import Settings
from yachay.db import models as m
from yachay.db.predictions import NewPrediction, link_answer, store_predictions
from yachay.tutor.auto_retrain import (
    DECISIONS_EXPERIMENT,
    Thresholds,
    assess,
    last_retrain_decision,
    retrain_if_needed,
)
from yachay.tutor.drift import compare, input_profile, psi
from yachay.tutor.quality_cli import retrain_if_needed_command
from yachay.tutor.registry import Registry
from yachay.tutor.retrain import train_from_db
from yachay.tutor.train_config import TrainConfig

FAST = {
    "train_config": TrainConfig(max_epochs=2, batch_size=16),
    "model_options": {"embed_dim": 16, "hidden_dim": 16, "mlp_dim": 16, "concepts": 4},
}


def decisions(registry: Registry) -> list:  # noqa: ANN001
    client = registry.client
    experiment = client.get_experiment_by_name(DECISIONS_EXPERIMENT)
    return client.search_runs([experiment.experiment_id], order_by=["attributes.start_time"])


def naive(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(tzinfo=None)


def test_psi_is_zero_for_the_same_mix_and_grows_with_the_shift() -> None:
    same = Counter(a=50, b=50)
    assert psi(same, Counter(a=5, b=5)) == 0
    # 50/50 -> 90/10: (0.4 ln 1.8) + (0.4 ln 5)
    assert psi(same, Counter(a=90, b=10)) == pytest.approx(0.4 * math.log(1.8) + 0.4 * math.log(5))
    assert psi(same, Counter(a=60, b=40)) < 0.1 < psi(same, Counter(a=90, b=10))
    # a skill never seen before counts, without dividing by zero
    assert psi(same, Counter(a=50, b=30, c=20)) > 0.25
    assert psi(Counter(), same) == 0


def test_the_input_profile_counts_skills_right_answers_and_time_bins(database) -> None:  # noqa: ANN001
    _, db = database
    at = datetime(2026, 5, 1, 9, 0)
    with db.session() as session:
        student = m.Student(phone="+51900000001", language="es", grade=1)
        session.add(student)
        session.flush()
        for step, (question, correct, ms) in enumerate(
            [("sumar-q1", True, 1500), ("sumar-q2", False, 2500), ("contar-q1", True, 45_000)]
        ):
            session.add(
                answer_row(
                    student.id, question, correct, at, call_sid="CA1", step=step, response_ms=ms
                )
            )
    with db.session() as session:
        profile = input_profile(session)
        assert input_profile(session, until=at).answers == 0
    assert (profile.answers, profile.right) == (3, 2)
    assert profile.skills == Counter(sumar=2, contar=1)
    assert profile.times == Counter({0: 1, 1: 1, 8: 1})
    report = compare(profile, profile)
    assert report.skill_mix_psi == 0 and report.correct_rate_shift == 0


def test_the_first_model_is_trained_when_enough_answers_arrived_and_the_decision_logged(
    database,  # noqa: ANN001
    var_dir: Path,
) -> None:
    url, db = database
    app = create_app({"var_dir": var_dir, "database_url": url})
    add_students(db, 10, 30)
    result = app.test_cli_runner().invoke(retrain_if_needed_command, ["--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["retrain"] is False and out["training"] is None
    assert out["reasons"] == [
        "waiting: no model in production yet and 300 answers (fewer than 1000)"
    ]

    add_students(db, 40, 30, seed=1, first_phone=100)
    result = app.test_cli_runner().invoke(retrain_if_needed_command, ["--json", "--epochs", "1"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["retrain"] is True
    assert out["reasons"] == ["no model in production yet and 1500 answers (training needs 1000)"]
    assert out["training"]["version"] == 1 and out["training"]["promoted"] is True
    registry = Registry(Settings(var_dir=var_dir))
    assert registry.production().version == 1

    last = last_retrain_decision(var_dir / "tutor")
    assert last is not None and last["mlflow_run"] == out["mlflow_run"]
    assert last["training"]["version"] == 1

    text = app.test_cli_runner().invoke(retrain_if_needed_command, ["--dry-run"])
    assert text.exit_code == 0, text.output
    assert text.output.startswith("No retrain: v1 is fine: nothing past its limits.")
    assert "· 0 answers since v1 was trained on 1500 (retrain at 500)" in text.output
    assert "drift not judged: 0 recent answers" in text.output

    waited, trained, _ = decisions(registry)
    assert waited.data.tags["decision"] == "wait" and waited.data.metrics["answers"] == 300
    assert trained.data.tags["decision"] == "retrain"
    assert trained.data.tags["training_run"] == out["training"]["mlflow_run"]
    assert trained.data.tags["registered_version"] == "1"
    assert trained.data.tags["outcome"].startswith("trained v1, promoted")
    assert trained.data.metrics["answers"] == 1500
    assert trained.data.params["threshold.max_ece"] == "0.1"


def test_it_waits_while_the_inputs_look_the_same_and_retrains_when_they_drift(
    database,  # noqa: ANN001
    var_dir: Path,
) -> None:
    _, db = database
    settings = Settings(var_dir=var_dir)
    registry = Registry(settings)
    add_students(db, 50, 30)
    first = train_from_db(settings, db, registry=registry, min_answers=100, progress=False, **FAST)
    trained_at = naive(first.version.created)
    thresholds = Thresholds(days=30)
    now = trained_at + timedelta(days=10)

    # More children like the first ones: no drift, and not yet enough new answers.
    add_students(db, 10, 30, seed=7, first_phone=200, start=trained_at + timedelta(hours=1))
    decision = retrain_if_needed(settings, db, thresholds, now=now, registry=registry, **FAST)
    assert not decision.retrain and decision.outcome == "not needed"
    fired = {c.name: c.fired for c in decision.checks}
    assert fired == {
        "skill_mix_psi": False,
        "response_time_psi": False,
        "correct_rate_shift": False,
        "new_answers": False,
    }
    assert decision.drift.recent_answers == 300 and decision.drift.skill_mix_psi < 0.05
    assert decision.new_answers == 300
    assert "live quality of v1 not judged: 0 answered predictions" in decision.notes[0]

    # A new term: only counting, slowly, mostly wrong.
    counting = [q for q, skill, _ in QUESTIONS if skill == "contar"]
    with db.session() as session:
        for n in range(8):
            student = m.Student(phone=f"+5190100{n:04d}", language="es", grade=1)
            session.add(student)
            session.flush()
            for step in range(30):
                session.add(
                    answer_row(
                        student.id,
                        counting[step % len(counting)],
                        step % 4 == 0,
                        trained_at + timedelta(days=2, minutes=step),
                        call_sid=f"CA-term-{n}",
                        step=step,
                        response_ms=25_000 + 100 * step,
                    )
                )
    decision = retrain_if_needed(settings, db, thresholds, now=now, registry=registry, **FAST)
    fired = {c.name for c in decision.checks if c.fired}
    assert {"skill_mix_psi", "response_time_psi", "correct_rate_shift"} <= fired
    assert any(r.startswith("skill mix PSI") for r in decision.reasons)
    # The candidate met the production model on the same holdout; the gate decided.
    training = decision.training
    assert training is not None and training.production_version == 1
    assert training.production is not None and training.version.version == 2
    assert decision.outcome.startswith("trained v2, ")
    assert (registry.production().version == 2) == training.promoted

    logged = decisions(registry)[-1]
    assert logged.info.run_id == decision.decision_run
    assert logged.data.tags["decision"] == "retrain"
    assert logged.data.metrics["skill_mix_psi"] == pytest.approx(decision.drift.skill_mix_psi)
    assert logged.data.metrics["candidate_holdout_auc"] == pytest.approx(training.new["auc"])
    assert logged.data.metrics["production_holdout_auc"] == pytest.approx(
        training.production["auc"]
    )
    assert "skill mix PSI" in logged.data.tags["reasons"]


def test_degraded_live_calibration_and_auc_call_for_a_retrain(
    database,  # noqa: ANN001
    var_dir: Path,
    tmp_path: Path,
) -> None:
    _, db = database
    settings = Settings(var_dir=var_dir)
    registry = Registry(settings)
    version = fake_version(registry, settings, 1, tmp_path)  # holdout AUC 0.7
    production = registry.promote(version)
    at = naive(production.created) + timedelta(hours=1)
    with db.session() as session:
        student = m.Student(phone="+51900000002", language="es", grade=1)
        session.add(student)
        session.flush()
        # The model says 0.9 for every question; a third of the answers are right.
        for step in range(240):
            question = QUESTIONS[step % len(QUESTIONS)][0]
            sid = f"CA-live-{step // 5}"
            store_predictions(session, sid, student.id, [NewPrediction(question, 0.9, version)], at)
            answer = answer_row(
                student.id, question, step % 3 == 0, at, call_sid=sid, step=step, response_ms=4000
            )
            session.add(answer)
            session.flush()
            link_answer(session, answer)
    with db.session() as session:
        decision = assess(session, registry.production(), Thresholds(), at + timedelta(days=1))
    fired = {c.name: c for c in decision.checks if c.fired}
    assert decision.retrain and {"live_ece", "live_auc"} <= set(fired)
    assert fired["live_ece"].value == pytest.approx(0.9 - 80 / 240)
    assert fired["live_auc"].value == 0.5 and fired["live_auc"].threshold == pytest.approx(0.65)
    assert decision.live.answers == 240

    dry = retrain_if_needed(
        settings, db, Thresholds(), now=at + timedelta(days=1), dry_run=True, registry=registry
    )
    assert dry.outcome == "would retrain (--dry-run)" and dry.training is None
    assert decisions(registry)[-1].data.tags["reasons"].startswith("live ECE of v1 is 0.567")
