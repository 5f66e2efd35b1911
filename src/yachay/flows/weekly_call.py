"""The end of the parents' weekly progress call: more, by keypad, for a parent on this phone.

The voice adapter says the week first (`yachay.outreach.messages.weekly_progress`, read
from the database as the call is answered), then this flow takes over: a parent registered
on the phone that was rung hears "para saber más..., marca 1", and 1 leads into their own
menu, as if they had called (the household PIN first, where they set one): each child's
strongest and weakest skills and how they learn, the time of the daily call, a callback
from the teacher. Silence or any other key: the goodbye, and the call ends. Without a
parent on this phone (the children's mother has her own number) there is no menu to offer
here: the goodbye.
"""

from __future__ import annotations

from yachay.flows.adults import start_adult
from yachay.flows.engine import Turn
from yachay.flows.ports import AdultView
from yachay.flows.resume import Recording

#: `CallState.purpose` of the weekly call once the week was said.
WEEKLY = "weekly"
MORE_KEY = "1"


def _parent(turn: Turn) -> AdultView | None:
    return next((a for a in turn.catalog.adults_on(turn.state.phone) if a.role == "parent"), None)


class WeeklyMore:
    name = "weekly_more"

    def enter(self, turn: Turn) -> None:
        parent = _parent(turn)
        if parent is None:
            self._goodbye(turn)
            return
        if parent.language in turn.ctx.prompts.languages:  # the week was said in it too
            turn.state.language = parent.language
        turn.say("weekly_more")
        turn.wait_keys(turn.timing.menu)

    def on_keys(self, turn: Turn, digits: str) -> None:
        parent = _parent(turn)
        if digits[:1] == MORE_KEY and parent is not None:
            start_adult(turn, parent)
        else:
            self._goodbye(turn)

    def on_silence(self, turn: Turn) -> None:
        self._goodbye(turn)

    def on_recording(self, turn: Turn, recording: Recording) -> None:
        self._goodbye(turn)

    def _goodbye(self, turn: Turn) -> None:
        turn.say("weekly_goodbye")
        turn.hang_up()
