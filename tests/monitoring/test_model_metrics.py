"""The tutor and outbound metrics the other parts move, as GET /metrics shows them."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from yachay.app import create_app
from yachay.monitoring import metrics


def _samples(tmp_path) -> dict[tuple[str, frozenset], float]:  # noqa: ANN001
    app = create_app({"var_dir": tmp_path})
    response = app.test_client().get("/metrics")
    assert response.status_code == 200
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for s in family.samples
    }


def test_the_served_version_is_1_and_the_one_before_0(tmp_path):
    metrics.set_tutor_model_version("test-model", "41")
    metrics.set_tutor_model_version("test-model", "42")
    samples = _samples(tmp_path)
    version = "yachay_tutor_model_version"
    assert samples[(version, frozenset({("model", "test-model"), ("version", "42")}))] == 1
    assert samples[(version, frozenset({("model", "test-model"), ("version", "41")}))] == 0


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
