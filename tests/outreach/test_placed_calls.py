"""Calls Yachay places, answered end to end: the server's own scheduler places each call
through the `twilio` library (Twilio's REST API stand-in records it), and the phone
simulator answers it at the URL and under the CallSid Twilio was given, as Twilio would.

A household phone shared by two sisters and their mother: the lesson call placed for the
second sister greets her and runs her lesson, and whoever else answered can say so with 0;
the parents' weekly call speaks the parent's language (Quechua and Aymara: rendered audio).
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from tests.conftest import TOKEN, LiveServer, stop_server
from tests.e2e.test_adult_calls import add_adult, link, played, spoken
from tests.e2e.test_student_call import add_student
from tests.outreach.conftest import FROM, start_outreach_server
from tests.outreach.test_webhooks import placed
from tests.outreach.twilio_api import FakeTwilioApi, Recorded
from yachay.db import models as m
from yachay.db.database import Database
from yachay.outreach.calls import OutboundCalls
from yachay.outreach.hours import LocalClock, QuietHours
from yachay.phone.simulator import CallTranscript, PhoneSimulator

_numbers = itertools.count(1)

needs_audio = pytest.mark.skipif(
    not shutil.which("espeak-ng") or not shutil.which("sox"),
    reason="espeak-ng and sox render the Quechua and Aymara prompts",
)


@pytest.fixture(scope="module")
def server(api: FakeTwilioApi, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    # The public URL is the server's own: the simulator signs what Twilio would sign.
    live = start_outreach_server(tmp_path_factory.mktemp("placed-calls"), api)
    yield live
    stop_server(live)


@pytest.fixture
def phone() -> str:
    return f"+51966{next(_numbers):06d}"


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def ring(
    db: Database, api: FakeTwilioApi, kind: str, phone: str, student_id: int | None = None
) -> tuple[Recorded, str]:
    """Ask for a call as the planner does; once the server's scheduler has placed it: what
    Twilio's API was sent, and the CallSid it answered with."""
    calls = OutboundCalls(db, LocalClock("America/Lima", QuietHours(0, 0)))
    with db.session() as session:
        calls.request(session, kind, phone, now(), student_id)
    (sent,) = api.wait_for_calls(1, to=phone)
    _, sid = placed(db, sent)
    return sent, sid


def answer(
    server: LiveServer, sent: Recorded, sid: str, keys: list[str], answered_by: str = "human"
) -> CallTranscript:
    """The phone picks up: Twilio requests the call's URL with who answered, then runs it."""
    phone = PhoneSimulator(
        base_url=server.url, auth_token=TOKEN, status_path=sent.one("StatusCallback")
    )
    transcript = phone.call(
        keys,
        path=sent.one("Url"),
        direction="outbound-api",
        from_number=FROM,
        to_number=sent.one("To"),
        extra_params={"AnsweredBy": answered_by},
        call_sid=sid,
    )
    assert transcript.ok, transcript.errors
    return transcript


def household(db: Database, phone: str) -> tuple[int, int, int]:
    """Two sisters and their mother on one phone: (Ana, Luz, Rosa)."""
    ana = add_student(db, phone, grade=2, name="Ana")
    luz = add_student(db, phone, grade=4, name="Luz")
    rosa = add_adult(db, "parent", phone, "Rosa")
    link(db, rosa, ana, luz)
    return ana, luz, rosa


def lesson_rows(db: Database, student_id: int) -> list[str]:
    with db.session() as session:
        return list(
            session.scalars(
                select(m.LessonProgress.lesson_id).where(m.LessonProgress.student_id == student_id)
            )
        )


def test_the_lesson_call_for_the_second_sister_greets_her_and_runs_her_lesson(
    server, db, api, phone
):
    ana, luz, _ = household(db, phone)
    sent, sid = ring(db, api, "lesson", phone, luz)
    # No key after the greeting: the lesson starts; its first part plays, she hangs up.
    transcript = answer(server, sent, sid, ["s", "h"])
    greeting = spoken(transcript, 0)
    assert greeting == "¡Hola, Luz! Es tu hora de aprender con Yachay. Si no eres Luz, marca 0."
    assert "Si eres Ana" not in transcript.spoken_text()
    assert "mamá o papá" not in transcript.spoken_text()
    lesson = spoken(transcript, 1)
    assert lesson.startswith("Empezamos la lección: ")
    assert "Mientras escuchas, marca 1 para repetir" in lesson
    with db.session() as session:
        call = session.get(m.Call, sid)
        assert (call.direction, call.phone, call.student_id) == ("outbound-api", phone, luz)
        assert call.state["node"] == "segment"
        row = session.scalars(select(m.OutboundCall).where(m.OutboundCall.phone == phone)).one()
        assert (row.kind, row.student_id, row.state) == ("lesson", luz, "done")
    # Her lesson, where the next call resumes it; her sister's is untouched.
    assert len(lesson_rows(db, luz)) == 1 and lesson_rows(db, ana) == []


def test_her_sister_answers_the_call_for_luz_and_says_who_she_is_with_0(server, db, api, phone):
    ana, luz, _ = household(db, phone)
    sent, sid = ring(db, api, "lesson", phone, luz)
    transcript = answer(server, sent, sid, ["0", "1", "h"])
    assert "Si no eres Luz, marca 0." in spoken(transcript, 0)
    who = spoken(transcript, 1)
    assert "Si eres Ana, marca 1. Si eres Luz, marca 2. Si eres mamá o papá, marca 9." in who
    assert "¡Hola otra vez, Ana!" in spoken(transcript, 2)
    assert "Para seguir con tu lección, marca 1." in spoken(transcript, 2)
    with db.session() as session:
        assert session.get(m.Call, sid).student_id == ana  # never counted as Luz's call
    assert lesson_rows(db, luz) == []


def test_the_mother_answers_with_0_then_9_and_gets_her_menu(server, db, api, phone):
    _, luz, _ = household(db, phone)
    sent, sid = ring(db, api, "lesson", phone, luz)
    transcript = answer(server, sent, sid, ["0", "9", "h"])
    assert "¡Hola, Rosa!" in spoken(transcript, 2)
    assert "Para escuchar cómo avanzan tus hijos, marca 1." in spoken(transcript, 2)
    with db.session() as session:
        assert session.get(m.Call, sid).student_id is None


def test_a_review_call_greets_the_child_and_starts_her_review(server, db, api, phone):
    _, luz, _ = household(db, phone)
    sent, sid = ring(db, api, "review", phone, luz)
    transcript = answer(server, sent, sid, ["1", "h"])  # any key but 0 goes on at once
    assert spoken(transcript, 0) == (
        "¡Hola, Luz! Es tu hora de aprender con Yachay. Hoy repasamos lo que ya aprendiste. "
        "Si no eres Luz, marca 0."
    )
    assert spoken(transcript, 1).startswith("¡Vamos a practicar!")
    with db.session() as session:
        call = session.get(m.Call, sid)
        assert (call.student_id, call.state["node"]) == (luz, "question")


def test_a_child_alone_on_her_phone_goes_straight_to_her_lesson(server, db, api, phone):
    nilda = add_student(db, phone, grade=3, name="Nilda")
    sent, sid = ring(db, api, "lesson", phone, nilda)
    transcript = answer(server, sent, sid, ["h"])
    heard = spoken(transcript, 0)
    assert heard.startswith("¡Hola, Nilda! Es tu hora de aprender con Yachay. Empezamos la lección")
    assert "marca 0" not in heard.split("Empezamos")[0]


def test_a_voicemail_on_the_shared_phone_never_hears_her_name(server, db, api, phone):
    _, luz, _ = household(db, phone)
    sent, sid = ring(db, api, "lesson", phone, luz)
    transcript = answer(server, sent, sid, [], answered_by="machine_end_beep")
    assert [v["verb"] for v in transcript.documents[0].verbs] == ["Say", "Hangup"]
    assert "Yachay" in transcript.spoken_text()
    assert "Luz" not in transcript.spoken_text() and "Ana" not in transcript.spoken_text()
    with db.session() as session:
        call = session.get(m.Call, sid)  # its status callback's record, and nothing more
        assert call.last_reply is None and call.student_id is None, "no flow was started"
        assert call.status == "completed"


def test_the_weekly_call_to_a_spanish_household_tells_each_childs_week(server, db, api, phone):
    household(db, phone)
    sent, sid = ring(db, api, "parent_progress", phone)
    transcript = answer(server, sent, sid, ["s"])  # the mother listens, and presses nothing
    assert transcript.ended_by == "hangup-verb"
    assert transcript.said() == [
        "Hola, te llamamos de Yachay con el avance de la semana.",
        "Ana no llamó esta semana. Recuérdale llamar un ratito cada día.",
        "Luz no llamó esta semana. Recuérdale llamar un ratito cada día.",
        "Para saber más de su aprendizaje, elegir la hora de la llamada diaria o pedir que "
        "el profesor te llame, marca 1.",
        "Gracias por acompañar su aprendizaje. ¡Hasta la próxima semana!",
    ]
    assert "Si eres" not in transcript.spoken_text()  # nobody is asked who is calling


def test_the_weekly_call_leads_a_parent_on_the_phone_into_her_menu_after_her_pin(
    server, db, api, phone
):
    ana = add_student(db, phone, grade=2, name="Ana")
    rosa = add_adult(db, "parent", phone, "Rosa", pin="2468")
    link(db, rosa, ana)
    sent, sid = ring(db, api, "parent_progress", phone)
    transcript = answer(server, sent, sid, ["1", "2468#", "1", "h"])
    said = transcript.said()
    assert said[said.index("¡Hola, Rosa!") + 1] == (
        "Marca la clave de tu familia y después la tecla numeral."
    )
    assert "Ana, esta semana: minutos por teléfono, 0; lecciones terminadas, 0." in said
    with db.session() as session:
        call = session.get(m.Call, sid)
        # the mother's call, never the child's: no student was identified
        assert call.student_id is None and call.direction == "outbound-api"


def test_the_weekly_call_ends_with_the_week_when_no_parent_is_on_the_phone(server, db, api, phone):
    ana = add_student(db, phone, grade=2, name="Ana")
    link(db, add_adult(db, "parent", phone.replace("+51966", "+51964"), "Rosa"), ana)
    sent, sid = ring(db, api, "parent_progress", phone)
    transcript = answer(server, sent, sid, [])
    assert transcript.ended_by == "hangup-verb"
    goodbye = "Gracias por acompañar su aprendizaje. ¡Hasta la próxima semana!"
    assert transcript.said()[-1] == goodbye
    assert "marca 1" not in transcript.spoken_text()


@needs_audio
def test_the_weekly_call_to_a_quechua_speaking_mother_is_in_quechua(server, db, api, phone):
    ana = add_student(db, phone, grade=2, language="qu", name="Ana")
    add_student(db, phone, grade=4, language="es")  # a brother with no name given
    rosa = add_adult(db, "parent", phone, "Rosa", language="qu")
    link(db, rosa, ana)
    sent, sid = ring(db, api, "parent_progress", phone)
    transcript = answer(server, sent, sid, ["s"])
    assert transcript.ended_by == "hangup-verb"
    assert not transcript.verbs("Say")  # not a word of Spanish
    assert all("/audio/qu/" in url for url in transcript.played())
    plays = [v for v in transcript.verbs("Play")]
    assert len(plays) == 5  # the greeting, each child's week, "1 for more", the goodbye
    heard = played(transcript, 0)  # the first reply; the week of each child is not in it
    assert heard[0] == (
        "Napaykullayki, Yachaymanta waqyamuyku kay semanapi yachasqankunata willanaykupaq."
    )
    assert heard[1].endswith("hukta ñit'iy.")  # 1 for her menu, in Quechua too
    assert played(transcript, 1) == [
        "Añaychayki yachakuyninpi yanapasqaykimanta. ¡Hamuq semanakama!"
    ]
    # Each child's week is private audio: served without its text, never guessable.
    assert [v.get("text") for v in plays[1:3]] == [None, None]


@needs_audio
def test_the_weekly_call_speaks_aymara_for_a_mother_on_another_phone(server, db, api, phone):
    """The household phone rings; its children's mother (linked, her own number) speaks
    Aymara."""
    ana = add_student(db, phone, grade=2, name="Ana")
    mother = add_adult(db, "parent", phone.replace("+51966", "+51965"), "Rosa", language="ay")
    link(db, mother, ana)
    sent, sid = ring(db, api, "parent_progress", phone)
    transcript = answer(server, sent, sid, [])
    assert not transcript.verbs("Say")
    assert all("/audio/ay/" in url for url in transcript.played())
    assert played(transcript, 0)[0].startswith("Kamisaki, Yachayat jawsapxsma")


def test_the_weekly_call_says_sorry_when_the_database_fails_and_logs_no_number(
    server, db, api, phone
):
    from yachay.outreach.messages import PROGRESS_UNAVAILABLE

    household(db, phone)
    sent, sid = ring(db, api, "parent_progress", phone)
    # A real database error on the week's read: the answers table is not there.
    with db.engine.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE answers RENAME TO answers_away")
    try:
        transcript = answer(server, sent, sid, [])
    finally:
        with db.engine.begin() as connection:
            connection.exec_driver_sql("ALTER TABLE answers_away RENAME TO answers")
    assert transcript.said() == [PROGRESS_UNAVAILABLE]
    assert transcript.ended_by == "hangup-verb"
    log = server.log()
    assert f"outbound call {sid}: the weekly progress could not be read" in log
    assert phone[3:] not in log
