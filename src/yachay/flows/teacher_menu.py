"""The teacher's call, after the clave (keypad map, DESIGN.md §1): 1 class summary with the
students who need help first, 2 the next recorded question (hear it, then 1 call the
student now, 2 mark it answered, 3 skip), 3 record a lesson or announcement for a class
(held for review before students hear it), 9 change language, * repeat."""

from __future__ import annotations

from yachay.flows.adults import LANGUAGE_KEY, child_label
from yachay.flows.engine import Turn
from yachay.flows.events import (
    ClassRecordingMade,
    PlayRecording,
    StudentDialed,
    TeacherQuestionAnswered,
)
from yachay.flows.menus import KeyMenu, Menu
from yachay.flows.ports import ClassView, Texts
from yachay.flows.resume import Recording
from yachay.flows.student_menu import Passing

#: Students named in the class summary, and reasons read for each.
NEEDS_HELP_NAMED = 3
REASONS_READ = 2
#: Longest recorded lesson or announcement, in seconds.
RECORD_LESSON_MAX = 300

TEACHER_MENU = Menu(
    name="teacher_menu",
    prompt_key="teacher_menu",
    routes={
        "1": "class_summary",
        "2": "next_question",
        "3": "record_lesson",
        LANGUAGE_KEY: "change_adult_language",
    },
    on_silence_goto="goodbye",
)

REASON_PROMPTS = {
    "stuck": "need_stuck",
    "falling": "need_falling",
    "dropped_calls": "need_dropped_calls",
}


def _classes(turn: Turn) -> list[ClassView]:
    assert turn.state.user_id is not None
    return list(turn.catalog.classes_of(turn.state.user_id))


def _in_language(turn: Turn, texts: Texts | None) -> str:
    if not texts:
        return ""
    return texts.get(turn.state.language) or texts.get("es") or next(iter(texts.values()))


def _name(turn: Turn, student_id: int) -> str:
    return child_label(turn, turn.catalog.student(student_id))


class ClassSummary(Passing):
    name = "class_summary"

    def enter(self, turn: Turn) -> None:
        classes = _classes(turn)
        if not classes:
            turn.say("teacher_no_class")
            turn.goto("teacher_menu")
            return
        everyone: list[int] = []
        for school_class in classes:
            ids = list(school_class.student_ids)
            everyone += ids
            active = turn.catalog.active_this_week(ids, turn.now)
            turn.say("class_summary", name=school_class.name, students=len(ids), active=active)
        needs = turn.tutor.needs_help(everyone, turn.now, NEEDS_HELP_NAMED)
        if not needs:
            turn.say("needs_help_none")
        else:
            turn.say("needs_help_intro")
        for need in needs:
            turn.say("need_student", name=_name(turn, need.student_id))
            for reason in need.reasons[:REASONS_READ]:
                prompt = REASON_PROMPTS.get(reason.kind)
                if prompt is not None:
                    turn.say(prompt, skill=_in_language(turn, reason.skill))
        assert turn.state.user_id is not None
        asked = turn.catalog.callback_requests(turn.state.user_id)
        if asked:
            names = ", ".join(_name(turn, sid) for sid in dict.fromkeys(asked))
            turn.say("callbacks_waiting", names=names)
        turn.goto("teacher_menu")


class NextQuestion(Passing):
    name = "next_question"

    def enter(self, turn: Turn) -> None:
        assert turn.state.user_id is not None
        question = turn.catalog.next_question(turn.state.user_id, turn.state.vars.get("after", 0))
        if question is None:
            turn.say("no_questions")
            turn.goto("teacher_menu")
            return
        turn.say("question_from", name=_name(turn, question.student_id))
        turn.emit(PlayRecording(question.recording_url))
        turn.goto("question_options", question=question.id, student=question.student_id)


class QuestionOptions(KeyMenu):
    name = "question_options"

    def prompt(self, turn: Turn) -> None:
        if turn.ctx.bridged_calls:
            turn.say("question_call", name=_name(turn, turn.state.vars["student"]))
        turn.say("question_options")

    def choose(self, turn: Turn, key: str) -> bool:
        assert turn.state.user_id is not None
        question, student = turn.state.vars["question"], turn.state.vars["student"]
        if key == "1" and turn.ctx.bridged_calls:
            turn.emit(StudentDialed(question, turn.state.user_id))
            turn.say("dialing", name=_name(turn, student))
            turn.goto("bridged_call", question=question, student=student)
        elif key == "2":
            turn.emit(TeacherQuestionAnswered(question, turn.state.user_id))
            turn.say("question_answered")
            turn.goto("next_question", after=question)
        elif key == "3":
            turn.goto("next_question", after=question)
        elif key == "0":
            turn.goto("teacher_menu")
        else:
            return False
        return True

    def fallback(self, turn: Turn) -> None:
        turn.goto("teacher_menu")


class BridgedCall:
    """The teacher talks with the student; when that call ends, back to the question."""

    name = "bridged_call"

    def enter(self, turn: Turn) -> None:
        turn.dial(turn.catalog.phone_of(turn.state.vars["student"]))

    def on_silence(self, turn: Turn) -> None:
        turn.say("call_ended")
        turn.goto("question_options", **turn.state.vars)

    def on_keys(self, turn: Turn, digits: str) -> None:
        self.on_silence(turn)

    def on_recording(self, turn: Turn, recording: Recording) -> None:
        self.on_silence(turn)


class RecordLesson(Passing):
    name = "record_lesson"

    def enter(self, turn: Turn) -> None:
        classes = _classes(turn)
        if not classes:
            turn.say("teacher_no_class")
            turn.goto("teacher_menu")
        elif len(classes) == 1:
            turn.goto("record_for_class", school_class=classes[0].id)
        else:
            turn.goto("choose_class", classes=[c.id for c in classes[:9]])


class ChooseClass(KeyMenu):
    name = "choose_class"

    def prompt(self, turn: Turn) -> None:
        names = {c.id: c.name for c in _classes(turn)}
        for key, class_id in enumerate(turn.state.vars["classes"], start=1):
            turn.say("choose_class", name=names.get(class_id, ""), key=key)

    def choose(self, turn: Turn, key: str) -> bool:
        ids = turn.state.vars["classes"]
        if key.isdigit() and 1 <= int(key) <= len(ids):
            turn.goto("record_for_class", school_class=ids[int(key) - 1])
            return True
        return False

    def fallback(self, turn: Turn) -> None:
        turn.goto("teacher_menu")


class RecordForClass:
    name = "record_for_class"

    def enter(self, turn: Turn) -> None:
        turn.say("record_lesson_prompt")
        turn.wait_recording(RECORD_LESSON_MAX)

    def on_recording(self, turn: Turn, recording: Recording) -> None:
        assert turn.state.user_id is not None
        turn.emit(
            ClassRecordingMade(
                teacher_id=turn.state.user_id,
                class_id=turn.state.vars["school_class"],
                recording_url=recording.url,
                recording_sid=recording.sid,
                duration_seconds=recording.duration_seconds,
            )
        )
        turn.say("record_lesson_saved")
        turn.goto("teacher_menu")

    def on_silence(self, turn: Turn) -> None:
        turn.say("record_lesson_empty")
        turn.goto("teacher_menu")

    def on_keys(self, turn: Turn, digits: str) -> None:
        self.on_silence(turn)
