"""A teacher's approved messages for the class play before a student's main menu, at most
two a call, newest first, each once; 1 skips one."""

from __future__ import annotations

from dataclasses import replace

import pytest

from yachay.flows.events import ClassRecordingHeard, GatherKeys, PlayRecording

#: The real catalog and recorder run these flows in tests/e2e/test_adult_calls.py.
pytestmark = pytest.mark.memory_world

PHONE = "+51900000300"
TEACHER_PHONE = "+51900000301"


def classroom(world, *statuses):  # noqa: ANN001, ANN201
    """Ana in a class whose teacher left messages with these review statuses, oldest first."""
    ana = world.add_student(PHONE, grade=3, name="Ana")
    teacher = world.add_adult("teacher", TEACHER_PHONE, "Marta", pin="2468")
    class_id = world.add_class(teacher, "3.° B", [ana])
    return ana, class_id, [world.add_message(class_id, status) for status in statuses]


def played(events) -> list[str]:  # noqa: ANN001
    return [e.url for e in events if isinstance(e, PlayRecording)]


def url(message_id: int) -> str:
    return f"https://api.twilio.com/rec/RM{message_id}"


def test_an_approved_message_plays_after_the_greeting_then_the_main_menu(converse, world):
    ana, _, [message] = classroom(world, "approved")
    call = converse(phone=PHONE)
    assert call.state.node == "class_messages"
    assert "¡Hola otra vez, Ana!" in call.said()
    assert "Tu profesor te dejó un mensaje. Para saltarlo, marca 1." in call.said()
    assert played(call.last) == [url(message)]
    # The recording plays inside the keypad wait, so a key stops it at once.
    assert isinstance(call.wait, GatherKeys)
    assert world.heard == []  # not yet: it has not played to its end
    call.press("s")
    assert call.last[0] == ClassRecordingHeard(ana, message, skipped=False)
    assert call.state.node == "main_menu"
    assert "Para seguir con tu lección, marca 1." in call.said()


def test_heard_once_not_on_the_next_call(converse, world):
    _, _, [message] = classroom(world, "approved")
    converse(phone=PHONE).press("s")
    again = converse(phone=PHONE, sid="CA2")
    assert played(again.last) == []
    assert "mensaje" not in again.said()
    assert again.state.node == "main_menu"


def test_at_most_two_a_call_newest_first_the_rest_next_call(converse, world):
    ana, _, (oldest, middle, newest) = classroom(world, "approved", "approved", "approved")
    call = converse(phone=PHONE)
    assert played(call.last) == [url(newest)]
    call.press("s")
    assert played(call.last) == [url(middle)]
    call.press("s")
    assert call.state.node == "main_menu" and played(call.last) == []
    assert [h.recording_id for h in world.heard] == [newest, middle]
    later = converse(phone=PHONE, sid="CA2")
    assert played(later.last) == [url(oldest)]


def test_1_skips_a_message_and_it_counts_as_heard(converse, world):
    ana, _, (first, second) = classroom(world, "approved", "approved")
    call = converse(phone=PHONE).press("1")
    assert call.turns[-1][0] == ClassRecordingHeard(ana, second, skipped=True)
    assert played(call.last) == [url(first)]
    call.press("1")
    assert call.state.node == "main_menu"
    assert played(converse(phone=PHONE, sid="CA2").last) == []


def test_star_plays_the_message_again(converse, world):
    _, _, [message] = classroom(world, "approved")
    call = converse(phone=PHONE).press("*")
    assert played(call.last) == [url(message)]
    assert world.heard == [] and call.state.node == "class_messages"


def test_a_pending_or_rejected_message_never_plays(converse, world):
    classroom(world, "pending", "rejected")
    call = converse(phone=PHONE)
    assert played(call.last) == [] and call.state.node == "main_menu"


def test_a_student_of_another_class_never_hears_it(converse, world):
    classroom(world, "approved")
    luis = world.add_student("+51900000302", grade=3, name="Luis")
    other = world.add_adult("teacher", "+51900000303", "Juan", pin="1357")
    world.add_class(other, "3.° C", [luis])
    call = converse(phone="+51900000302")
    assert played(call.last) == [] and call.state.node == "main_menu"


def test_without_consent_the_message_plays_and_is_recorded(converse, world):
    ana, _, [message] = classroom(world, "approved")
    assert ana not in world.consents
    converse(phone=PHONE).press("s")
    assert [h.recording_id for h in world.heard] == [message]


def test_a_student_chosen_on_a_shared_phone_hears_their_class_message(converse, world):
    ana, _, [message] = classroom(world, "approved")
    world.add_student(PHONE, grade=5, name="Luis")
    call = converse(phone=PHONE)
    assert played(call.last) == []
    call.press("1")
    assert played(call.last) == [url(message)]


def test_quechua_prompt_names_the_skip_key_in_words(converse, world):
    ana, _, _ = classroom(world, "approved")
    world.students[ana] = replace(world.students[ana], language="qu")
    call = converse(phone=PHONE)
    assert "Mana uyariyta munaspaqa, hukta ñit'iy." in call.said()
