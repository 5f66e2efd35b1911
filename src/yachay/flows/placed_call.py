"""A call Yachay placed for one child (the daily lesson, a review, a teacher's callback).

The call greets the child it was placed for, in the child's language, and goes on to
what it was placed for: the lesson where it stopped, the review round, or (a teacher's
callback) the main menu; the teacher's new messages play first, as on any call. On a
phone shared with siblings or a parent, whoever answered hears "si no eres Ana, marca 0"
and can say who they are instead (the shared phone's menu, `callers.WhoIsCalling`); no key
and any other key go on with the child's call. A voicemail never gets here (the voice
adapter answers it with one sentence and no name).
"""

from __future__ import annotations

from yachay.flows.callers import ask_who_is_calling, spoken
from yachay.flows.engine import Turn
from yachay.flows.events import StudentIdentified
from yachay.flows.ports import StudentView
from yachay.flows.resume import Recording

#: The key that says "I am not the child this call is for" (0, as "someone new" in the
#: shared phone's menu).
NOT_YOU_KEY = "0"
#: Where each purpose of a placed call leads once the child is there.
THEN = {"lesson": "lesson", "review": "practice", "callback": "main_menu"}


def _placed_for(turn: Turn) -> StudentView | None:
    """The child the call was placed for, while still on this phone (not deleted or moved)."""
    wanted = turn.state.placed_for
    return next((s for s in turn.catalog.students_on(turn.state.phone) if s.id == wanted), None)


def _is_shared(turn: Turn) -> bool:
    phone = turn.state.phone
    return len(turn.catalog.students_on(phone)) > 1 or bool(turn.catalog.adults_on(phone))


class PlacedCall:
    name = "placed_call"

    def enter(self, turn: Turn) -> None:
        student = _placed_for(turn)
        if student is None:
            # The child left this phone since the call was planned: ask as if they called.
            turn.state.placed_for = None
            turn.goto("start")
            return
        turn.state.language = spoken(turn, student.language)
        if student.name:
            turn.say("placed_greeting", name=student.name)
        else:
            turn.say("placed_greeting_unnamed")
        if turn.state.purpose == "review":
            turn.say("placed_review")
        if not _is_shared(turn):
            self._begin(turn)
            return
        if student.name:
            turn.say("placed_not_you", name=student.name)
        else:
            turn.say("placed_not_you_grade", grade=student.grade)
        # A short wait: the key may come while the greeting plays; silence goes on.
        turn.wait_keys(turn.timing.segment)

    def on_keys(self, turn: Turn, digits: str) -> None:
        if digits[:1] != NOT_YOU_KEY:
            self._begin(turn)
            return
        phone = turn.state.phone
        turn.state.placed_for = None
        ask_who_is_calling(turn, turn.catalog.students_on(phone), turn.catalog.adults_on(phone))

    def on_silence(self, turn: Turn) -> None:
        self._begin(turn)

    def on_recording(self, turn: Turn, recording: Recording) -> None:
        self._begin(turn)

    def _begin(self, turn: Turn) -> None:
        """The child is on the line: identified only now, so a sibling or a parent who
        pressed 0 is never counted as this child's call."""
        student_id = turn.state.placed_for
        assert student_id is not None
        turn.state.student_id = student_id
        turn.emit(StudentIdentified(student_id))
        then = THEN.get(turn.state.purpose, "main_menu")
        turn.goto("class_messages", then=then)
