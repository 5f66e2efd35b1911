"""Lessons, questions and practice as pure flows."""

from __future__ import annotations

from dataclasses import replace

from yachay.flows.events import (
    AnswerGraded,
    GatherKeys,
    LessonCompleted,
    LessonPositionReached,
    RecordVoice,
    Speak,
    TeacherQuestionRecorded,
)
from yachay.flows.speech import heard_seconds, text_seconds

PHONE = "+51911111111"


def student_call(converse, world, grade=3, language="es"):
    world.add_student(PHONE, grade=grade, language=language)
    return converse(phone=PHONE)


def test_a_lesson_plays_segment_by_segment_and_silence_lets_it_go_on(converse, world):
    call = student_call(converse, world).press("1")
    assert "Empezamos la lección: Lección g3-a." in call.said()
    assert "Parte 1 de g3-a" in call.said()
    assert call.wait == GatherKeys(timeout=2, max_digits=1)
    call.press("s")
    assert call.said() == "Parte 2 de g3-a"
    assert LessonPositionReached(1, "g3-a", 1, 0) in call.last


def test_segment_keys_repeat_skip_and_return_to_menu(converse, world):
    call = student_call(converse, world).press("1")
    call.press("1")
    assert call.said() == "Parte 1 de g3-a"
    call.press("2")
    assert call.said() == "Parte 2 de g3-a"
    call.press("0")
    assert call.state.node == "main_menu"
    assert world.progress_rows[(1, "g3-a")]["segment"] == 1


def test_questions_read_choices_and_give_feedback(converse, world):
    call = student_call(converse, world).press("1", "2", "2", "2")
    said = call.said()
    assert "Ahora, unas preguntas." in said
    assert (
        "Pregunta 1. Pregunta g3-a 1 Si tu respuesta es opción 1, marca 1. "
        "Si tu respuesta es opción 2, marca 2. Si tu respuesta es opción 3, marca 3."
    ) in said
    assert call.wait == GatherKeys(timeout=10, max_digits=1)

    call.press("2")
    assert call.said().startswith("¡Muy bien! Es correcto.")
    call.press("3")
    assert call.said().startswith("No es correcto. La respuesta correcta es opción 2. Porque sí 2")
    graded = [e for t in call.turns for e in t if isinstance(e, AnswerGraded)]
    assert [(a.question_id, a.choice, a.correct) for a in graded] == [
        ("g3-a-q1", 2, True),
        ("g3-a-q2", 3, False),
    ]
    assert graded[0].raw_response_ms == 3000 and graded[0].lesson_id == "g3-a"
    # the question and its three choices take longer than 3 s to say: answered before the end
    assert graded[0].response_ms == 0


def test_a_response_time_runs_from_when_the_last_choice_has_been_heard(converse, world):
    call = student_call(converse, world)
    call.ctx = replace(call.ctx, spoken_seconds=lambda event: 0.1)  # a fast voice
    call.press("1", "2", "2", "2")
    heard = heard_seconds(call.turns[-1], lambda event: 0.1)
    assert 1 < heard < 3
    call.press("2")
    (answer,) = [e for e in call.last if isinstance(e, AnswerGraded)]
    assert answer.raw_response_ms == 3000
    assert answer.response_ms == 3000 - round(heard * 1000)


def test_the_spoken_length_is_estimated_from_the_text_at_the_voices_rate():
    plain = Speak("x" * 140, "es")
    assert text_seconds(plain) == 10.0
    assert text_seconds(Speak("x" * 140, "es", slow=True)) == 15.0
    assert heard_seconds([plain, "not said", plain]) == 20.3  # with a pause between


def test_star_repeats_the_question_and_bad_keys_are_refused(converse, world):
    call = student_call(converse, world).press("1", "2", "2", "2")
    call.press("*")
    assert call.said().startswith("Pregunta 1.")
    call.press("7")
    assert call.said().startswith("Esa tecla no es válida. Pregunta 1.")
    assert world.answers == []


def test_finishing_a_lesson_reports_the_score_and_moves_to_the_next(converse, world):
    call = student_call(converse, world).press("1", "2", "2", "2", "2", "1", "2", "2")
    assert LessonCompleted(1, "g3-a") in call.last
    assert "Respondiste bien 3 de 4 preguntas." in call.said()
    assert call.state.node == "main_menu"
    call.press("1")
    assert "Empezamos la lección: Lección g3-b." in call.said()


def test_a_dropped_call_resumes_at_the_segment_it_stopped_at(converse, world):
    student_call(converse, world).press("1", "s")  # hears part 2, then the line drops
    again = converse(phone=PHONE, sid="CA2").press("1")
    assert "Seguimos con tu lección: Lección g3-a." in again.said()
    assert "Parte 2 de g3-a" in again.said()


def test_a_dropped_call_resumes_at_the_question_with_its_score(converse, world):
    student_call(converse, world).press("1", "2", "2", "2", "2", "1")  # q1 right, q2 wrong
    again = converse(phone=PHONE, sid="CA2").press("1")
    assert "Seguimos con tu lección" in again.said()
    assert "Pregunta 3." in again.said()
    again.press("2", "2")
    assert "Respondiste bien 3 de 4 preguntas." in again.said()


def test_silence_at_a_question_repeats_twice_then_main_menu(converse, world):
    call = student_call(converse, world).press("1", "2", "2", "2", "s", "s")
    assert call.state.node == "question"
    call.press("s")
    assert call.state.node == "main_menu"


def test_all_lessons_done(converse, world):
    world.add_student(PHONE, grade=5)
    call = converse(phone=PHONE).press("1")
    assert "Terminaste todas tus lecciones" in call.said()
    assert call.state.node == "main_menu"


def test_practice_asks_wrong_then_unseen_questions_of_the_grade(converse, world):
    call = student_call(converse, world).press("1", "2", "2", "2", "1", "2", "2", "2")
    assert "Respondiste bien 3 de 4" in call.said()
    call.press("2")
    assert "¡Vamos a practicar!" in call.said()
    assert "Pregunta g3-a 1" in call.said()  # the one answered wrong comes first
    call.press("2", "2", "2", "2", "2")
    assert "Terminaste la práctica. Respondiste bien 5 de 5." in call.said()
    practice = [a for a in world.answers if a.lesson_id is None]
    assert [a.question_id for a in practice] == [
        "g3-a-q1",
        "g3-b-q1",
        "g3-b-q2",
        "g3-b-q3",
        "g3-b-q4",
    ]


def test_practice_with_nothing_to_practise(converse, world):
    world.add_student(PHONE, grade=6)
    call = converse(phone=PHONE).press("2")
    assert "no tienes preguntas para practicar" in call.said()


def test_ask_a_teacher_records_a_question(converse, world):
    call = student_call(converse, world).press("3")
    assert "Después del tono" in call.said()
    assert call.wait == RecordVoice(max_seconds=60)
    call.press("r7")
    recorded = [e for e in call.last if isinstance(e, TeacherQuestionRecorded)]
    assert recorded[0].duration_seconds == 7 and "Gracias" in call.said()
    assert call.state.node == "main_menu"


def test_ask_a_teacher_with_nothing_recorded(converse, world):
    call = student_call(converse, world).press("3", "s")
    assert "No escuché tu pregunta" in call.said() and world.recordings == []


def test_my_progress(converse, world):
    call = student_call(converse, world).press("4")
    assert "Lecciones terminadas: 0. Esta semana todavía no respondiste" in call.said()
    call.press("1", "2", "2", "2", "2", "1", "2", "2", "4")
    assert (
        "Lecciones terminadas: 1. Esta semana, preguntas respondidas: 4. Respuestas correctas: 3."
    ) in call.said()


def test_a_quechua_student_hears_a_spanish_only_lesson_with_a_notice(converse, world):
    call = student_call(converse, world, language="qu").press("1")
    speaks = [(e.language, e.text) for e in call.last if hasattr(e, "language")]
    # The notice in Quechua, then the untranslated lesson wholly in Spanish.
    assert speaks[0][0] == "qu"
    assert speaks[1] == ("es", "Empezamos la lección: Lección g3-a.")
    assert speaks[-1] == ("es", "Parte 1 de g3-a")
    call.press("2", "2", "2")
    question = [(e.language, e.text) for e in call.last if hasattr(e, "language")]
    assert ("es", "Si tu respuesta es opción 1, marca 1.") in question
    assert {lang for lang, text in question if text.startswith("Pregunta g3-a")} == {"es"}


def test_a_translated_lesson_is_heard_in_quechua(converse, world):
    from dataclasses import replace

    from yachay.flows.ports import SegmentView

    lesson = world.lessons["g3-a"]
    world.lessons["g3-a"] = replace(
        lesson,
        title={**lesson.title, "qu": "Yachakuy"},
        segments=[
            SegmentView({**s.text, "qu": f"Rakiy {i}"}, {})
            for i, s in enumerate(lesson.segments, 1)
        ],
    )
    for qid in lesson.question_ids:
        q = world.questions[qid]
        world.questions[qid] = replace(
            q,
            stem={**q.stem, "qu": "Tapuy"},
            choices=[{**c, "qu": f"akllay {i}"} for i, c in enumerate(q.choices, 1)],
        )
    call = student_call(converse, world, language="qu").press("1")
    speaks = [(e.language, e.text) for e in call.last if hasattr(e, "language")]
    assert {lang for lang, _ in speaks} == {"qu"} and ("qu", "Rakiy 1") in speaks
    call.press("2", "2", "2")
    assert ("qu", "Kutichiyniyki akllay 1 kaptinqa, hukta ñit'iy.") in [
        (e.language, e.text) for e in call.last if hasattr(e, "language")
    ]


def test_a_listening_lesson_reads_slowly_and_offers_the_story_again(converse, world):
    from dataclasses import replace

    from yachay.flows.events import Speak

    world.lessons["g3-a"] = replace(world.lessons["g3-a"], kind="listening")
    call = student_call(converse, world).press("1")
    story = [e for e in call.last if isinstance(e, Speak) and e.text.startswith("Parte")]
    assert story[0].slow
    call.press("2", "2", "2")
    assert "Para escuchar el cuento otra vez, marca 1." in call.said()
    assert call.state.node == "story_again"
    call.press("1")
    assert call.said() == "Parte 1 de g3-a"
    call.press("2", "2", "2", "s")  # silence after the offer goes on to the questions
    assert "Ahora, unas preguntas." in call.said() and call.state.node == "question"


def test_an_ordinary_lesson_goes_straight_to_its_questions(converse, world):
    call = student_call(converse, world).press("1", "2", "2", "2")
    assert call.state.node == "question"


def test_the_tutor_adds_practice_after_a_lesson(converse, world):
    world.after_lesson["g3-a"] = ["g3-b-q1", "g3-b-q2"]
    call = student_call(converse, world).press("1", "2", "2", "2", "2", "2", "2", "2")
    said = call.said()
    assert "Respondiste bien 4 de 4 preguntas." in said
    assert "Ahora, unas preguntas más para practicar. Pregunta 1. Pregunta g3-b 1" in said
    call.press("2", "1")
    assert "Terminaste la práctica. Respondiste bien 1 de 2." in call.said()
    assert [a.lesson_id for a in world.answers[-2:]] == [None, None]


def test_the_choice_after_a_lesson_sees_the_lessons_last_answer(converse, world):
    """The tutor is asked in the turn that graded the last answer, before storage has it:
    the turn hands it over."""
    world.after_lesson["g3-a"] = ["g3-b-q1", "g3-a-q4"]
    right = student_call(converse, world).press("1", "2", "2", "2", "2", "2", "2")
    right.press("2")
    assert right.tutor.asked == [("after_lesson", 1, ["g3-a-q4"])]
    assert "unas preguntas más para practicar. Pregunta 1. Pregunta g3-b 1" in right.said()
    assert "Pregunta g3-a 4" not in right.said()  # answered right: not asked again

    world.add_student("+51922222222", grade=3)
    wrong = converse(phone="+51922222222", sid="CA2").press("1", "2", "2", "2", "2", "2", "2")
    wrong.press("3")  # the last question, answered wrong
    assert "unas preguntas más para practicar. Pregunta 1. Pregunta g3-a 4" in wrong.said()


def test_lesson_progress_counts_each_answer_once(converse, world):
    student_call(converse, world).press("1", "2", "2", "2", "2", "1", "2", "2")
    row = world.progress_rows[(1, "g3-a")]
    assert (row["answered"], row["right"], row["completed"]) == (4, 3, True)
    assert [a.correct for a in world.answers] == [True, False, True, True]


def test_my_progress_tells_how_the_child_learns(converse, world, monkeypatch):
    plain = world.progress
    monkeypatch.setattr(
        world,
        "progress",
        lambda student_id, now: replace(
            plain(student_id, now), profile=("Aprende rápido.", "Suele responder en 4 s.")
        ),
    )
    call = student_call(converse, world).press("4")
    said = call.said()
    assert "Lecciones terminadas: 0." in said
    assert said.index("Aprende rápido.") < said.index("Suele responder en 4 s.")
