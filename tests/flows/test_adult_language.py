"""A parent's or teacher's own language: their calls speak it, and 9 in their menu changes
it for this call and the next ones."""

from __future__ import annotations

import pytest

from yachay.flows.events import AdultLanguageChanged, LanguageChanged, Speak

from .conftest import Conversation

#: The real catalog and recorder run these flows in tests/e2e/test_adult_calls.py.
pytestmark = pytest.mark.memory_world

HOME = "+51900000100"
TEACHER_PHONE = "+51900000200"


def languages(call: Conversation) -> set[str]:
    return {e.language for e in call.last if isinstance(e, Speak)}


def test_a_quechua_teacher_hears_quechua_from_the_clave_on(converse, world):
    world.add_adult("teacher", TEACHER_PHONE, "Marta", pin="2468", language="qu")
    call = converse(phone=TEACHER_PHONE)
    assert call.state.language == "qu" and languages(call) == {"qu"}
    assert "¡Napaykullayki, Marta!" in call.said()
    call.press("2468#")
    assert call.state.node == "teacher_menu" and languages(call) == {"qu"}
    assert "Huk simita akllanaykipaq, isqunta ñit'iy." in call.said()


def test_a_teacher_changes_language_with_9_and_the_next_call_speaks_it(converse, world):
    teacher = world.add_adult("teacher", TEACHER_PHONE, "Marta", pin="2468")
    call = converse(phone=TEACHER_PHONE, sid="CA1").press("2468#")
    assert "Para cambiar de idioma, marca 9." in call.said()
    call.press("9")
    assert call.state.node == "choose_language"
    assert "Aymar arutaki, kimsaru ñit'im." in call.said()
    call.press("3")
    assert AdultLanguageChanged(teacher, "ay") in call.last
    assert not any(isinstance(e, LanguageChanged) for e in call.last)  # no student changes
    assert world.adult(teacher).language == "ay"
    assert call.state.node == "teacher_menu" and call.state.language == "ay"
    assert call.said().startswith("Walikiwa. Jichhat aksarux aymar arut parläma.")
    assert "Yaqha aru ajlliñataki, llätunkaru ñit'im." in call.said()  # the menu, in Aymara
    call.press("1")  # the other keys are unchanged
    assert call.state.node == "teacher_menu" and "Janïraw Yachayan aulamax" in call.said()

    again = converse(phone=TEACHER_PHONE, sid="CA2")
    assert again.state.language == "ay" and languages(again) == {"ay"}


def test_a_parent_changes_language_and_returns_to_the_parent_menu(converse, world):
    ana = world.add_student(HOME, grade=2, name="Ana")
    parent = world.add_adult("parent", HOME, "Rosa", children=(ana,))
    call = converse(phone=HOME).press("9")  # who is calling: mamá o papá
    assert call.state.node == "parent_menu"
    assert "Para cambiar de idioma, marca 9." in call.said()
    call.press("9", "2")
    assert AdultLanguageChanged(parent, "qu") in call.last
    assert call.state.node == "parent_menu" and languages(call) == {"qu"}
    assert world.adult(parent).language == "qu"
    assert world.student(ana).language == "es"  # the child keeps their own language
    call.press("1")
    assert "Ana manaraqmi tapusqakunata kutichinchu." in call.said()


def test_silence_at_the_language_menu_keeps_the_language_and_the_menu(converse, world):
    teacher = world.add_adult("teacher", TEACHER_PHONE, "Marta", pin="2468", language="qu")
    call = converse(phone=TEACHER_PHONE).press("2468#", "9", "s", "s", "s")
    assert call.state.node == "teacher_menu" and call.state.language == "qu"
    assert world.adult(teacher).language == "qu"


def test_a_teacher_sharing_a_childs_phone_hears_their_own_language(converse, world):
    world.add_student(HOME, grade=2, language="qu", name="Ana")
    world.add_adult("teacher", HOME, "Marta", pin="2468")
    call = converse(phone=HOME)
    assert languages(call) == {"qu"}  # who is calling: the child's language
    call.press("8")
    assert call.state.language == "es" and "¡Hola, Marta!" in call.said()


def test_an_adults_language_the_server_cannot_speak_is_heard_in_spanish(world, prompts):
    teacher = world.add_adult("teacher", TEACHER_PHONE, "Marta", pin="2468", language="ay")
    call = Conversation(world, prompts.only(["es"]), phone=TEACHER_PHONE)
    assert languages(call) == {"es"}
    call.press("2468#", "9", "3")  # Aymara is not offered here
    assert call.state.node == "choose_language" and "Esa tecla no es válida." in call.said()
    assert world.adult(teacher).language == "ay"  # kept for when the server speaks it
