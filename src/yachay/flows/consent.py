"""A parent's consent by keypad on a new student's first call (Peru's Ley 29733).

A short notice in the caller's language says what is kept, why, and how to delete it; 1
agrees. Without consent the call teaches all the same, and storage forgets the child's
answers and recordings when the call ends (`yachay.calls.service.CallService.status`).
"""

from __future__ import annotations

from yachay.flows.engine import Turn
from yachay.flows.events import ConsentGiven
from yachay.flows.menus import KeyMenu


class AskConsent(KeyMenu):
    name = "consent"

    def prompt(self, turn: Turn) -> None:
        turn.say("consent_notice")

    def timeout(self, turn: Turn) -> int:
        return turn.timing.menu * 2  # a parent may need to come to the phone

    def choose(self, turn: Turn, key: str) -> bool:
        if key == "1":
            assert turn.state.student_id is not None
            turn.emit(ConsentGiven(turn.state.student_id))
            turn.say("consent_given")
        elif key == "2":
            turn.say("consent_declined")
        else:
            return False
        turn.goto("main_menu")
        return True

    def fallback(self, turn: Turn) -> None:
        turn.say("consent_declined")
        turn.goto("main_menu")
