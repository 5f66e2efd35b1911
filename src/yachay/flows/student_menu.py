"""The student's main menu and the short trips it offers besides lessons."""

from __future__ import annotations

from yachay.flows.engine import Turn
from yachay.flows.events import TeacherQuestionRecorded
from yachay.flows.lessons import PRACTICE
from yachay.flows.menus import Menu
from yachay.flows.resume import Recording

#: Questions in one practice round.
PRACTICE_ROUND = 5

MAIN_MENU = Menu(
    name="main_menu",
    prompt_key="main_menu",
    routes={
        "1": "lesson",
        "2": "practice",
        "3": "ask_teacher",
        "4": "progress",
        "9": "change_language",
    },
    on_silence_goto="goodbye",
)


class Passing:
    """A node that speaks and moves on at once, never waiting."""

    name = ""

    def on_keys(self, turn: Turn, digits: str) -> None:  # pragma: no cover - never waits
        raise AssertionError(f"{self.name} never waits")

    def on_silence(self, turn: Turn) -> None:  # pragma: no cover - never waits
        raise AssertionError(f"{self.name} never waits")

    def on_recording(self, turn: Turn, recording: Recording) -> None:  # pragma: no cover
        raise AssertionError(f"{self.name} never waits")


class ChangeLanguage(Passing):
    name = "change_language"

    def enter(self, turn: Turn) -> None:
        turn.goto("choose_language", purpose="change")


class Practice(Passing):
    name = "practice"

    def enter(self, turn: Turn) -> None:
        assert turn.state.student_id is not None
        ids = list(
            turn.tutor.practice_round(
                turn.state.student_id,
                PRACTICE_ROUND,
                turn.now,
                turn.graded,
                reviews_first=turn.state.purpose == "review",  # a review call (placed_call)
            )
        )
        if not ids:
            turn.say("practice_empty")
            turn.goto("main_menu")
            return
        turn.say("practice_start")
        turn.goto("question", mode=PRACTICE, lesson=None, ids=ids, index=0, answered=0, right=0)


class Progress(Passing):
    name = "progress"

    def enter(self, turn: Turn) -> None:
        assert turn.state.student_id is not None
        p = turn.catalog.progress(turn.state.student_id, turn.now)
        if p.answered_this_week:
            turn.say(
                "progress_summary",
                lessons=p.lessons_completed,
                answered=p.answered_this_week,
                right=p.right_this_week,
            )
        else:
            turn.say("progress_empty", lessons=p.lessons_completed)
        for sentence in p.profile:  # Spanish only so far (other languages hear Spanish)
            turn.speak({"es": sentence})
        turn.goto("main_menu")


class AskTeacher:
    name = "ask_teacher"

    def enter(self, turn: Turn) -> None:
        turn.say("ask_teacher")
        turn.wait_recording(turn.timing.record_max)

    def on_recording(self, turn: Turn, recording: Recording) -> None:
        assert turn.state.student_id is not None
        turn.emit(
            TeacherQuestionRecorded(
                student_id=turn.state.student_id,
                recording_url=recording.url,
                recording_sid=recording.sid,
                duration_seconds=recording.duration_seconds,
            )
        )
        turn.say("ask_teacher_saved")
        turn.goto("main_menu")

    def on_silence(self, turn: Turn) -> None:
        turn.say("ask_teacher_empty")
        turn.goto("main_menu")

    def on_keys(self, turn: Turn, digits: str) -> None:
        self.on_silence(turn)


class Goodbye(Passing):
    name = "goodbye"

    def enter(self, turn: Turn) -> None:
        turn.say("goodbye")
        turn.hang_up()
