"""A call Yachay placed for one child (flows.placed_call), on the memory world and on the
real catalog and recorder: whole calls through a real server are in
tests/outreach/test_placed_calls.py."""

from __future__ import annotations

from yachay.flows.events import Speak, StudentIdentified


def test_an_unnamed_child_is_told_apart_by_grade_and_silence_starts_her_lesson(converse, world):
    phone = "+51900000101"
    world.add_student(phone, grade=2)
    maria = world.add_student(phone, grade=3)
    call = converse(phone=phone, placed_for=maria, purpose="lesson")
    assert call.said() == (
        "¡Hola! Es tu hora de aprender con Yachay. Si no eres quien está en 3.° grado, marca 0."
    )
    assert call.state.student_id is None  # not yet: someone else may have answered
    assert not any(isinstance(e, StudentIdentified) for e in call.last)
    call.press("s")
    assert StudentIdentified(maria) in call.last
    assert (call.state.student_id, call.state.node) == (maria, "segment")
    assert call.said().startswith("Empezamos la lección: ")


def test_a_child_who_left_the_phone_since_the_call_was_planned_is_not_greeted(converse, world):
    phone = "+51900000102"
    world.add_student(phone, grade=2, name="Ana")
    elsewhere = world.add_student("+51900000103", grade=3, name="Luis")
    call = converse(phone=phone, placed_for=elsewhere, purpose="lesson")
    assert "Luis" not in call.said()
    assert call.state.student_id is not None and call.state.node == "main_menu"
    assert "¡Hola otra vez, Ana!" in call.said()


def test_a_quechua_child_is_greeted_in_quechua_and_her_review_begins(converse, world):
    phone = "+51900000104"
    world.add_student(phone, grade=3, name="Ana", language="qu")
    sisa = world.add_student(phone, grade=3, name="Sisa", language="qu")
    call = converse(phone=phone, placed_for=sisa, purpose="review")
    assert {e.language for e in call.last if isinstance(e, Speak)} == {"qu"}
    assert call.said() == (
        "¡Napaykullayki, Sisa! Yachaywan yachakunaykipaq horañam. "
        "Kunanqa yachasqaykita hukmanta qhawarisun. Mana Sisa kaspaqa, ch'usaqta ñit'iy."
    )
    # The greeting names her: its audio must not be findable from the text.
    assert all(e.private for e in call.last if isinstance(e, Speak) and "Sisa" in e.text)
    call.press("2")  # any key but 0 goes on
    assert call.state.student_id == sisa and call.state.node == "question"
    # a call placed for her reviews asks every due review first, not one a round
    assert call.tutor.reviews_first == [True]


def test_practice_chosen_from_the_menu_is_not_a_review_call(converse, world):
    phone = "+51900000105"
    world.add_student(phone, grade=3, name="Rosa")
    call = converse(phone=phone)
    call.press("2")
    assert call.state.node == "question"
    assert call.tutor.reviews_first == [False]
