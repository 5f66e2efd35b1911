"""Who is calling: registration, greeting a known number, shared phones."""

from __future__ import annotations

from yachay.flows.events import GatherKeys, LanguageChanged, Speak, StudentIdentified

from .conftest import Conversation


def test_unknown_number_chooses_language_then_grade_and_is_registered(converse, world):
    call = converse()
    assert "Bienvenid" in call.said()
    # The language menu offers each language in its own words.
    languages = [e.language for e in call.last if isinstance(e, Speak)][-3:]
    assert languages == ["es", "qu", "ay"]
    assert call.wait == GatherKeys(timeout=6, max_digits=1)

    call.press("1")
    assert "grado" in call.said()
    call.press("4")
    assert call.state.student_id is not None
    student = world.student(call.state.student_id)
    assert (student.language, student.grade) == ("es", 4)
    assert "4.° grado" in call.said()
    # A new student's first call asks a parent's consent before the menu.
    assert "Si estás de acuerdo, marca 1." in call.said()
    call.press("1")
    assert world.consents == {call.state.student_id}
    assert "Para seguir con tu lección, marca 1" in call.said()
    assert call.state.node == "main_menu"


def test_quechua_registration_speaks_quechua_from_then_on(converse, world):
    call = converse().press("2")
    assert {e.language for e in call.last if isinstance(e, Speak)} == {"qu"}
    call.press("3")
    assert world.student(call.state.student_id).language == "qu"
    assert call.state.language == "qu"


def test_known_number_goes_straight_to_main_menu_in_its_language(converse, world):
    world.add_student("+51900000002", grade=3, language="ay")
    call = converse(phone="+51900000002")
    assert call.state.node == "main_menu"
    assert StudentIdentified(1) in call.last
    assert {e.language for e in call.last if isinstance(e, Speak)} == {"ay"}


def test_shared_phone_asks_who_is_calling(converse, world):
    ana = world.add_student("+51900000003", grade=2, name="Ana")
    luis = world.add_student("+51900000003", grade=5, name="Luis")
    call = converse(phone="+51900000003")
    said = call.said()
    assert "Si eres Ana, marca 1." in said and "Si eres Luis, marca 2." in said
    assert call.state.node == "who_is_calling"
    call.press("2")
    assert call.state.student_id == luis != ana
    assert "Hola otra vez, Luis" in call.said()


def test_shared_phone_without_names_tells_students_apart_by_grade(converse, world):
    world.add_student("+51900000004", grade=2)
    world.add_student("+51900000004", grade=5)
    call = converse(phone="+51900000004")
    assert "Si eres quien está en 2.° grado, marca 1." in call.said()


def test_shared_phone_can_register_a_new_student(converse, world):
    world.add_student("+51900000005", grade=2, name="Ana")
    world.add_student("+51900000005", grade=5, name="Luis")
    call = converse(phone="+51900000005").press("0", "1", "1")
    assert len(world.students_on("+51900000005")) == 3
    assert world.student(call.state.student_id).grade == 1


def test_silence_at_the_language_menu_repeats_twice_then_defaults_to_spanish(converse):
    call = converse().press("s")
    assert "No escuché" in call.said() and "Para español" in call.said()
    call.press("s")
    assert call.state.node == "choose_language"
    call.press("s")
    assert call.state.node == "choose_grade" and call.state.language == "es"


def test_silence_at_the_grade_menu_ends_the_call_without_registering(converse, world):
    call = converse().press("1", "s", "s", "s")
    assert call.hung_up
    assert "Gracias por llamar" in call.said()
    assert world.students == {}


def test_invalid_keys_say_so_and_ask_again(converse):
    call = converse().press("7")
    assert call.said().startswith("Esa tecla no es válida.")
    assert call.state.node == "choose_language"
    call.press("1", "9")
    assert "Esa tecla no es válida." in call.said() and call.state.node == "choose_grade"
    call.press("#")
    assert call.state.node == "choose_grade"


def test_change_language_from_the_main_menu(converse, world):
    world.add_student("+51900000006", grade=3)
    call = converse(phone="+51900000006").press("9")
    assert call.state.node == "choose_language"
    call.press("2")
    assert LanguageChanged(1, "qu") in call.last
    assert world.student(1).language == "qu"
    assert call.state.node == "main_menu" and call.state.language == "qu"


def test_change_language_with_silence_keeps_the_language(converse, world):
    world.add_student("+51900000007", grade=3)
    call = converse(phone="+51900000007").press("9", "s", "s", "s")
    assert call.state.node == "main_menu" and world.student(1).language == "es"


def test_main_menu_star_repeats_and_silence_ends_politely(converse, world):
    world.add_student("+51900000008", grade=3)
    call = converse(phone="+51900000008").press("*")
    assert "Para seguir con tu lección" in call.said() and call.state.node == "main_menu"
    call.press("s", "s")
    assert not call.hung_up
    call.press("s")
    assert call.hung_up and "Gracias por llamar" in call.said()


def test_without_quechua_and_aymara_audio_only_spanish_is_offered(world, prompts):
    # The server passes the prompts of the languages it can speak: Spanish alone when the
    # machine has no espeak-ng.
    call = Conversation(world, prompts.only(["es"]))
    menu = [e for e in call.last if isinstance(e, Speak)][1:]
    assert [(e.language, e.text) for e in menu] == [("es", "Para español, marca 1.")]
    call.press("2")  # Quechua is not offered: the menu again
    assert call.state.node == "choose_language"
    assert call.said() == "Esa tecla no es válida. Para español, marca 1."
    call.press("1", "3")
    assert world.student(call.state.student_id).language == "es"


def test_a_quechua_student_is_spoken_to_in_spanish_while_quechua_cannot_be(world, prompts):
    world.add_student("+51900000009", grade=3, language="qu")
    call = Conversation(world, prompts.only(["es"]), phone="+51900000009")
    assert call.state.node == "main_menu"
    assert {e.language for e in call.last if isinstance(e, Speak)} == {"es"}
    call.press("1")  # the lesson too
    assert {e.language for e in call.last if isinstance(e, Speak)} == {"es"}
    # Their choice is kept for when the server speaks Quechua again.
    assert world.student(call.state.student_id).language == "qu"


def test_a_withheld_number_is_never_identified_nor_registered(converse, world):
    world.add_student("", grade=3)  # a record that once slipped in under no number
    call = converse(phone="")
    assert call.hung_up
    assert "Tu número está oculto" in call.said()
    assert call.state.student_id is None
    assert len(world.students) == 1


def test_a_phone_with_the_most_students_registers_no_more(converse, world):
    number = "+51900000009"
    for grade in range(1, 9):
        world.add_student(number, grade=(grade - 1) % 6 + 1, name=f"Niño {grade}")
    call = converse(phone=number).press("0")
    assert "demasiados estudiantes" in call.said()
    assert call.state.node == "who_is_calling"
    assert len(world.students_on(number)) == 8


def test_a_prompt_naming_a_child_is_marked_private(converse, world):
    world.add_student("+51900000010", grade=3, name="Ana")
    call = converse(phone="+51900000010")
    named = [e for e in call.last if getattr(e, "text", "").startswith("¡Hola otra vez, Ana")]
    assert named and named[0].private
    menu = [e for e in call.last if getattr(e, "text", "").startswith("Para seguir")]
    assert menu and not menu[0].private
