"""Parents and teachers on the one call: who is calling, PINs and lockout, their menus;
and a parent's consent on a new student's first call."""

from __future__ import annotations

import pytest

from yachay.flows.events import (
    AdultIdentified,
    DialNumber,
    GatherKeys,
    Hangup,
    PlayRecording,
    RecordVoice,
)
from yachay.flows.ports import NeedReason, SkillReport, StudentNeedView

#: The real catalog and recorder run these flows in tests/e2e/test_adult_calls.py.
pytestmark = pytest.mark.memory_world

HOME = "+51900000100"
TEACHER_PHONE = "+51900000200"


def household(world):  # noqa: ANN001, ANN201
    ana = world.add_student(HOME, grade=2, name="Ana")
    luis = world.add_student(HOME, grade=5, name="Luis")
    parent = world.add_adult("parent", HOME, "Rosa", children=(ana, luis))
    return ana, luis, parent


def test_shared_phone_offers_mamá_o_papá_on_9(converse, world):
    ana, luis, parent = household(world)
    call = converse(phone=HOME)
    assert "Si eres Ana, marca 1. Si eres Luis, marca 2. Si eres mamá o papá, marca 9." in (
        call.said()
    )
    call.press("9")
    assert AdultIdentified(parent, "parent") in call.last
    assert call.state.node == "parent_menu" and call.state.user_id == parent
    assert call.state.student_id is None


def test_children_can_still_pick_themselves_on_a_parents_phone(converse, world):
    ana, luis, parent = household(world)
    call = converse(phone=HOME).press("1")
    assert call.state.student_id == ana and call.state.node == "main_menu"


def test_parent_hears_each_childs_progress_in_plain_words(converse, world):
    ana, luis, parent = household(world)
    world.minutes[ana] = 25
    world.reports[ana] = SkillReport({"es": "sumar hasta 20"}, {"es": "restar llevando"})
    call = converse(phone=HOME).press("9", "1")
    said = call.said()
    assert "Ana, esta semana: minutos por teléfono, 25; lecciones terminadas, 0." in said
    assert "Lo que mejor sabe: sumar hasta 20. Lo que más le cuesta: restar llevando." in said
    assert "Para practicar en casa: pídele que te explique restar llevando" in said
    assert "Luis todavía no respondió preguntas." in said
    assert call.state.node == "parent_menu"


def test_a_child_registered_without_a_name_is_named_by_grade(converse, world):
    child = world.add_student("+51900000077", grade=3)
    world.add_adult("parent", HOME, "Rosa", children=(child,))
    world.minutes[child] = 4
    world.reports[child] = SkillReport({"es": "las horas"}, None)
    said = converse(phone=HOME).press("1").said()
    assert "La niña o el niño de 3.° grado, esta semana: minutos por teléfono, 4;" in said


def test_household_pin_and_the_daily_call_time(converse, world):
    ana = world.add_student(HOME, grade=2, name="Ana")
    parent = world.add_adult("parent", "+51900000101", "Rosa", pin="4321", children=(ana,))
    call = converse(phone="+51900000101")
    assert "clave de tu familia" in call.said() and call.wait == GatherKeys(12, 8)
    call.press("4321", "2")
    assert call.wait == GatherKeys(12, 4)
    call.press("2530")
    assert "Esa hora no es válida." in call.said()
    call.press("1545")
    assert world.call_times == {ana: (15, 45)}
    assert "a las 15 horas con 45 minutos" in call.said()
    assert call.state.node == "parent_menu" and call.state.user_id == parent


def test_parent_asks_the_teacher_to_call_back(converse, world):
    ana, luis, parent = household(world)
    call = converse(phone=HOME).press("9", "3")
    assert world.callbacks == [(parent, ana), (parent, luis)]
    assert "Le avisamos al profesor" in call.said()


def test_three_wrong_pins_lock_the_number_even_across_calls(converse, world):
    world.add_adult("teacher", TEACHER_PHONE, "Marta", pin="2468")
    call = converse(phone=TEACHER_PHONE, sid="CA1")
    assert "Marca tu clave" in call.said() and call.wait == GatherKeys(12, 8)
    call.press("1111")
    assert "Esa clave no es correcta." in call.said()
    call.press("s", "s", "s")  # hangs up after silences: one wrong PIN so far
    assert call.hung_up
    again = converse(phone=TEACHER_PHONE, sid="CA2").press("2222", "3333")
    assert "bloqueado por 15 minutos" in again.said() and again.hung_up
    third = converse(phone=TEACHER_PHONE, sid="CA3")
    assert "está bloqueado" in third.said() and third.hung_up
    assert not any(isinstance(e, GatherKeys) for e in third.last)


def test_a_right_pin_resets_the_count(converse, world):
    world.add_adult("teacher", TEACHER_PHONE, "Marta", pin="2468")
    converse(phone=TEACHER_PHONE, sid="CA1").press("1111", "2468")
    assert world.pin_lock(TEACHER_PHONE).failures == 0


def test_teacher_without_a_clave_is_told_where_to_get_one(converse, world):
    world.add_adult("teacher", TEACHER_PHONE, "Marta")
    call = converse(phone=TEACHER_PHONE)
    assert "Todavía no tienes una clave" in call.said() and call.hung_up


def teacher_with_class(world):  # noqa: ANN001, ANN201
    ana = world.add_student("+51900000301", grade=3, name="Ana")
    luis = world.add_student("+51900000302", grade=3, name="Luis")
    teacher = world.add_adult("teacher", TEACHER_PHONE, "Marta", pin="2468")
    world.add_class(teacher, "3.° A", [ana, luis])
    return ana, luis, teacher


def test_class_summary_names_who_needs_help_first_with_reasons(converse, world):
    ana, luis, teacher = teacher_with_class(world)
    world.minutes[ana] = 10
    world.needs = [
        StudentNeedView(luis, [NeedReason("stuck", {"es": "Fracciones"})]),
        StudentNeedView(ana, [NeedReason("dropped_calls")]),
    ]
    world.callbacks.append((999, ana))
    call = converse(phone=TEACHER_PHONE).press("2468", "1")
    said = call.said()
    assert "3.° A: 2 estudiantes; 1 llamaron esta semana." in said
    assert said.index("Luis.") < said.index("Ana.")
    assert "Respondió muchas preguntas de Fracciones sin llegar a dominarlas." in said
    assert "Varias de sus llamadas se cortaron" in said
    assert "Familias que piden que las llames: Ana." in said


def test_next_question_plays_it_then_calls_the_student(converse, world):
    ana, luis, teacher = teacher_with_class(world)
    first = world.add_question(luis)
    second = world.add_question(ana)
    call = converse(phone=TEACHER_PHONE).press("2468", "2")
    assert "Pregunta de Luis:" in call.said()
    assert PlayRecording(f"https://api.twilio.com/rec/RE{first}") in call.last
    assert "Para llamar ahora a Luis, marca 1." in call.said()
    call.press("1")
    assert call.wait == DialNumber("+51900000302")
    assert world.dialed == [first]
    call.press("s")  # the bridged call ended
    assert "La llamada terminó." in call.said() and call.state.node == "question_options"
    call.press("2")
    assert world.question_status[first] == "answered"
    assert "Pregunta de Ana:" in call.said()
    call.press("3")
    assert world.question_status[second] == "new"
    assert "No tienes preguntas nuevas." in call.said()


def test_record_a_lesson_for_the_class(converse, world):
    ana, luis, teacher = teacher_with_class(world)
    call = converse(phone=TEACHER_PHONE).press("2468", "3")
    assert isinstance(call.wait, RecordVoice) and call.wait.max_seconds == 300
    call.press("r40")
    [recording] = world.class_recordings
    assert (recording.teacher_id, recording.duration_seconds) == (teacher, 40)
    assert "espera la revisión" in call.said()


def test_consent_declined_or_silent_still_teaches(converse, world):
    call = converse().press("1", "3", "2")
    assert "no guarda sus respuestas" in call.said() and call.state.node == "main_menu"
    assert world.consents == set()
    silent = converse(phone="+51900000999", sid="CA9").press("1", "3", "s", "s", "s")
    assert silent.state.node == "main_menu" and world.consents == set()


def test_parent_in_quechua_hears_quechua(converse, world):
    ana = world.add_student(HOME, grade=2, language="qu", name="Ana")
    world.add_adult("parent", HOME, "Rosa", children=(ana,), language="qu")
    call = converse(phone=HOME).press("9")
    assert "isqunta ñit'iy" in call.said(0)
    assert "Wawaykikunap" in call.said() and not isinstance(call.wait, Hangup)


def test_a_parent_hears_their_own_language_not_the_childs(converse, world):
    ana = world.add_student(HOME, grade=2, language="qu", name="Ana")
    world.add_adult("parent", "+51900000102", "Rosa", children=(ana,), language="ay")
    call = converse(phone="+51900000102")
    assert call.state.language == "ay" and "Kamisaki, Rosa" in call.said()


def test_a_teacher_sharing_a_phone_with_a_child_is_8(converse, world):
    ana = world.add_student(HOME, grade=2, name="Ana")
    teacher = world.add_adult("teacher", HOME, "Marta", pin="2468")
    call = converse(phone=HOME)
    assert "Si eres Ana, marca 1. Si eres profesora o profesor, marca 8." in call.said()
    assert "mamá o papá" not in call.said()
    call.press("9")
    assert "Esa tecla no es válida." in call.said()  # no parent on this phone
    call.press("8", "2468#")
    assert call.state.user_id == teacher and call.state.node == "teacher_menu"
    assert call.state.student_id is None and ana


def test_without_the_schools_number_a_teacher_is_not_offered_the_call(converse, world, prompts):
    from yachay.flows.engine import FlowContext

    ana, luis, teacher = teacher_with_class(world)
    world.add_question(ana)
    call = converse(phone=TEACHER_PHONE)
    call.ctx = FlowContext(world, call.tutor, prompts, call.ctx.timing, bridged_calls=False)
    call.press("2468", "2")
    assert "Pregunta de Ana:" in call.said() and "Para llamar ahora" not in call.said()
    call.press("1")
    assert "Esa tecla no es válida." in call.said() and not world.dialed
