"""The parent's or guardian's call (keypad map, DESIGN.md §1): 1 each child's progress,
2 the time of the daily lesson call, 3 ask the teacher to call back, 9 change language,
* repeat."""

from __future__ import annotations

from yachay.flows.adults import LANGUAGE_KEY, child_label
from yachay.flows.engine import Turn
from yachay.flows.events import CallbackRequested, DailyCallTimeSet
from yachay.flows.menus import KeyMenu, Menu
from yachay.flows.ports import StudentView, Texts
from yachay.flows.student_menu import Passing

#: Hours (Lima) a daily lesson call may ring: never during quiet hours.
CALL_HOURS = range(7, 20)

PARENT_MENU = Menu(
    name="parent_menu",
    prompt_key="parent_menu",
    routes={
        "1": "children_progress",
        "2": "call_time",
        "3": "teacher_callback",
        LANGUAGE_KEY: "change_adult_language",
    },
    on_silence_goto="goodbye",
)


def _children(turn: Turn) -> list[StudentView]:
    assert turn.state.user_id is not None
    return list(turn.catalog.children_of(turn.state.user_id))


def _in_language(turn: Turn, texts: Texts) -> str:
    return texts.get(turn.state.language) or texts.get("es") or next(iter(texts.values()))


class ChildrenProgress(Passing):
    name = "children_progress"

    def enter(self, turn: Turn) -> None:
        children = _children(turn)
        if not children:
            turn.say("parent_no_children")
        for child in children:
            label = child_label(turn, child)
            label = label[:1].upper() + label[1:]  # each of these sentences starts with it
            progress = turn.catalog.progress(child.id, turn.now)
            minutes = turn.catalog.minutes_this_week(child.id, turn.now)
            turn.say(
                "child_progress", child=label, minutes=minutes, lessons=progress.lessons_completed
            )
            report = turn.tutor.skill_report(child.id, turn.now)
            if report.strongest is None:
                turn.say("child_not_started", child=label)
                continue
            turn.say("child_strongest", skill=_in_language(turn, report.strongest))
            if report.weakest is not None:
                weakest = _in_language(turn, report.weakest)
                turn.say("child_weakest", skill=weakest)
            # How the child learns (`yachay.tutor.profile`) is written in Spanish only: a
            # Quechua or Aymara parent hears these sentences in Spanish until they have a
            # reviewed translation (none is made up here).
            for sentence in progress.profile_without_areas:
                turn.speak({"es": sentence})
            skill = report.weakest if report.weakest is not None else report.strongest
            turn.say("practise_at_home", skill=_in_language(turn, skill))
        turn.goto("parent_menu")


class CallTime(KeyMenu):
    """Four keys, the hour and the minutes: 1530 is half past three in the afternoon."""

    name = "call_time"

    def prompt(self, turn: Turn) -> None:
        turn.say("call_time_prompt", first=CALL_HOURS.start, last=CALL_HOURS.stop - 1)

    def enter(self, turn: Turn) -> None:
        self.prompt(turn)
        turn.wait_keys(turn.timing.menu * 2, max_digits=4)

    def on_keys(self, turn: Turn, digits: str) -> None:
        if digits.startswith("*"):
            turn.repeat()
            return
        if digits.startswith("0") and len(digits) == 1:
            turn.goto("parent_menu")
            return
        if not self.choose(turn, digits):
            turn.say("call_time_invalid")
            turn.repeat()

    def choose(self, turn: Turn, key: str) -> bool:
        if len(key) != 4 or not key.isdigit():
            return False
        hour, minute = int(key[:2]), int(key[2:])
        if hour not in CALL_HOURS or minute > 59:
            return False
        children = _children(turn)
        assert turn.state.user_id is not None
        turn.emit(DailyCallTimeSet(turn.state.user_id, tuple(c.id for c in children), hour, minute))
        turn.say("call_time_set", hour=hour, minute=minute)
        turn.goto("parent_menu")
        return True

    def fallback(self, turn: Turn) -> None:
        turn.goto("parent_menu")


class TeacherCallback(Passing):
    name = "teacher_callback"

    def enter(self, turn: Turn) -> None:
        children = _children(turn)
        assert turn.state.user_id is not None
        if not children:
            turn.say("parent_no_children")
        else:
            turn.emit(CallbackRequested(turn.state.user_id, tuple(c.id for c in children)))
            turn.say("callback_requested")
        turn.goto("parent_menu")
