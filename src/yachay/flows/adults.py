"""What the parent's and the teacher's calls share: starting an adult's call in their
language, the keypad PIN with its lockout, 9 to change language, and how a child is named
to an adult."""

from __future__ import annotations

from yachay.content.prompts import BASE_LANGUAGE
from yachay.flows.engine import Turn
from yachay.flows.events import AdultIdentified, PinAccepted, PinRejected
from yachay.flows.menus import SILENCE_REPEATS
from yachay.flows.ports import AdultView, StudentView
from yachay.flows.resume import Recording
from yachay.flows.student_menu import Passing

#: Wrong PINs in a row (across calls) that lock a number out; storage keeps the count.
MAX_PIN_FAILURES = 3
#: How long a locked number waits before it may try a PIN again.
LOCK_MINUTES = 15
#: A household PIN has 4 digits, a teacher's clave 4 to 8 (the console accepts 4 to 8 for
#: both): either ends with # (or the Gather's timeout), so no length is assumed.
PIN_MAX_DIGITS = 8

MENU_OF_ROLE = {"parent": "parent_menu", "teacher": "teacher_menu"}
#: The key that changes language in the parent's and the teacher's menus, as in a student's.
LANGUAGE_KEY = "9"


def start_adult(turn: Turn, adult: AdultView) -> None:
    """A parent goes to their menu (after the household PIN, where they set one); a teacher
    always gives the clave first. Both hear their own language (`users.language`), or
    Spanish while this server cannot speak it."""
    turn.state.user_id = adult.id
    language = adult.language
    turn.state.language = language if language in turn.ctx.prompts.languages else BASE_LANGUAGE
    turn.emit(AdultIdentified(adult.id, adult.role))
    turn.say("adult_welcome", name=adult.name)
    if adult.role == "teacher" and not adult.has_pin:
        turn.say("teacher_no_pin")
        turn.goto("goodbye")
    elif adult.has_pin:
        turn.goto("pin", then=MENU_OF_ROLE[adult.role], role=adult.role)
    else:
        turn.goto(MENU_OF_ROLE[adult.role])


def child_label(turn: Turn, student: StudentView) -> str:
    """A child as an adult hears it: the name, or the grade where none was given."""
    if student.name:
        return student.name
    return turn.ctx.prompts.text("student_in_grade", turn.state.language, grade=student.grade)


class PinEntry:
    """Asks for the PIN; three wrong ones in a row, in this call or earlier ones, lock the
    number out for `LOCK_MINUTES` (storage counts them: see `PinRejected`)."""

    name = "pin"

    def enter(self, turn: Turn) -> None:
        lock = turn.catalog.pin_lock(turn.state.phone)
        if lock.locked_until is not None and lock.locked_until > turn.now:
            turn.say("pin_locked")
            turn.hang_up()
            return
        turn.say("pin_household" if turn.state.vars["role"] == "parent" else "pin_clave")
        turn.wait_keys(turn.timing.menu * 2, max_digits=PIN_MAX_DIGITS)

    def on_keys(self, turn: Turn, digits: str) -> None:
        user_id = turn.state.user_id
        assert user_id is not None
        pin = digits.rstrip("#")
        if pin and turn.catalog.pin_matches(user_id, pin):
            turn.emit(PinAccepted(turn.state.phone, user_id))
            turn.goto(turn.state.vars["then"])
            return
        turn.emit(PinRejected(turn.state.phone, user_id))
        failures = turn.catalog.pin_lock(turn.state.phone).failures + 1
        if failures >= MAX_PIN_FAILURES:
            turn.say("pin_locked_now", minutes=LOCK_MINUTES)
            turn.hang_up()
            return
        turn.say("pin_wrong")
        turn.repeat()

    def on_silence(self, turn: Turn) -> None:
        if turn.state.misses < SILENCE_REPEATS:
            turn.state.misses += 1
            turn.say("no_input")
            turn.repeat()
        else:
            turn.goto("goodbye")

    def on_recording(self, turn: Turn, recording: Recording) -> None:
        self.on_silence(turn)


class ChangeAdultLanguage(Passing):
    """9 in the parent's or the teacher's menu: the language menu, then back to their menu
    (`callers.ChooseLanguage` stores the choice as `AdultLanguageChanged`)."""

    name = "change_adult_language"

    def enter(self, turn: Turn) -> None:
        assert turn.state.user_id is not None
        role = turn.catalog.adult(turn.state.user_id).role
        turn.goto("choose_language", purpose="adult", then=MENU_OF_ROLE[role])
