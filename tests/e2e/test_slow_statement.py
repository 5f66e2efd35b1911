"""A statement that genuinely runs longer than the statement timeout, inside a caller's turn.

Nothing of ours is mocked: a real server over a real PostgreSQL, into which the test puts a
trigger that makes every insert into `answers` sleep 5 s, longer than the 3 s a turn's
statement may take (`yachay.db.database.STATEMENT_TIMEOUT_MS`). The caller, the phone
simulator, must hear the same question again well before Twilio's 15 s, nothing of the
failed answer may be stored, and once the database is quick again the answer is taken once.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select, text

from tests.conftest import TOKEN, LiveServer, free_port, start_server, stop_server
from tests.e2e.test_student_call import add_student, answers, current_lesson, through_the_segments
from tests.postgres import start_postgres
from yachay.db import models as m
from yachay.db.database import STATEMENT_TIMEOUT_MS, Database
from yachay.phone.simulator import KeyPrompt, PhoneSimulator

pytestmark = pytest.mark.slow

#: How long the trigger holds every insert into `answers`: well past the statement timeout.
SLEEP_S = 5
#: Twilio hangs up on a webhook that has not answered in 15 s; the turn must end before.
TWILIO_PATIENCE_MS = 15_000

SLOW_ANSWERS = f"""
CREATE FUNCTION yachay_test_slow_answer() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_sleep({SLEEP_S});
    RETURN NEW;
END $$;
CREATE TRIGGER yachay_test_slow_answer BEFORE INSERT ON answers
    FOR EACH ROW EXECUTE FUNCTION yachay_test_slow_answer();
"""
QUICK_AGAIN = """
DROP TRIGGER yachay_test_slow_answer ON answers;
DROP FUNCTION yachay_test_slow_answer();
"""


@pytest.fixture(scope="module")
def server_over_postgres(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[LiveServer, Database]]:
    """`yachay serve` over a PostgreSQL of its own (it migrates and loads the starter packs),
    so the trigger and the table lock slow no other module's server. Each test here leaves
    the database quick again; their callers' numbers differ."""
    postgres = start_postgres(free_port())
    server = start_server(tmp_path_factory.mktemp("slow-statement"), postgres.url)
    database = Database(postgres.url)
    yield server, database
    database.dispose()
    stop_server(server)
    postgres.stop()


def run_sql(database: Database, script: str) -> None:
    assert database.engine is not None
    with database.engine.begin() as connection:
        connection.exec_driver_sql(script)


def progress_answered(database: Database, student_id: int, lesson_id: str) -> int:
    with database.session() as session:
        answered = session.scalar(
            select(m.LessonProgress.answered).where(
                m.LessonProgress.student_id == student_id,
                m.LessonProgress.lesson_id == lesson_id,
            )
        )
    return answered or 0


def test_a_statement_slower_than_its_timeout_asks_the_question_again_and_stores_nothing(
    server_over_postgres: tuple[LiveServer, Database],
) -> None:
    assert SLEEP_S * 1000 > STATEMENT_TIMEOUT_MS  # the trigger outlasts the bound
    server, database = server_over_postgres
    number = "+51955123487"
    student_id = add_student(database, number, grade=1)
    lesson, questions = current_lesson(database, student_id)
    first = questions[0]
    answer = str(first.answer)
    # Continue my lesson, through its parts to the first question; the answer, then (after
    # the question is asked again and the database is quick again) the same answer; hang up.
    script = ["1", *through_the_segments(lesson), answer, answer, "h"]
    prompts: list[KeyPrompt] = []
    seen_before_the_retry: dict[str, object] = {}

    def caller(prompt: KeyPrompt) -> str | None:
        prompts.append(prompt)
        position = len(prompts) - 1
        if position == len(script) - 2:
            # The slow turn is over and the caller hears the question again. Look at what
            # it left behind, then make the database quick again before answering anew.
            with database.session() as session:
                call = session.scalars(select(m.Call).where(m.Call.phone == number)).one()
                seen_before_the_retry["step"] = call.step
            seen_before_the_retry["answers"] = answers(database, student_id)
            seen_before_the_retry["answered"] = progress_answered(database, student_id, lesson.id)
            run_sql(database, QUICK_AGAIN)
        return script[position] if position < len(script) else None

    run_sql(database, SLOW_ANSWERS)
    phone = PhoneSimulator(base_url=server.url, auth_token=TOKEN, from_number=number)
    transcript = phone.call(caller)
    assert transcript.ok, transcript.summary()
    assert transcript.keys_used == script

    question, again, after = prompts[-3], prompts[-2], prompts[-1]
    # The same question, word for word, whose keys still answer the same step.
    assert again.heard == question.heard and again.heard
    assert again.attributes == question.attributes
    assert after.heard != question.heard  # the answer was taken: feedback, the next question

    # Both answers went to the question's action; the first met the slow statement.
    action = question.attributes["action"]
    slow, taken = [s for s in transcript.documents if s.kind == "action" and s.url.endswith(action)]
    assert slow.status == 200 and slow.params["Digits"] == answer
    assert slow.latency_ms is not None and slow.latency_ms < TWILIO_PATIENCE_MS
    assert taken.status == 200 and taken.params["Digits"] == answer

    # Nothing of the failed turn was stored: no answer, no progress, the call at its step.
    step = int(action.split("step=")[1].split("&")[0])
    assert seen_before_the_retry == {"step": step, "answers": [], "answered": 0}
    # Then the answer was stored exactly once.
    assert answers(database, student_id) == [(first.id, int(answer), True, transcript.call_sid)]
    assert progress_answered(database, student_id, lesson.id) == 1
    with database.session() as session:
        assert session.get(m.Call, transcript.call_sid).step == step + 1  # taken once

    # The server logged the timeout by the call's id, never the child's phone number.
    log = server.log()
    failed = f"call {transcript.call_sid}: step {step} failed on the database"
    timeouts = [line for line in log.splitlines() if failed in line]
    assert timeouts and all(line.endswith("QueryCanceled") for line in timeouts), log
    assert number[3:] not in log


def test_with_the_calls_table_locked_the_caller_hears_goodbye_in_time_and_nothing_is_lost(
    server_over_postgres: tuple[LiveServer, Database],
) -> None:
    """A lock on the whole `calls` table (a migration's ALTER TABLE, a VACUUM FULL while
    serving) stops even the read that would ask the question again: that read is bounded
    too, so the caller hears the apology rather than Twilio's error after 15 s."""
    server, database = server_over_postgres
    assert database.engine is not None
    number = "+51955123488"
    student_id = add_student(database, number, grade=1)
    lesson, questions = current_lesson(database, student_id)
    answer = str(questions[0].answer)
    script = ["1", *through_the_segments(lesson), answer]
    holder = database.engine.connect()
    held = holder.begin()
    prompts: list[KeyPrompt] = []

    def caller(prompt: KeyPrompt) -> str | None:
        prompts.append(prompt)
        if len(prompts) == len(script):  # at the first question: the table is locked
            holder.execute(text("LOCK TABLE calls IN ACCESS EXCLUSIVE MODE"))
        return script[len(prompts) - 1] if len(prompts) <= len(script) else None

    def release_after_the_answer(event: str, data: object) -> None:
        # As soon as the answer to the locked turn arrived, before the status callback.
        if event == "request" and held.is_active and len(prompts) == len(script):
            held.rollback()

    phone = PhoneSimulator(base_url=server.url, auth_token=TOKEN, from_number=number)
    try:
        transcript = phone.call(caller, listener=release_after_the_answer)
    finally:
        if held.is_active:
            held.rollback()
        holder.close()
    assert transcript.ok, transcript.summary()
    assert not held.is_active  # the lock was held through the turn
    locked = transcript.documents[-1]
    assert locked.params["Digits"] == answer and locked.status == 200
    assert locked.latency_ms is not None and locked.latency_ms < TWILIO_PATIENCE_MS
    assert [v["verb"] for v in locked.verbs] == ["Say", "Hangup"]
    assert "Lo sentimos" in locked.verbs[0]["text"]
    assert transcript.ended_by == "hangup-verb"

    # Nothing of the turn was stored; the call waits at the question's step, and ended.
    step = int(prompts[-1].attributes["action"].split("step=")[1].split("&")[0])
    assert answers(database, student_id) == []
    assert progress_answered(database, student_id, lesson.id) == 0
    with database.session() as session:
        call = session.get(m.Call, transcript.call_sid)
        assert (call.step, call.status) == (step, "completed")

    log = server.log()
    assert f"call {transcript.call_sid}: step {step} failed" in log, log
    assert "LockNotAvailable" in log
    assert number[3:] not in log
