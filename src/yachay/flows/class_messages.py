"""Before a student's main menu: their teacher's messages.

The newest approved recordings of the student's classes that the student has not heard
play first, at most `MAX_PER_CALL` a call, each after "Tu profesor te dejó un mensaje" and
how to skip it. A message counts as heard when it played to its end or the student skipped
it (`ClassRecordingHeard`); a call that drops during one plays it again next time. Hearing
a message is not a child's answer, so it is recorded with or without consent.
"""

from __future__ import annotations

from yachay.flows.engine import Turn
from yachay.flows.events import ClassRecordingHeard, PlayRecording
from yachay.flows.resume import Recording

#: Messages played in one call; more wait for the next call (a child called to learn).
MAX_PER_CALL = 2
SKIP_KEY = "1"


class ClassMessages:
    name = "class_messages"

    def enter(self, turn: Turn) -> None:
        assert turn.state.student_id is not None
        if "queue" not in turn.state.vars:
            messages = turn.catalog.class_messages(turn.state.student_id, MAX_PER_CALL)
            turn.state.vars["queue"] = [[m.id, m.recording_url] for m in messages]
        queue = turn.state.vars["queue"]
        if not queue:
            # The main menu, or what a call placed for this child came for (a lesson).
            turn.goto(turn.state.vars.get("then", "main_menu"))
            return
        _, url = queue[0]
        turn.say("class_message")
        turn.emit(PlayRecording(url))
        # Keys pressed while it plays stop it; a short wait after it lets a late key count.
        turn.wait_keys(turn.timing.segment)

    def on_keys(self, turn: Turn, digits: str) -> None:
        key = digits[:1]
        if key == "*":
            turn.repeat()
        else:
            # Any key stops the recording (it plays inside the keypad wait): 1 is the one
            # the prompt names, and any other skips it all the same.
            self._next(turn, skipped=True)

    def on_silence(self, turn: Turn) -> None:
        self._next(turn, skipped=False)

    def on_recording(self, turn: Turn, recording: Recording) -> None:
        self.on_silence(turn)

    def _next(self, turn: Turn, skipped: bool) -> None:
        assert turn.state.student_id is not None
        (recording_id, _), *rest = turn.state.vars["queue"]
        turn.emit(ClassRecordingHeard(turn.state.student_id, recording_id, skipped))
        turn.goto("class_messages", queue=rest, then=turn.state.vars.get("then", "main_menu"))
