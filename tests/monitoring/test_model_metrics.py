"""The tutor and outbound metrics the other parts move, as GET /metrics shows them."""

from __future__ import annotations

from datetime import UTC

from prometheus_client.parser import text_string_to_metric_families

from tests.tutor.tutor_db import fake_version, mlflow_store
from yachay.app import create_app
from yachay.config import Settings
from yachay.db import migrate
from yachay.db.database import Database
from yachay.monitoring import metrics
from yachay.monitoring.model_metrics import decision_labels
from yachay.tutor.auto_retrain import retrain_if_needed
from yachay.tutor.registry import Registry


def _samples(tmp_path, app=None) -> dict[tuple[str, frozenset], float]:  # noqa: ANN001
    app = app or create_app({"var_dir": tmp_path})
    response = app.test_client().get("/metrics")
    assert response.status_code == 200
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for s in family.samples
    }


def _served(samples: dict) -> dict[tuple[str, str], float]:
    return {
        (dict(labels)["model"], dict(labels)["version"]): value
        for (name, labels), value in samples.items()
        if name == "yachay_tutor_model_version"
    }


def test_the_served_version_is_1_and_the_one_before_0(tmp_path, tmp_path_factory):
    var = tmp_path / "var"
    mlflow_store(tmp_path_factory, var)
    settings = Settings(var_dir=var)
    migrate.upgrade(settings.database_url)
    app = create_app(settings)
    tutor = app.extensions["yachay.tutor"]
    registry = Registry(settings)
    for seed in (1, 2):
        fake_version(registry, settings, seed, tmp_path)
    served = _served(_samples(tmp_path, app))
    assert served[("prior", "prior")] == 1, "no model loaded yet: the cold-start prior"
    registry.promote(1)
    tutor.start()
    served = _served(_samples(tmp_path, app))
    assert served[("prior", "prior")] == 0
    [(model, _)] = [k for k, v in served.items() if v == 1]
    assert served[(model, "1")] == 1
    registry.promote(2)
    tutor.start()
    served = _served(_samples(tmp_path, app))
    assert (served[(model, "1")], served[(model, "2")]) == (0, 1)


def test_live_quality_drift_decisions_and_outbound_calls_are_exported(tmp_path):
    metrics.set_live_quality("test-7", auc=0.81, ece=0.012, answers=2500)
    metrics.set_input_drift("test_statistic", 0.31)
    metrics.set_retraining_decision("kept", "test_reason", 1_800_000_000)
    metrics.count_outbound_call("test_purpose", "busy")
    before = _samples(tmp_path)
    metrics.observe_tutor_decision(0.003)
    after = _samples(tmp_path)
    version = frozenset({("version", "test-7")})
    assert after[("yachay_tutor_live_auc", version)] == 0.81
    assert after[("yachay_tutor_live_ece", version)] == 0.012
    assert after[("yachay_tutor_live_answers", version)] == 2500
    assert after[("yachay_tutor_input_drift", frozenset({("statistic", "test_statistic")}))] == 0.31
    decision = frozenset({("decision", "kept"), ("reason", "test_reason")})
    assert after[("yachay_tutor_retraining_decision_timestamp_seconds", decision)] == 1.8e9
    outbound = frozenset({("purpose", "test_purpose"), ("outcome", "busy")})
    assert after[("yachay_outbound_calls_total", outbound)] >= 1
    count = ("yachay_tutor_decision_seconds_count", frozenset())
    assert after[count] - before[count] == 1
    le_5ms = ("yachay_tutor_decision_seconds_bucket", frozenset({("le", "0.005")}))
    assert after[le_5ms] - before[le_5ms] == 1


def test_call_and_webhook_counters_start_at_zero(tmp_path):
    samples = _samples(tmp_path)
    dropped = frozenset(
        {("direction", "inbound"), ("role", "student"), ("language", "qu"), ("outcome", "dropped")}
    )
    assert ("yachay_calls_ended_total", dropped) in samples
    failed = frozenset({("route", "/voice/resume"), ("kind", "turn_failed")})
    assert ("yachay_webhook_errors_total", failed) in samples
    assert ("yachay_keypad_inputs_total", frozenset({("outcome", "invalid")})) in samples


def test_the_retraining_checks_last_decision_and_drift_are_exported(tmp_path, tmp_path_factory):
    var = tmp_path / "var"
    mlflow_store(tmp_path_factory, var)
    settings = Settings(var_dir=var)
    migrate.upgrade(settings.database_url)
    app = create_app(settings)
    registry = Registry(settings)
    registry.promote(fake_version(registry, settings, 1, tmp_path))
    db = Database(settings.database_url)
    try:
        decision = retrain_if_needed(settings, db, dry_run=True, registry=registry)
    finally:
        db.dispose()
    assert not decision.retrain and decision.drift is not None
    samples = _samples(tmp_path, app)
    kept = frozenset({("decision", "kept"), ("reason", "none")})
    at = samples[("yachay_tutor_retraining_decision_timestamp_seconds", kept)]
    assert at == decision.decided_at.replace(tzinfo=UTC, microsecond=0).timestamp()  # as stored
    drift = {
        dict(labels)["statistic"]: value
        for (name, labels), value in samples.items()
        if name == "yachay_tutor_input_drift"
    }
    assert drift["skill_mix"] == decision.drift.skill_mix_psi
    assert drift["response_time"] == decision.drift.response_time_psi


def test_decision_labels_name_the_first_check_that_fired():
    fired = {"retrain": True, "production_version": 3, "training": {"promoted": False}}
    checks = [
        {"name": "live_ece", "fired": False},
        {"name": "skill_mix_psi", "fired": True},
        {"name": "new_answers", "fired": True},
    ]
    assert decision_labels({**fired, "checks": checks}) == ("retrained", "drift")
    promoted = {**fired, "checks": checks[2:], "training": {"promoted": True}}
    assert decision_labels(promoted) == ("promoted", "new_answers")
    assert decision_labels({**fired, "checks": checks, "training": None}) == ("skipped", "drift")
    assert decision_labels({"retrain": False, "production_version": 3, "checks": checks[:1]}) == (
        "kept",
        "none",
    )
    assert decision_labels({"retrain": False, "production_version": None}) == (
        "waiting",
        "no_model",
    )
