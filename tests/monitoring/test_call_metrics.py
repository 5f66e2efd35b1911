"""Call and learning metrics, read from /metrics of a real server while simulated calls run."""

from __future__ import annotations

import requests

from tests.e2e.test_student_call import add_student, current_lesson, through_the_segments
from tests.monitoring.scrape import delta, label_values, scrape
from tests.voice.test_webhooks import call_sid, params, post
from yachay.db import models as m


def test_a_first_call_counts_its_start_invalid_key_and_drop(live_server, phone):
    before = scrape(live_server.url)
    transcript = phone().call(["1", "7", "3", "h"])  # Spanish, grade 7 (no such), grade 3
    assert transcript.ok, transcript.errors
    after = scrape(live_server.url)

    started = "yachay_calls_started_total"
    assert delta(before, after, started, role="unknown", language="unknown") == 1
    assert delta(before, after, started) == 1
    ended = "yachay_calls_ended_total"
    assert delta(before, after, ended, role="student", language="es", outcome="dropped") == 1
    assert delta(before, after, "yachay_keypad_inputs_total", outcome="invalid") == 1
    assert delta(before, after, "yachay_keypad_inputs_total", outcome="accepted") == 2
    assert delta(before, after, "yachay_call_duration_seconds_count", role="student") == 1
    timed = "yachay_http_request_duration_seconds_count"
    assert delta(before, after, timed, route="/voice/resume") == 3


def test_a_lesson_counts_segments_answers_and_where_the_caller_hung_up(
    live_server, phone, server_db, phone_number
):
    student = add_student(server_db, phone_number, grade=2)
    lesson, questions = current_lesson(server_db, student)
    assert len(lesson.segments) >= 2 and len(questions) >= 2
    first = questions[0]
    wrong = 1 if first.answer != 1 else 2
    # Silence at the first segment lets the lesson go on; then through the rest.
    keys = ["1", "s", *through_the_segments(lesson)[1:], str(wrong), "h"]
    before = scrape(live_server.url)
    transcript = phone().call(keys)
    assert transcript.ok, transcript.errors
    after = scrape(live_server.url)

    assert delta(before, after, "yachay_calls_started_total", role="student", language="es") == 1
    for segment in range(1, len(lesson.segments) + 1):
        heard = "yachay_lesson_segments_heard_total"
        assert delta(before, after, heard, lesson=lesson.id, segment=str(segment)) == 1, segment
    # Silence that lets the lesson go on is no missed input.
    assert delta(before, after, "yachay_keypad_inputs_total", outcome="empty") == 0
    answers = "yachay_answers_total"
    labels = {"skill": first.skills[0], "grade": str(first.grade), "mode": "lesson"}
    assert delta(before, after, answers, correct="false", **labels) == 1
    assert delta(before, after, answers) == 1
    hangups = "yachay_lesson_hangups_total"
    assert delta(before, after, hangups, lesson=lesson.id, part="question", position="2") == 1
    assert delta(before, after, hangups) == 1
    assert delta(before, after, "yachay_calls_ended_total", outcome="dropped") == 1
    assert delta(before, after, "yachay_answer_response_seconds_count") == 1
    # Labels never carry a phone number or a CallSid.
    for (_, labelset), _ in after.items():
        for _, label in labelset:
            assert phone_number not in label and not label.startswith("CA")


def test_a_call_that_ends_with_goodbye_is_completed(live_server, phone, server_db, phone_number):
    add_student(server_db, phone_number, grade=1, language="qu")
    before = scrape(live_server.url)
    transcript = phone().call(["s", "s", "s"])  # silence at the main menu: goodbye
    assert transcript.ok, transcript.errors
    after = scrape(live_server.url)
    ended = "yachay_calls_ended_total"
    assert delta(before, after, ended, role="student", language="qu", outcome="completed") == 1
    assert delta(before, after, ended) == 1
    # Asked again twice, then goodbye.
    assert delta(before, after, "yachay_keypad_inputs_total", outcome="empty") == 2


def test_a_repeated_status_callback_is_counted_once(live_server, phone_number):
    sid = call_sid()
    post(live_server, "/voice", params(sid, phone_number))
    before = scrape(live_server.url)
    final = params(sid, phone_number, CallStatus="completed", CallDuration="42", SequenceNumber="3")
    for _ in range(2):
        assert post(live_server, "/voice/status", final).status_code == 204
    after = scrape(live_server.url)
    assert delta(before, after, "yachay_calls_ended_total", outcome="dropped") == 1
    assert delta(before, after, "yachay_call_duration_seconds_sum") == 42


def test_forged_and_malformed_webhooks_are_counted_by_route(live_server, phone_number):
    before = scrape(live_server.url)
    forged = post(live_server, "/voice", params(call_sid(), phone_number), token="wrong")
    assert forged.status_code == 403
    unsigned = requests.post(f"{live_server.url}/voice/status", data={}, timeout=10)
    assert unsigned.status_code == 403
    malformed = post(live_server, "/voice/status", params(call_sid(), phone_number, CallStatus=""))
    assert malformed.status_code == 400
    fallback = post(
        live_server,
        "/voice/fallback",
        params(call_sid(), phone_number, ErrorCode="11200", ErrorUrl="https://x/voice"),
    )
    assert fallback.status_code == 200
    after = scrape(live_server.url)

    failures = "yachay_webhook_signature_failures_total"
    assert delta(before, after, failures, route="/voice") == 1
    assert delta(before, after, failures, route="/voice/status") == 1
    errors = "yachay_webhook_errors_total"
    assert delta(before, after, errors, route="/voice/status", kind="bad_request") == 1
    assert delta(before, after, errors, route="/voice/fallback", kind="twilio_fallback") == 1
    assert delta(before, after, errors, kind="turn_failed") == 0
    assert delta(before, after, "yachay_calls_started_total") == 0
    assert "/voice/resume" in label_values(after, "yachay_http_responses_total", "route")


def test_a_failed_turn_is_a_webhook_error_and_counts_nothing_else(
    live_server, server_db, phone_number
):
    sid = call_sid()
    assert post(live_server, "/voice", params(sid, phone_number)).ok
    with server_db.session() as session:  # a state no flow can resume
        row = session.get(m.Call, sid)
        row.state = {**row.state, "node": "no-such-node"}
    before = scrape(live_server.url)
    reply = post(live_server, "/voice/resume?step=1", params(sid, phone_number, Digits="1"))
    assert reply.status_code == 200 and "<Hangup" in reply.text  # the apology
    after = scrape(live_server.url)
    errors = "yachay_webhook_errors_total"
    assert delta(before, after, errors, route="/voice/resume", kind="turn_failed") == 1
    assert delta(before, after, errors) == 1
    assert delta(before, after, "yachay_keypad_inputs_total") == 0
