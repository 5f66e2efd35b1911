"""Outbound-call counters. Defined here until the monitoring part gathers every metric in
one module; no label holds a number or a name."""

from __future__ import annotations

from prometheus_client import Counter

CALLS_REQUESTED = Counter(
    "yachay_outbound_calls_requested_total", "Outbound calls planned or asked for", ["kind"]
)
ATTEMPTS_PLACED = Counter(
    "yachay_outbound_attempts_placed_total", "Outbound call tries sent to Twilio", ["kind"]
)
DIAL_ERRORS = Counter(
    "yachay_outbound_dial_errors_total", "Outbound call tries Twilio's REST API refused", ["kind"]
)
OUTCOMES = Counter(
    "yachay_outbound_attempt_outcomes_total",
    "Finished outbound call tries by outcome (answered, machine, busy, no-answer, failed...)",
    ["kind", "outcome"],
)
MISSED_CALLS = Counter(
    "yachay_missed_calls_rejected_total", "Calls to the callback number rejected to ring back"
)
