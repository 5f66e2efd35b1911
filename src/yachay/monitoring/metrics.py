"""Every Prometheus metric Yachay exports, in one place, and the functions that move them.

Labels are bounded: a route's URL rule, a role, a language, a lesson or question's ids from
the content packs, a Twilio status. Never a phone number, a name or a CallSid.

Under gunicorn, `PROMETHEUS_MULTIPROC_DIR` must be set before this module is first imported
(deploy/gunicorn.conf.py does it): each worker then writes its values to files there and
`GET /metrics` adds them up, whichever worker answers.

The tutor-model and outbound metrics are defined here but moved by the code that knows
their values; call the small functions at the end of this module (`observe_tutor_decision`,
`set_tutor_model_version`, `set_live_quality`, `set_input_drift`,
`set_retraining_decision`, `count_outbound_*`) rather than the metric objects.
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import Counter, Gauge, Histogram

# -- HTTP and webhooks ----------------------------------------------------------------------

#: Twilio gives up after 15 s; we aim for milliseconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0)

http_request_seconds = Histogram(
    "yachay_http_request_duration_seconds",
    "Time to answer an HTTP request, by route (the URL rule) and method.",
    ["route", "method"],
    buckets=LATENCY_BUCKETS,
)
http_responses = Counter(
    "yachay_http_responses_total",
    "HTTP responses by route (the URL rule) and status class (2xx, 4xx, 5xx).",
    ["route", "status"],
)
webhook_errors = Counter(
    "yachay_webhook_errors_total",
    "Twilio webhooks that went wrong, by route and kind: server_error (a 5xx), "
    "bad_request (a 4xx other than a bad signature), turn_failed (the caller heard an "
    "apology), twilio_fallback (Twilio called the fallback URL after our answer failed).",
    ["route", "kind"],
)
signature_failures = Counter(
    "yachay_webhook_signature_failures_total",
    "Webhooks rejected with 403 for a bad or missing X-Twilio-Signature, by route.",
    ["route"],
)

# -- calls ----------------------------------------------------------------------------------

calls_started = Counter(
    "yachay_calls_started_total",
    "Calls whose first turn was answered, by role and language as known then "
    "(role and language are 'unknown' until the caller is identified).",
    ["direction", "role", "language"],
)
calls_ended = Counter(
    "yachay_calls_ended_total",
    "Calls that ended, by role, language and outcome: completed (Yachay said goodbye), "
    "dropped (the caller hung up before), unanswered (busy, no-answer, failed, canceled).",
    ["direction", "role", "language", "outcome"],
)
call_duration_seconds = Histogram(
    "yachay_call_duration_seconds",
    "Length of answered calls (CallDuration of the final status callback), by role.",
    ["direction", "role"],
    buckets=(10, 30, 60, 120, 180, 300, 450, 600, 900, 1200, 1800, 3600),
)
keypad_inputs = Counter(
    "yachay_keypad_inputs_total",
    "Keypad inputs by outcome: accepted, invalid (a key that means nothing there), empty "
    "(no key, so the prompt was asked again; silence that lets a lesson go on, and the "
    "last silence before a menu gives up, are not counted).",
    ["outcome"],
)

# -- learning -------------------------------------------------------------------------------

lesson_segments_heard = Counter(
    "yachay_lesson_segments_heard_total",
    "Lesson segments played to a student (a repeat counts again), by lesson and segment (1-based).",
    ["lesson", "segment"],
)
lessons_completed = Counter(
    "yachay_lessons_completed_total",
    "Lessons finished (last question answered), by lesson and grade.",
    ["lesson", "grade"],
)
lesson_hangups = Counter(
    "yachay_lesson_hangups_total",
    "Calls dropped inside a lesson, by lesson and where: part (segment, story_again, "
    "question) and position (1-based index within the part).",
    ["lesson", "part", "position"],
)
answers = Counter(
    "yachay_answers_total",
    "Graded answers by the question's first skill, grade, whether it was in a lesson or "
    "practice, and correct (true/false). The share correct is a ratio of two rates.",
    ["skill", "grade", "mode", "correct"],
)
answer_response_seconds = Histogram(
    "yachay_answer_response_seconds",
    "Time from the question being sent to the key press (listening included).",
    buckets=(2, 4, 6, 8, 10, 15, 20, 30, 45, 60, 120),
)

# -- the tutor model (moved by the tutor's wiring; see the functions below) ------------------

tutor_decision_seconds = Histogram(
    "yachay_tutor_decision_seconds",
    "Time the tutor took to choose the questions of a practice round or of the review after a "
    "lesson (scoring every candidate).",
    buckets=(0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.5),
)
tutor_model_version = Gauge(
    "yachay_tutor_model_version",
    "1 for the tutor model version a worker serves (model and version 'prior': the cold-start "
    "prior, no model loaded), 0 for one it served before.",
    ["model", "version"],
    multiprocess_mode="livemax",
)
tutor_live_auc = Gauge(
    "yachay_tutor_live_auc",
    "AUC of the served model's predictions against the answers that followed, over recent "
    "answers, by model version.",
    ["version"],
    multiprocess_mode="mostrecent",
)
tutor_live_ece = Gauge(
    "yachay_tutor_live_ece",
    "Expected calibration error of the served model over recent answers, by model version.",
    ["version"],
    multiprocess_mode="mostrecent",
)
tutor_live_answers = Gauge(
    "yachay_tutor_live_answers",
    "Answers the live AUC and calibration error were measured on, by model version.",
    ["version"],
    multiprocess_mode="mostrecent",
)
tutor_input_drift = Gauge(
    "yachay_tutor_input_drift",
    "Drift of the tutor's inputs from its training data, by statistic (e.g. skill_mix, "
    "correct_rate, response_time), as a population stability index: 0 is none, above 0.2 "
    "a real shift (the alert's threshold).",
    ["statistic"],
    multiprocess_mode="mostrecent",
)
tutor_retraining_decision = Gauge(
    "yachay_tutor_retraining_decision_timestamp_seconds",
    "When the retraining check last made this decision (Unix time), by decision (promoted, "
    "retrained: trained but not promoted, kept, waiting: no model and too few answers, "
    "skipped: a retrain was due but none ran) and "
    "reason (no_model, calibration, auc, drift, new_answers, none). Read from the check's "
    "last decision file at each scrape.",
    ["decision", "reason"],
    multiprocess_mode="max",
)

# -- outbound calls (moved by outreach) -----------------------------------------------------

outbound_requested = Counter(
    "yachay_outbound_calls_requested_total",
    "Outbound calls planned or asked for, by purpose (lesson, review, teacher_callback, "
    "parent_progress, missed_call); a call may take several tries.",
    ["purpose"],
)
outbound_placed = Counter(
    "yachay_outbound_attempts_placed_total",
    "Outbound call tries the Twilio API accepted, by purpose.",
    ["purpose"],
)
outbound_calls = Counter(
    "yachay_outbound_calls_total",
    "Outbound call tries that ended, by purpose and outcome: answered, machine, busy, "
    "no-answer, failed, canceled (Twilio's final status), api_error (the try never reached "
    "a phone: the API refused it, or its worker stopped first), lost (no final status came).",
    ["purpose", "outcome"],
)
missed_calls = Counter(
    "yachay_missed_calls_rejected_total",
    "Calls to the callback number rejected so that Yachay rings the caller back.",
)

# -- what other parts call ------------------------------------------------------------------


def start_at_zero(languages: Iterable[str], webhook_routes: Iterable[str]) -> None:
    """Export the calls' and webhooks' known label sets at 0 from the start: Prometheus then
    sees the first call, error or bad key as an increase, and ratios have a denominator."""
    languages = [*languages, "unknown"]
    for direction in ("inbound", "outbound"):
        for role in ("student", "unknown"):
            for language in languages:
                calls_started.labels(direction=direction, role=role, language=language)
                for outcome in ("completed", "dropped", "unanswered"):
                    calls_ended.labels(
                        direction=direction, role=role, language=language, outcome=outcome
                    )
    for outcome in ("accepted", "invalid", "empty"):
        keypad_inputs.labels(outcome=outcome)
    for route in webhook_routes:
        signature_failures.labels(route=route)
        for kind in ("server_error", "bad_request", "turn_failed", "twilio_fallback"):
            webhook_errors.labels(route=route, kind=kind)


#: The (model, version) this process serves, once it said.
_served: list[tuple[str, str]] = []


def observe_tutor_decision(seconds: float) -> None:
    """The tutor chose a question in `seconds` (call it where the choice is made)."""
    tutor_decision_seconds.observe(seconds)


def set_tutor_model_version(model: str, version: str) -> None:
    """This process now serves `version` of `model` (at start, promotion and rollback);
    cheap when nothing changed, so it may be called on every request."""
    if _served and _served[0] == (model, version):
        return
    if _served:
        before_model, before_version = _served[0]
        tutor_model_version.labels(model=before_model, version=before_version).set(0)
    tutor_model_version.labels(model=model, version=version).set(1)
    _served[:] = [(model, version)]


def set_live_quality(version: str, auc: float | None, ece: float, answers: int) -> None:
    """Live quality of `version` measured on its last `answers` predictions (`auc` None:
    the answers were all right or all wrong, so AUC is undefined and keeps its value)."""
    if auc is not None:
        tutor_live_auc.labels(version=version).set(auc)
    tutor_live_ece.labels(version=version).set(ece)
    tutor_live_answers.labels(version=version).set(answers)


def set_input_drift(statistic: str, value: float) -> None:
    """How far `statistic` of recent inputs has moved from the training data's."""
    tutor_input_drift.labels(statistic=statistic).set(value)


def set_retraining_decision(decision: str, reason: str, unix_time: float) -> None:
    """The retraining check decided `decision` for `reason` at `unix_time`."""
    tutor_retraining_decision.labels(decision=decision, reason=reason).set(unix_time)


def count_outbound_requested(purpose: str) -> None:
    """An outbound call of `purpose` was planned or asked for."""
    outbound_requested.labels(purpose=purpose).inc()


def count_outbound_placed(purpose: str) -> None:
    """The Twilio API accepted a try of an outbound call of `purpose`."""
    outbound_placed.labels(purpose=purpose).inc()


def count_outbound_call(purpose: str, outcome: str) -> None:
    """A try of an outbound call of `purpose` ended with `outcome` (see `outbound_calls`)."""
    outbound_calls.labels(purpose=purpose, outcome=outcome).inc()


def count_missed_call() -> None:
    """A call to the callback number was rejected, to be rung back."""
    missed_calls.inc()
