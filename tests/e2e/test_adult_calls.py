"""Parents and teachers call the same number as students: whole calls through the phone
simulator against a real server (its own, with the school's number set), checked in the
database afterwards. Also a parent's consent on a new student's first call, and an adult's
own language: Quechua heard as rendered audio (<Play>), 9 in the menu to change it."""

from __future__ import annotations

import itertools
import re
import shutil
from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from tests.conftest import TOKEN, LiveServer, start_server, stop_server
from yachay.db import models as m
from yachay.db import people as p
from yachay.db import phone_roles as pr
from yachay.db.consent import has_consent
from yachay.db.database import Database
from yachay.phone.simulator import PhoneSimulator

from .test_student_call import add_student, answers

SCHOOL_NUMBER = "+5116400123"
CLAVE = "2468"
#: The cheapest argon2 parameters: the server verifies any argon2id hash.
_hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
_numbers = itertools.count(1)


@pytest.fixture(scope="module")
def school_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = start_server(
        tmp_path_factory.mktemp("school"), extra_env={"YACHAY_SCHOOL_NUMBER": SCHOOL_NUMBER}
    )
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def db(school_server: LiveServer) -> Iterator[Database]:
    database = Database(school_server.database_url)
    yield database
    database.dispose()


@pytest.fixture
def number() -> str:
    return f"+51977{next(_numbers):06d}"


def dial_from(server: LiveServer, number: str) -> PhoneSimulator:
    return PhoneSimulator(base_url=server.url, auth_token=TOKEN, from_number=number)


def add_adult(
    db: Database,
    role: str,
    phone: str | None,
    name: str,
    pin: str | None = None,
    language: str = "es",
) -> int:
    with db.session() as session:
        user = p.User(
            role=role,
            name=name,
            phone=phone,
            pin_hash=_hasher.hash(pin) if pin else None,
            language=language,
        )
        session.add(user)
        session.flush()
        return user.id


def link(db: Database, parent_id: int, *student_ids: int) -> None:
    with db.session() as session:
        for sid in student_ids:
            session.add(p.ParentChild(parent_id=parent_id, student_id=sid))


def add_class(db: Database, teacher_id: int, name: str, *student_ids: int) -> int:
    with db.session() as session:
        school = p.School(name="IE 70001", phone=SCHOOL_NUMBER)
        session.add(school)
        session.flush()
        school_class = p.SchoolClass(school_id=school.id, name=name, grade=3, teacher_id=teacher_id)
        session.add(school_class)
        session.flush()
        for sid in student_ids:
            session.add(p.ClassStudent(student_id=sid, class_id=school_class.id))
        return school_class.id


def spoken(transcript, index: int) -> str:  # noqa: ANN001
    texts = []
    for verb in transcript.documents[index].verbs:
        for v in [verb, *verb.get("verbs", [])]:
            if v["verb"] == "Say":
                texts.append(v["text"])
    return " ".join(texts)


# --- parents --------------------------------------------------------------------------


def test_a_parent_on_a_shared_phone_hears_each_childs_progress(school_server, db, number):
    ana = add_student(db, number, grade=2, name="Ana")
    luis = add_student(db, number, grade=5, name="Luis")
    parent = add_adult(db, "parent", number, "Rosa")
    link(db, parent, ana, luis)
    # Ana practises first: five answers the tutor can read.
    practice = dial_from(school_server, number).call(["1", "2", "1", "2", "3", "4", "1", "h"])
    assert practice.ok, practice.errors
    assert len(answers(db, ana)) == 5

    transcript = dial_from(school_server, number).call(["9", "1", "h"])
    assert transcript.ok, transcript.errors
    assert "Si eres Ana, marca 1. Si eres Luis, marca 2. Si eres mamá o papá, marca 9." in (
        spoken(transcript, 0)
    )
    assert "¡Hola, Rosa!" in spoken(transcript, 1)
    heard = spoken(transcript, 2)
    minutes = round(practice.duration / 60)
    assert f"Ana, esta semana: minutos por teléfono, {minutes};" in heard
    assert re.search(r"Lo que mejor sabe: [^.]+\.", heard)
    assert "Para practicar en casa: pídele que te explique" in heard
    assert "Luis, esta semana: minutos por teléfono, 0;" in heard
    assert "Luis todavía no respondió preguntas." in heard
    with db.session() as session:
        call = session.get(m.Call, transcript.call_sid)
        assert call.student_id is None  # a parent's call is nobody's lesson time


def test_a_parent_hears_how_a_child_with_answers_learns(school_server, db, number):
    ana = add_student(db, number, grade=3, name="Ana")
    parent = add_adult(db, "parent", number, "Rosa")
    link(db, parent, ana)
    # Two practice rounds: ten answers, enough for the learner profile.
    rounds = ["2", "1", "2", "3", "4", "1"] * 2
    practice = dial_from(school_server, number).call(["1", *rounds, "h"])
    assert practice.ok, practice.errors
    assert len(answers(db, ana)) == 10

    transcript = dial_from(school_server, number).call(["9", "1", "h"])
    assert transcript.ok, transcript.errors
    heard = spoken(transcript, 2)
    assert re.search(r"Suele responder en unos \d+ segundos\.", heard), heard
    # The strongest and weakest areas are the tutor's, said once (not the profile's too).
    assert "Su tema más fuerte es" not in heard
    assert heard.index("Suele responder") < heard.index("Para practicar en casa")


def test_the_household_pin_then_the_daily_call_time(school_server, db, number):
    ana = add_student(db, number, grade=3, name="Ana")
    parent_phone = number.replace("+51977", "+51976")
    parent = add_adult(db, "parent", parent_phone, "Rosa", pin="1357")
    link(db, parent, ana)
    transcript = dial_from(school_server, parent_phone).call(["1357#", "2", "2300", "0730", "h"])
    assert transcript.ok, transcript.errors
    assert "Marca la clave de tu familia" in spoken(transcript, 0)
    assert "Esa hora no es válida." in spoken(transcript, 3)
    assert "Yachay llamará todos los días a las 7 horas con 30 minutos." in spoken(transcript, 4)
    with db.session() as session:
        window = session.get(m.CallWindow, ana)  # where the outbound calls ring
        assert (window.start_minute, window.end_minute) == (7 * 60 + 30, 8 * 60 + 30)


def test_a_parents_callback_request_reaches_the_teacher(school_server, db, number):
    ana = add_student(db, number, grade=3, name="Ana")
    parent = add_adult(db, "parent", number, "Rosa")
    link(db, parent, ana)
    teacher_phone = number.replace("+51977", "+51975")
    teacher = add_adult(db, "teacher", teacher_phone, "Marta", pin=CLAVE)
    add_class(db, teacher, "3.° A", ana)
    asked = dial_from(school_server, number).call(["9", "3", "3", "h"])  # asked twice
    assert "Le avisamos al profesor para que te llame." in spoken(asked, 2)
    with db.session() as session:
        [request] = session.scalars(
            select(pr.CallbackRequest).where(pr.CallbackRequest.parent_id == parent)
        ).all()
        assert (request.student_id, request.teacher_id, request.status) == (ana, teacher, "new")

    summary = dial_from(school_server, teacher_phone).call([CLAVE + "#", "1", "h"])
    assert summary.ok, summary.errors
    heard = spoken(summary, 2)
    assert "3.° A: 1 estudiantes; 0 llamaron esta semana." in heard
    assert "Familias que piden que las llames: Ana." in heard


# --- teachers -------------------------------------------------------------------------


def test_three_wrong_claves_lock_the_number_across_calls(school_server, db, number):
    add_adult(db, "teacher", number, "Marta", pin=CLAVE)
    first = dial_from(school_server, number).call(["1111#", "2222#", "h"])
    assert "Marca tu clave y después la tecla numeral." in spoken(first, 0)
    assert spoken(first, 2).startswith("Esa clave no es correcta.")
    second = dial_from(school_server, number).call(["3333#"])
    assert second.ended_by == "hangup-verb"
    assert "queda bloqueado por 15 minutos" in spoken(second, 1)
    # Locked: even the right clave is not asked for now.
    third = dial_from(school_server, number).call([CLAVE + "#"])
    assert third.ended_by == "hangup-verb" and len(third.documents) == 1
    assert "está bloqueado por unos minutos" in spoken(third, 0)
    with db.session() as session:
        lock = session.get(pr.PinLockout, number)
        assert lock.locked_until is not None and lock.failures == 0
    log = school_server.log()
    assert "PIN lock: number +51" in log and number not in log
    assert number[:3] + "*" * (len(number) - 5) + number[-2:] in log


def test_a_recorded_question_is_heard_and_the_student_called_back(school_server, db, number):
    ana_phone = number.replace("+51977", "+51974")
    ana = add_student(db, ana_phone, grade=3, name="Ana")
    teacher = add_adult(db, "teacher", number, "Marta", pin=CLAVE)
    add_class(db, teacher, "3.° B", ana)
    asked = dial_from(school_server, ana_phone).call(["3", "r6", "h"])
    assert asked.ok, asked.errors
    with db.session() as session:
        question = session.scalars(
            select(m.TeacherQuestion).where(m.TeacherQuestion.student_id == ana)
        ).one()
        recording_url = question.recording_url

    transcript = dial_from(school_server, number).call([CLAVE + "#", "2", "1", "2", "h"])
    assert transcript.ok, transcript.errors
    assert "Pregunta de Ana:" in spoken(transcript, 2)
    [played] = [v for v in transcript.verbs("Play") if v.get("recording_sid")]
    assert played["url"] == recording_url
    assert "Para llamar ahora a Ana, marca 1." in spoken(transcript, 2)
    [dial] = transcript.verbs("Dial")
    # The bridged call shows the school's number, never the teacher's own.
    assert (dial["number"], dial["callerId"]) == (ana_phone, SCHOOL_NUMBER)
    assert "La llamada terminó." in spoken(transcript, 4)
    assert "Marcada como respondida." in spoken(transcript, 5)
    with db.session() as session:
        assert session.get(m.TeacherQuestion, question.id).status == "answered"


def test_a_recorded_lesson_waits_for_review(school_server, db, number):
    teacher = add_adult(db, "teacher", number, "Marta", pin=CLAVE)
    creator = add_adult(db, "creator", None, "Lucía")
    class_id = add_class(db, teacher, "4.° A")
    transcript = dial_from(school_server, number).call([CLAVE + "#", "3", "r30", "h"])
    assert transcript.ok, transcript.errors
    [record] = transcript.verbs("Record")
    assert record["maxLength"] == "300"
    assert "Tu grabación espera la revisión" in spoken(transcript, 3)
    with db.session() as session:
        [row] = session.scalars(
            select(pr.ClassRecording).where(pr.ClassRecording.teacher_id == teacher)
        ).all()
        assert (row.class_id, row.status, row.duration_seconds) == (class_id, "pending", 30)
        assert row.recording_url.endswith(f"/Recordings/{record['recording_sid']}")
        assert row.id in [r.id for r in pr.pending_class_recordings(session)]
        pr.review_class_recording(session, row.id, creator, approve=True)
    with db.session() as session:
        row = session.get(pr.ClassRecording, row.id)
        assert (row.status, row.reviewed_by) == ("approved", creator)
        with pytest.raises(pr.ReviewError, match="already approved"):
            pr.review_class_recording(session, row.id, creator, approve=False)


def record_for_class(server: LiveServer, db: Database, teacher_phone: str, teacher: int) -> int:
    """The teacher records a lesson for their one class by phone; the recording's id."""
    transcript = dial_from(server, teacher_phone).call([CLAVE + "#", "3", "r20", "h"])
    assert transcript.ok, transcript.errors
    with db.session() as session:
        return session.scalars(
            select(pr.ClassRecording.id)
            .where(pr.ClassRecording.teacher_id == teacher)
            .order_by(pr.ClassRecording.id.desc())
        ).first()


def recording_url(db: Database, recording_id: int) -> str:
    with db.session() as session:
        return session.get(pr.ClassRecording, recording_id).recording_url


def review(db: Database, reviewer: int, recording_id: int, approve: bool) -> None:
    with db.session() as session:
        pr.review_class_recording(session, recording_id, reviewer, approve=approve)


def recordings_played(transcript) -> list[str]:  # noqa: ANN001
    return [v["url"] for v in transcript.verbs("Play") if v.get("recording_sid")]


def test_an_approved_class_recording_is_heard_once(school_server, db, number):
    ana_phone = number.replace("+51977", "+51973")
    luis_phone = number.replace("+51977", "+51972")
    # Without a parent's consent: a teacher's message is not a child's answer.
    ana = add_student(db, ana_phone, grade=4, name="Ana", consent=False)
    luis = add_student(db, luis_phone, grade=4, name="Luis")
    teacher = add_adult(db, "teacher", number, "Marta", pin=CLAVE)
    other = add_adult(db, "teacher", None, "Juan")
    creator = add_adult(db, "creator", None, "Lucía")
    add_class(db, teacher, "4.° A", ana)
    add_class(db, other, "4.° B", luis)
    approved, rejected, pending = (
        record_for_class(school_server, db, number, teacher) for _ in range(3)
    )
    review(db, creator, approved, approve=True)
    review(db, creator, rejected, approve=False)
    # A student of another class never hears it.
    heard_by_luis = dial_from(school_server, luis_phone).call(["h"])
    assert heard_by_luis.ok, heard_by_luis.errors
    assert recordings_played(heard_by_luis) == []
    assert "mensaje" not in heard_by_luis.spoken_text()

    first = dial_from(school_server, ana_phone).call(["s", "h"])
    assert first.ok, first.errors
    assert "¡Hola otra vez, Ana!" in spoken(first, 0)
    assert "Tu profesor te dejó un mensaje. Para saltarlo, marca 1." in spoken(first, 0)
    # Only the approved one: the rejected and the pending one never play.
    assert recordings_played(first) == [recording_url(db, approved)]
    assert "Para seguir con tu lección, marca 1." in spoken(first, 1)
    with db.session() as session:
        [heard] = session.scalars(
            select(pr.RecordingHeard).where(pr.RecordingHeard.student_id == ana)
        ).all()
        assert (heard.recording_id, heard.skipped, heard.call_sid) == (
            approved,
            False,
            first.call_sid,
        )
        assert not has_consent(session, ana)

    again = dial_from(school_server, ana_phone).call(["h"])
    assert again.ok, again.errors
    assert recordings_played(again) == [] and "mensaje" not in again.spoken_text()
    assert "Para seguir con tu lección, marca 1." in spoken(again, 0)
    with db.session() as session:
        assert session.get(pr.ClassRecording, pending).status == "pending"
        assert (
            session.scalar(
                select(func.count())
                .select_from(pr.RecordingHeard)
                .where(pr.RecordingHeard.student_id == ana)
            )
            == 1
        )


def test_two_messages_a_call_1_skips_and_a_dropped_one_plays_again(school_server, db, number):
    ana_phone = number.replace("+51977", "+51971")
    ana = add_student(db, ana_phone, grade=4, name="Ana")
    teacher = add_adult(db, "teacher", number, "Marta", pin=CLAVE)
    creator = add_adult(db, "creator", None, "Lucía")
    add_class(db, teacher, "4.° C", ana)
    oldest, middle, newest = (
        record_for_class(school_server, db, number, teacher) for _ in range(3)
    )
    for recording in (oldest, middle, newest):
        review(db, creator, recording, approve=True)
    # 1 skips the newest; the call drops while the next one plays.
    dropped = dial_from(school_server, ana_phone).call(["1", "h"])
    assert dropped.ok, dropped.errors
    assert recordings_played(dropped) == [recording_url(db, newest), recording_url(db, middle)]
    with db.session() as session:
        rows = session.scalars(
            select(pr.RecordingHeard).where(pr.RecordingHeard.student_id == ana)
        ).all()
        assert [(r.recording_id, r.skipped) for r in rows] == [(newest, True)]
    # Two a call at most: the middle one (not heard to its end) and the oldest, then the menu.
    later = dial_from(school_server, ana_phone).call(["s", "s", "h"])
    assert later.ok, later.errors
    assert recordings_played(later) == [recording_url(db, middle), recording_url(db, oldest)]
    assert "Para seguir con tu lección, marca 1." in spoken(later, 2)
    last = dial_from(school_server, ana_phone).call(["h"])
    assert recordings_played(last) == []


# --- consent --------------------------------------------------------------------------


def test_consent_by_keypad_keeps_the_answers(school_server, db, number):
    transcript = dial_from(school_server, number).call(["1", "3", "1", "2", *"11111", "h"])
    assert transcript.ok, transcript.errors
    assert "Gracias. Guardaremos su avance." in spoken(transcript, 3)
    with db.session() as session:
        student = session.scalar(select(m.Student).where(m.Student.phone == number))
        assert has_consent(session, student.id)
        consent = session.scalars(select(p.Consent).where(p.Consent.student_id == student.id))
        assert [c.via for c in consent] == ["keypad"]
    assert len(answers(db, student.id)) == 5


def test_without_consent_the_call_teaches_and_forgets(school_server, db, number):
    transcript = dial_from(school_server, number).call(
        ["1", "3", "2", "2", *"11111", "3", "r5", "h"]
    )
    assert transcript.ok, transcript.errors
    text = transcript.spoken_text()
    assert "no guarda sus respuestas después de la llamada" in text
    assert "Terminaste la práctica." in text  # it taught all the same
    with db.session() as session:
        student = session.scalar(select(m.Student).where(m.Student.phone == number))
        assert not has_consent(session, student.id)
        recorded = session.scalar(
            select(func.count())
            .select_from(m.TeacherQuestion)
            .where(m.TeacherQuestion.student_id == student.id)
        )
    assert answers(db, student.id) == [] and recorded == 0


def test_a_student_registered_without_consent_forgets_each_call(school_server, db, number):
    ana = add_student(db, number, grade=2, consent=False)
    dial_from(school_server, number).call(["2", *"11111", "h"])
    assert answers(db, ana) == []


def test_a_quechua_parent_hears_recorded_quechua(school_server, db, number):
    if not shutil.which("espeak-ng") or not shutil.which("sox"):
        pytest.skip("espeak-ng and sox render the Quechua prompts")
    child_phone = number.replace("+51977", "+51973")
    ana = add_student(db, child_phone, grade=2, language="qu", name="Ana")
    parent = add_adult(db, "parent", number, "Rosa", language="qu")
    link(db, parent, ana)
    transcript = dial_from(school_server, number).call(["1", "h"])
    assert transcript.ok, transcript.errors
    assert not transcript.verbs("Say")  # every prompt is Quechua audio the server rendered
    heard = [v.get("text") for v in transcript.verbs("Play")]
    # A prompt that names someone (the greeting, Ana's progress) is served without its text:
    # the simulator hears audio it cannot read (voice/audio.py, private prompts).
    assert heard[0] is None
    assert any(t and t.startswith("Wawaykikunap imayna yachachkasqanta") for t in heard)
    assert all("/audio/qu/" in url for url in transcript.played())


def test_the_class_summary_puts_a_student_whose_calls_drop_first(school_server, db, number):
    ana_phone = number.replace("+51977", "+51972")
    luis_phone = number.replace("+51977", "+51971")
    ana = add_student(db, ana_phone, grade=3, name="Ana")
    luis = add_student(db, luis_phone, grade=3, name="Luis")
    teacher = add_adult(db, "teacher", number, "Marta", pin=CLAVE)
    add_class(db, teacher, "3.° C", ana, luis)
    # Ana hangs up twice in the middle of a lesson's first part: calls cut short.
    for _ in range(2):
        cut = dial_from(school_server, ana_phone).call(["1", "h"])
        assert cut.ok and cut.duration < 90, cut.errors
    transcript = dial_from(school_server, number).call([CLAVE + "#", "1", "h"])
    heard = spoken(transcript, 2)
    assert "3.° C: 2 estudiantes; 1 llamaron esta semana." in heard
    assert (
        "Necesitan ayuda primero: Ana. Varias de sus llamadas se cortaron a mitad de la lección."
    ) in heard
    assert "Luis." not in heard


# --- a parent's or teacher's own language ----------------------------------------------

needs_audio = pytest.mark.skipif(
    not shutil.which("espeak-ng") or not shutil.which("sox"),
    reason="espeak-ng and sox render the Quechua and Aymara prompts",
)


PIN_CLAVE_QU = "Claveykita ñit'iy, chaymanta numeralta ñit'iy."


def plays(transcript, index: int) -> list[dict]:  # noqa: ANN001
    """The <Play> verbs one TwiML document executed, in order."""
    verbs = transcript.documents[index].verbs
    return [v for verb in verbs for v in [verb, *verb.get("verbs", [])] if v["verb"] == "Play"]


def played(transcript, index: int) -> list[str]:  # noqa: ANN001
    """The texts of the recorded prompts one TwiML document played, in order."""
    texts = []
    for verb in transcript.documents[index].verbs:
        for v in [verb, *verb.get("verbs", [])]:
            if v["verb"] == "Play" and v.get("text"):
                texts.append(v["text"])
    return texts


def language_of(db: Database, user_id: int) -> str:
    with db.session() as session:
        return session.get(p.User, user_id).language


@needs_audio
def test_a_quechua_teacher_hears_quechua_audio(school_server, db, number):
    ana = add_student(db, number.replace("+51977", "+51969"), grade=3, name="Ana")
    teacher = add_adult(db, "teacher", number, "Marta", pin=CLAVE, language="qu")
    add_class(db, teacher, "3.° Q", ana)
    transcript = dial_from(school_server, number).call([CLAVE + "#", "1", "h"])
    assert transcript.ok, transcript.errors
    assert not transcript.verbs("Say")  # every prompt is Quechua audio the server rendered
    # The greeting names her: its audio is served without its text (a private prompt).
    # The greeting names her: its audio plays, served without its text (a private prompt).
    greeting, pin = plays(transcript, 0)
    assert greeting.get("text") is None and pin["text"] == PIN_CLAVE_QU
    menu = played(transcript, 1)[0]
    assert menu.startswith("Aulaykip imayna kasqanta uyarinaykipaq, hukta ñit'iy.")
    assert "Huk simita akllanaykipaq, isqunta ñit'iy." in menu
    # The class summary (it names the class and its students) plays as private audio, then
    # the ranking's closing line and the menu, in Quechua.
    summary = plays(transcript, 2)
    assert summary[0].get("text") is None, summary
    assert "Kunanqa manam pipas sapaq yanapayta munanchu." in played(transcript, 2)
    assert all("/audio/qu/" in url for url in transcript.played())


@needs_audio
def test_a_teacher_changes_language_with_9_and_the_next_call_is_in_it(school_server, db, number):
    teacher = add_adult(db, "teacher", number, "Marta", pin=CLAVE)
    first = dial_from(school_server, number).call([CLAVE + "#", "9", "2", "h"])
    assert first.ok, first.errors
    assert "Para cambiar de idioma, marca 9." in spoken(first, 1)
    # The language menu, each language in its own words.
    assert "Para español, marca 1." in spoken(first, 2)
    assert "Runasimipaq, iskayta ñit'iy." in played(first, 2)
    # From the choice on, Quechua: the confirmation and the teacher's menu.
    assert spoken(first, 3) == ""
    heard = played(first, 3)
    assert heard[0] == "Chayllam. Kunanmanta runasimipi rimapusqayki."
    assert heard[1].startswith("Aulaykip imayna kasqanta uyarinaykipaq")
    assert language_of(db, teacher) == "qu"

    second = dial_from(school_server, number).call([CLAVE + "#", "h"])
    assert second.ok, second.errors
    assert not second.verbs("Say")
    assert played(second, 0) == [PIN_CLAVE_QU]  # after the greeting, which names her
    assert all("/audio/qu/" in url for url in second.played())
    assert played(second, 1)[0].startswith("Aulaykip imayna kasqanta uyarinaykipaq")


def test_a_parent_back_to_spanish_with_9(school_server, db, number):
    ana = add_student(db, number.replace("+51977", "+51968"), grade=2, name="Ana")
    parent = add_adult(db, "parent", number, "Rosa", language="ay")
    with db.session() as session:
        session.add(p.ParentChild(parent_id=parent, student_id=ana))
    transcript = dial_from(school_server, number).call(["9", "1", "1", "h"])
    assert transcript.ok, transcript.errors
    # Spanish is offered whether or not the server speaks Aymara; 1 chooses it.
    assert "Listo. Desde ahora te hablo en español." in spoken(transcript, 2)
    assert "Para cambiar de idioma, marca 9." in spoken(transcript, 2)
    assert "Ana todavía no respondió preguntas." in spoken(transcript, 3)
    assert language_of(db, parent) == "es"
