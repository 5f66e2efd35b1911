"""Whole student calls through the phone simulator against a real server over HTTP."""

from __future__ import annotations

import shutil
import wave
from io import BytesIO

import pytest
import requests
from sqlalchemy import func, select

from yachay.calls.sql_catalog import SqlCatalog
from yachay.db import models as m
from yachay.db.consent import give_consent


def students(db, phone_number):  # noqa: ANN001, ANN201
    with db.session() as session:
        return session.scalars(
            select(m.Student).where(m.Student.phone == phone_number).order_by(m.Student.id)
        ).all()


def add_student(db, phone_number, grade, language="es", name=None, consent=True) -> int:  # noqa: ANN001
    """A student registered with a parent's consent (recorded in the console), unless
    ``consent`` is False: without it a call forgets the child's answers when it ends."""
    with db.session() as session:
        row = m.Student(phone=phone_number, grade=grade, language=language, name=name)
        session.add(row)
        session.flush()
        if consent:
            give_consent(session, row.id, "console")
        return row.id


def current_lesson(db, student_id):  # noqa: ANN001, ANN201
    """The lesson "continue my lesson" plays, as the server decides it, and its questions."""
    with db.session() as session:
        position = SqlCatalog(session).current_lesson(student_id)
        lesson = session.get(m.Lesson, position.lesson_id)
        questions = session.scalars(
            select(m.Question)
            .where(m.Question.lesson_id == lesson.id, m.Question.template_id.is_(None))
            .order_by(m.Question.position)
        ).all()
        return lesson, questions


def through_the_segments(lesson, key: str = "2") -> list[str]:  # noqa: ANN001
    """Keys that take a caller from the first segment to the first question."""
    keys = [key] * len(lesson.segments)
    if lesson.kind == "listening":
        keys.append("2")  # "to start the questions, press 2"
    return keys


def answers(db, student_id):  # noqa: ANN001, ANN201
    with db.session() as session:
        return session.execute(
            select(m.Answer.question_id, m.Answer.choice, m.Answer.correct, m.Answer.call_sid)
            .where(m.Answer.student_id == student_id)
            .order_by(m.Answer.id)
        ).all()


def spoken_after(transcript, index: int) -> str:  # noqa: ANN001
    """What the caller heard in the document answered to the index-th request."""
    doc = transcript.documents[index]
    texts = []
    for verb in doc.verbs:
        for v in [verb, *verb.get("verbs", [])]:
            if v["verb"] == "Say":
                texts.append(v["text"])
    return " ".join(texts)


def test_first_call_registers_the_student_and_reaches_the_main_menu(phone, server_db, phone_number):
    # Language, grade, then a parent's consent (1 agrees) on the first call.
    transcript = phone().call(["1", "4", "1", "h"])
    assert transcript.ok, transcript.errors
    text = transcript.spoken_text()
    assert "Bienvenid" in text and "¿En qué grado estás?" in text
    assert "Si estás de acuerdo, marca 1." in spoken_after(transcript, 2)
    assert "Para seguir con tu lección, marca 1." in spoken_after(transcript, 3)
    [student] = students(server_db, phone_number)
    assert (student.language, student.grade) == ("es", 4)
    with server_db.session() as session:
        call = session.get(m.Call, transcript.call_sid)
        assert call.student_id == student.id
        assert call.status == "completed" and call.duration_seconds == transcript.duration


def test_the_language_menu_plays_quechua_and_aymara_audio(phone, live_server, phone_number):
    if not shutil.which("espeak-ng") or not shutil.which("sox"):
        pytest.skip("espeak-ng and sox render the Quechua and Aymara prompts")
    transcript = phone().call(["2", "3", "h"])
    assert transcript.ok, transcript.errors
    first = transcript.documents[0]
    played = [v["url"] for v in first.verbs[0]["verbs"] if v["verb"] == "Play"]
    assert [url.split("/")[4] for url in played] == ["qu", "ay"]
    # From the Quechua choice on, every prompt is audio the simulator fetched.
    assert all(
        v["verb"] == "Play"
        for d in transcript.documents[1:]
        for g in d.verbs
        for v in [g, *g.get("verbs", [])]
        if v["verb"] in ("Say", "Play")
    )
    audio = requests.get(
        played[0] if played[0].startswith("http") else live_server.url + played[0], timeout=10
    )
    assert audio.headers["Content-Type"] == "audio/wav"
    # The simulator shows what each recording says (a header only our server sends).
    assert [v.get("text") for v in first.verbs[0]["verbs"] if v["verb"] == "Play"] == [
        "Runasimipaq, iskayta ñit'iy.",
        "Aymar arutaki, kimsaru ñit'im.",
    ]
    with wave.open(BytesIO(audio.content)) as wav:
        assert (wav.getframerate(), wav.getnchannels()) == (8000, 1)


def test_a_known_number_goes_straight_to_the_main_menu(phone, server_db, phone_number):
    add_student(server_db, phone_number, grade=2)
    transcript = phone().call(["h"])
    text = transcript.spoken_text()
    assert "¡Hola otra vez!" in text and "Para seguir con tu lección" in text
    assert "¿En qué grado" not in text


def test_a_shared_phone_asks_who_is_calling(phone, server_db, phone_number):
    add_student(server_db, phone_number, grade=2, name="Ana")
    luis = add_student(server_db, phone_number, grade=5, name="Luis")
    transcript = phone().call(["2", "h"])
    assert "Si eres Ana, marca 1. Si eres Luis, marca 2." in spoken_after(transcript, 0)
    assert "¡Hola otra vez, Luis!" in spoken_after(transcript, 1)
    with server_db.session() as session:
        assert session.get(m.Call, transcript.call_sid).student_id == luis


def test_a_whole_lesson_with_questions_and_feedback(phone, server_db, phone_number):
    student_id = add_student(server_db, phone_number, grade=1)
    lesson, questions = current_lesson(server_db, student_id)
    silences = through_the_segments(lesson, "s")
    # Right answer to every question but the second.
    keys = [str(q.answer) for q in questions]
    keys[1] = str(questions[1].answer % len(questions[1].choices) + 1)
    transcript = phone().call(["1", *silences, *keys, "h"])
    assert transcript.ok, transcript.errors
    text = transcript.spoken_text()
    assert f"Empezamos la lección: {lesson.title['es']}." in text
    for segment in lesson.segments:
        assert segment["text"]["es"].strip() in text
    q = questions[0]
    choices = " ".join(
        f"Si tu respuesta es {c['es']}, marca {i}." for i, c in enumerate(q.choices, 1)
    )
    assert f"{q.stem['es']} {choices}" in text
    assert "¡Muy bien! Es correcto." in text
    wrong = questions[1]
    right = wrong.choices[wrong.answer - 1]["es"]
    assert f"No es correcto. La respuesta correcta es {right}." in text
    assert wrong.explanation["es"] in text
    n = len(questions)
    assert f"¡Terminaste la lección! Respondiste bien {n - 1} de {n} preguntas." in text
    stored = answers(server_db, student_id)
    assert [(a.question_id, a.correct) for a in stored] == [
        (q.id, i != 1) for i, q in enumerate(questions)
    ]
    assert {a.call_sid for a in stored} == {transcript.call_sid}


def test_lesson_keys_repeat_skip_and_return_to_the_menu(phone, server_db, phone_number):
    student_id = add_student(server_db, phone_number, grade=2)
    lesson, _ = current_lesson(server_db, student_id)
    first, second = (s["text"]["es"].strip() for s in lesson.segments[:2])
    transcript = phone().call(["1", "1", "2", "0", "h"])
    assert first in spoken_after(transcript, 1)
    assert spoken_after(transcript, 2).strip() == first
    assert spoken_after(transcript, 3).strip() == second
    assert "Para seguir con tu lección" in spoken_after(transcript, 4)


def test_a_dropped_call_resumes_at_the_segment_where_it_stopped(phone, server_db, phone_number):
    student_id = add_student(server_db, phone_number, grade=3)
    lesson, _ = current_lesson(server_db, student_id)
    phone().call(["1", "s", "s", "h"])  # hears parts 1-3, the line drops during part 3
    again = phone().call(["1", "h"])
    text = spoken_after(again, 1)
    assert f"Seguimos con tu lección: {lesson.title['es']}." in text
    assert lesson.segments[2]["text"]["es"].strip() in text
    assert lesson.segments[1]["text"]["es"].strip() not in text


def test_a_dropped_call_resumes_at_the_question_where_it_stopped(phone, server_db, phone_number):
    student_id = add_student(server_db, phone_number, grade=3)
    lesson, questions = current_lesson(server_db, student_id)
    skips = through_the_segments(lesson)
    phone().call(["1", *skips, str(questions[0].answer), "h"])
    again = phone().call(["1", str(questions[1].answer), "h"])
    assert questions[1].stem["es"] in spoken_after(again, 1)
    assert [a.question_id for a in answers(server_db, student_id)] == [
        questions[0].id,
        questions[1].id,
    ]


def test_practice_asks_questions_and_stores_each_answer_once(phone, server_db, phone_number):
    student_id = add_student(server_db, phone_number, grade=2)
    transcript = phone().call(["2", "1", "1", "1", "1", "1", "h"])
    assert "¡Vamos a practicar!" in transcript.spoken_text()
    assert "Terminaste la práctica." in transcript.spoken_text()
    stored = answers(server_db, student_id)
    assert len(stored) == 5 and len({a.question_id for a in stored}) == 5


def test_ask_a_teacher_stores_the_recording(phone, server_db, phone_number):
    student_id = add_student(server_db, phone_number, grade=4)
    transcript = phone().call(["3", "r6", "h"])
    assert "Gracias. Tu profesor va a escuchar tu pregunta." in transcript.spoken_text()
    with server_db.session() as session:
        [question] = session.scalars(
            select(m.TeacherQuestion).where(m.TeacherQuestion.student_id == student_id)
        ).all()
        assert question.duration_seconds == 6
        assert question.recording_url.startswith("https://api.twilio.com/")
        assert question.call_sid == transcript.call_sid


def test_ask_a_teacher_with_silence_stores_nothing(phone, server_db, phone_number):
    student_id = add_student(server_db, phone_number, grade=4)
    transcript = phone().call(["3", "s", "h"])
    assert "No escuché tu pregunta." in transcript.spoken_text()
    with server_db.session() as session:
        assert not session.scalar(
            select(func.count())
            .select_from(m.TeacherQuestion)
            .where(m.TeacherQuestion.student_id == student_id)
        )


def test_my_progress_counts_this_weeks_answers(phone, server_db, phone_number):
    student_id = add_student(server_db, phone_number, grade=1)
    lesson, questions = current_lesson(server_db, student_id)
    keys = through_the_segments(lesson) + [str(q.answer) for q in questions]
    # 0 leaves the tutor's practice questions after the lesson for the main menu.
    transcript = phone().call(["1", *keys, "0", "4", "h"])
    n = len(questions)
    assert (
        f"Lecciones terminadas: 1. Esta semana, preguntas respondidas: {n}. "
        f"Respuestas correctas: {n}."
    ) in transcript.spoken_text()


def test_change_language(phone, server_db, phone_number):
    add_student(server_db, phone_number, grade=3)
    transcript = phone().call(["9", "3", "h"])
    assert transcript.ok, transcript.errors
    [student] = students(server_db, phone_number)
    assert student.language == "ay"
    assert transcript.documents[-1].verbs  # the menu again, now as Aymara audio


def test_no_input_repeats_the_menu_twice_then_says_goodbye(phone, server_db, phone_number):
    add_student(server_db, phone_number, grade=3)
    transcript = phone().call(["s", "s", "s"])
    assert transcript.ended_by == "hangup-verb"
    text = transcript.spoken_text()
    assert text.count("Para seguir con tu lección") == 3
    assert text.endswith("¡Gracias por llamar! Hasta pronto.")


def test_an_invalid_key_says_so_and_asks_again(phone, server_db, phone_number):
    add_student(server_db, phone_number, grade=3)
    transcript = phone().call(["7", "h"])
    assert spoken_after(transcript, 1).startswith("Esa tecla no es válida. Para seguir")
