"""Who is calling: a new number registers, a known one is greeted, a shared one is asked.

Everyone registered on the calling number counts: its students, a parent or guardian, a
teacher. One person goes straight to their flow; several are asked who is calling
(students 1 to 7, the teacher 8, mamá o papá 9, a new student 0).
"""

from __future__ import annotations

from collections.abc import Sequence

from yachay.content.prompts import BASE_LANGUAGE
from yachay.flows.adults import start_adult
from yachay.flows.engine import Turn
from yachay.flows.events import (
    AdultLanguageChanged,
    LanguageChanged,
    StudentIdentified,
    StudentRegistered,
)
from yachay.flows.menus import KeyMenu
from yachay.flows.ports import AdultView, StudentView
from yachay.flows.resume import Recording
from yachay.flows.weekly_call import WEEKLY

#: Menu keys in the order languages are offered (keypad map: 1 es, 2 qu, 3 ay).
LANGUAGE_KEYS = {"1": "es", "2": "qu", "3": "ay"}
GRADES = range(1, 7)
#: More students than this on one phone cannot be told apart with keys 1-8 (7 where a
#: teacher shares the phone: 8 is the teacher's key).
MAX_STUDENTS_PER_PHONE = 8
TEACHER_KEY = "8"
PARENT_KEY = "9"


def offered_languages(turn: Turn) -> dict[str, str]:
    """Menu key -> language, for the languages this server speaks (its prompts'): without
    espeak-ng, Spanish alone. The keys stay those of the keypad map."""
    return {key: code for key, code in LANGUAGE_KEYS.items() if code in turn.ctx.prompts.languages}


def spoken(turn: Turn, language: str) -> str:
    """The student's language if this server speaks it, else Spanish (the student keeps
    their choice for when it does)."""
    return language if language in turn.ctx.prompts.languages else BASE_LANGUAGE


def greet(turn: Turn, student: StudentView) -> None:
    turn.state.student_id = student.id
    turn.state.language = spoken(turn, student.language)
    turn.emit(StudentIdentified(student.id))
    if student.name:
        turn.say("welcome_back_named", name=student.name)
    else:
        turn.say("welcome_back")
    turn.goto("class_messages")  # the teacher's new messages, then the main menu


def ask_who_is_calling(
    turn: Turn, students: Sequence[StudentView], adults: Sequence[AdultView]
) -> None:
    """The shared phone's menu: each student a key, the teacher 8, mamá o papá 9."""
    parent = next((a.id for a in adults if a.role == "parent"), None)
    teacher = next((a.id for a in adults if a.role == "teacher"), None)
    room = MAX_STUDENTS_PER_PHONE - (teacher is not None)
    ids = [s.id for s in students[:room]]
    turn.goto("who_is_calling", students=ids, parent=parent, teacher=teacher)


class Start:
    name = "start"

    def enter(self, turn: Turn) -> None:
        if not turn.state.phone:
            # A withheld caller ID is shared by every caller who withholds theirs: it must
            # never find, nor create, a student whom the next such caller would become.
            for language in offered_languages(turn).values():
                turn.say("hidden_number", language)
            turn.hang_up()
            return
        if turn.state.purpose == WEEKLY:
            # The parents' weekly call, its week already said (`flows.weekly_call`).
            turn.goto("weekly_more")
            return
        if turn.state.placed_for is not None:
            # A call we placed for one child greets that child (`flows.placed_call`).
            turn.goto("placed_call")
            return
        students = list(turn.catalog.students_on(turn.state.phone))
        adults = list(turn.catalog.adults_on(turn.state.phone))
        if students:
            turn.state.language = spoken(turn, students[0].language)
        if not students and not adults:
            turn.say("welcome_new")
            turn.goto("choose_language", purpose="register")
        elif len(students) == 1 and not adults:
            greet(turn, students[0])
        elif not students and len(adults) == 1:
            start_adult(turn, adults[0])
        else:
            ask_who_is_calling(turn, students, adults)

    def on_keys(self, turn: Turn, digits: str) -> None:  # pragma: no cover - never waits
        raise AssertionError("start never waits")

    on_silence = on_keys

    def on_recording(self, turn: Turn, recording: Recording) -> None:  # pragma: no cover
        raise AssertionError("start never waits")


class WhoIsCalling(KeyMenu):
    name = "who_is_calling"

    def prompt(self, turn: Turn) -> None:
        for key, student_id in enumerate(turn.state.vars["students"], start=1):
            student = turn.catalog.student(student_id)
            if student.name:
                turn.say("who_is_calling_named", student.language, name=student.name, key=key)
            else:
                turn.say("who_is_calling_grade", student.language, grade=student.grade, key=key)
        if turn.state.vars.get("teacher") is not None:
            turn.say("who_is_calling_teacher")
        if turn.state.vars.get("parent") is not None:
            turn.say("who_is_calling_parent")
        turn.say("who_is_calling_new")

    def choose(self, turn: Turn, key: str) -> bool:
        ids = turn.state.vars["students"]
        adult = {TEACHER_KEY: "teacher", PARENT_KEY: "parent"}.get(key)
        if adult is not None and turn.state.vars.get(adult) is not None:
            start_adult(turn, turn.catalog.adult(turn.state.vars[adult]))
            return True
        if key == "0":
            if len(turn.catalog.students_on(turn.state.phone)) >= MAX_STUDENTS_PER_PHONE:
                # A 9th could never be chosen; and a robodialer could register forever.
                turn.say("registration_full")
                turn.repeat()
                return True
            turn.goto("choose_language", purpose="register")
            return True
        if key.isdigit() and 1 <= int(key) <= len(ids):
            greet(turn, turn.catalog.student(ids[int(key) - 1]))
            return True
        return False

    def fallback(self, turn: Turn) -> None:
        turn.goto("goodbye")


class ChooseLanguage(KeyMenu):
    """Offered in each language's own words; used to register, and to change a student's
    language (purpose "change") or a parent's or teacher's ("adult", back to `then`)."""

    name = "choose_language"

    def prompt(self, turn: Turn) -> None:
        for language in offered_languages(turn).values():
            turn.say("choose_language", language)

    def choose(self, turn: Turn, key: str) -> bool:
        offered = offered_languages(turn)
        if key not in offered:
            return False
        self._chosen(turn, offered[key])
        return True

    def fallback(self, turn: Turn) -> None:
        if turn.state.vars.get("purpose") == "register":
            self._chosen(turn, "es")
        else:
            turn.goto(turn.state.vars.get("then", "main_menu"))

    def _chosen(self, turn: Turn, language: str) -> None:
        turn.state.language = language
        if turn.state.vars.get("purpose") == "register":
            turn.goto("choose_grade")
            return
        if turn.state.vars.get("purpose") == "adult":
            assert turn.state.user_id is not None
            turn.emit(AdultLanguageChanged(turn.state.user_id, language))
            turn.say("language_changed")
            turn.goto(turn.state.vars["then"])
            return
        assert turn.state.student_id is not None
        turn.emit(LanguageChanged(turn.state.student_id, language))
        turn.say("language_changed")
        turn.goto("main_menu")


class ChooseGrade(KeyMenu):
    name = "choose_grade"

    def prompt(self, turn: Turn) -> None:
        turn.say("choose_grade")

    def choose(self, turn: Turn, key: str) -> bool:
        if not key.isdigit() or int(key) not in GRADES:
            return False
        grade = int(key)
        # Storage creates the student and fills in state.student_id after this turn.
        turn.emit(StudentRegistered(turn.state.phone, turn.state.language, grade))
        turn.say("registered", grade=grade)
        turn.goto("consent")
        return True

    def fallback(self, turn: Turn) -> None:
        turn.goto("goodbye")
