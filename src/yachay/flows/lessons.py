"""Lessons as segments the caller can steer, and questions answered on the keypad."""

from __future__ import annotations

from datetime import datetime

from yachay.content.prompts import BASE_LANGUAGE
from yachay.flows.engine import Turn
from yachay.flows.events import AnswerGraded, LessonCompleted, LessonPositionReached
from yachay.flows.menus import KeyMenu
from yachay.flows.ports import Texts
from yachay.flows.resume import Recording

LESSON = "lesson"
PRACTICE = "practice"
#: A lesson kind: the segments are a story.
LISTENING = "listening"
#: Practice questions the tutor adds after a lesson, on what it taught.
AFTER_LESSON = 2


def _student(turn: Turn) -> int:
    if turn.state.student_id is None:
        raise RuntimeError("a lesson needs an identified student")
    return turn.state.student_id


class StartLesson:
    """Main menu key 1: the unfinished lesson where it stopped, or the next one."""

    name = "lesson"

    def enter(self, turn: Turn) -> None:
        position = turn.catalog.current_lesson(_student(turn))
        if position is None:
            turn.say("all_lessons_done")
            turn.goto("main_menu")
            return
        lesson = turn.catalog.lesson(position.lesson_id)
        started = position.segment > 0 or position.question > 0
        if not turn.has_text(lesson.title):
            turn.say("lesson_not_in_language")
        # A lesson not yet translated is introduced in its own language, not a mix of two.
        prompt = "lesson_resume" if started else "lesson_start"
        language = _language(turn, lesson.title)
        turn.say(prompt, language, title=lesson.title[language])
        score = {"answered": position.answered, "right": position.right}
        if position.segment < len(lesson.segments):
            turn.say("lesson_controls")
            turn.goto("segment", lesson=lesson.id, index=position.segment, **score)
        else:
            start_questions(turn, lesson.id, position.question, **score)

    def on_keys(self, turn: Turn, digits: str) -> None:  # pragma: no cover - never waits
        raise AssertionError("lesson never waits")

    on_silence = on_keys

    def on_recording(self, turn: Turn, recording: Recording) -> None:  # pragma: no cover
        raise AssertionError("lesson never waits")


def _language(turn: Turn, texts: Texts) -> str:
    """The caller's language if the content has it, else Spanish."""
    return turn.state.language if turn.state.language in texts else BASE_LANGUAGE


def start_questions(turn: Turn, lesson_id: str, index: int, answered: int, right: int) -> None:
    lesson = turn.catalog.lesson(lesson_id)
    if index >= len(lesson.question_ids):
        finish(turn, LESSON, lesson_id, answered, right)
        return
    if index == 0:
        turn.say("questions_start")
    turn.goto(
        "question",
        mode=LESSON,
        lesson=lesson_id,
        ids=list(lesson.question_ids),
        index=index,
        answered=answered,
        right=right,
    )


def finish(turn: Turn, mode: str, lesson_id: str | None, answered: int, right: int) -> None:
    if mode == LESSON:
        assert lesson_id is not None
        turn.emit(LessonCompleted(_student(turn), lesson_id))
        turn.say("lesson_done", right=right, total=answered)
        more = list(
            turn.tutor.after_lesson(_student(turn), lesson_id, AFTER_LESSON, turn.now, turn.graded)
        )
        if more:
            turn.say("after_lesson_practice")
            turn.goto(
                "question", mode=PRACTICE, lesson=None, ids=more, index=0, answered=0, right=0
            )
            return
    else:
        turn.say("practice_done", right=right, total=answered)
    turn.goto("main_menu")


class Segment:
    """One part of a lesson. Silence lets the lesson go on; it is not a missed answer."""

    name = "segment"

    def enter(self, turn: Turn) -> None:
        v = turn.state.vars
        lesson = turn.catalog.lesson(v["lesson"])
        turn.emit(LessonPositionReached(_student(turn), lesson.id, v["index"], 0))
        segment = lesson.segments[v["index"]]
        turn.speak(segment.text, segment.audio, slow=lesson.kind == LISTENING)
        turn.wait_keys(turn.timing.segment)

    def on_keys(self, turn: Turn, digits: str) -> None:
        key = digits[:1]
        if key in ("1", "*"):
            turn.repeat()
        elif key == "2":
            self._next(turn)
        elif key == "0":
            turn.goto("main_menu")
        else:
            turn.say("invalid_key")
            turn.repeat()

    def on_silence(self, turn: Turn) -> None:
        self._next(turn)

    def on_recording(self, turn: Turn, recording: Recording) -> None:
        self._next(turn)

    def _next(self, turn: Turn) -> None:
        v = dict(turn.state.vars)
        lesson = turn.catalog.lesson(v["lesson"])
        if v["index"] + 1 < len(lesson.segments):
            v["index"] += 1
            turn.goto("segment", **v)
        elif lesson.kind == LISTENING and lesson.question_ids:
            turn.goto("story_again", lesson=lesson.id, answered=v["answered"], right=v["right"])
        else:
            start_questions(turn, lesson.id, 0, v["answered"], v["right"])


class StoryAgain(KeyMenu):
    """After a story: hear it again, or go on to its questions (silence goes on too)."""

    name = "story_again"

    def prompt(self, turn: Turn) -> None:
        turn.say("story_again")

    def choose(self, turn: Turn, key: str) -> bool:
        v = turn.state.vars
        if key == "1":
            turn.goto(
                "segment", lesson=v["lesson"], index=0, answered=v["answered"], right=v["right"]
            )
        elif key == "2":
            self.fallback(turn)
        elif key == "0":
            turn.goto("main_menu")
        else:
            return False
        return True

    def on_silence(self, turn: Turn) -> None:
        self.fallback(turn)

    def fallback(self, turn: Turn) -> None:
        v = turn.state.vars
        start_questions(turn, v["lesson"], 0, v["answered"], v["right"])


class Question(KeyMenu):
    """A multiple-choice question, in a lesson or in practice."""

    name = "question"

    def timeout(self, turn: Turn) -> int:
        return turn.timing.question

    def prompt(self, turn: Turn) -> None:
        v = turn.state.vars
        if v["mode"] == LESSON:
            lesson = turn.catalog.lesson(v["lesson"])
            turn.emit(
                LessonPositionReached(_student(turn), lesson.id, len(lesson.segments), v["index"])
            )
        question = turn.catalog.question(v["ids"][v["index"]])
        turn.say("question_number", number=v["index"] + 1)
        turn.speak(question.stem)
        language = _language(turn, question.stem)
        for key, choice in enumerate(question.choices, start=1):
            turn.say("choice", language, key=key, text=choice[language])
        turn.state.vars["asked_at"] = turn.now.isoformat()
        # everything said this turn is heard before the last choice ends
        turn.state.vars["heard_ms"] = round(turn.heard_seconds() * 1000)

    def choose(self, turn: Turn, key: str) -> bool:
        v = dict(turn.state.vars)
        if key == "0":
            turn.goto("main_menu")
            return True
        question = turn.catalog.question(v["ids"][v["index"]])
        if not key.isdigit() or not 1 <= int(key) <= len(question.choices):
            return False
        choice = int(key)
        correct = choice == question.answer
        asked_at = datetime.fromisoformat(v["asked_at"]) if v.get("asked_at") else None
        raw_ms = int((turn.now - asked_at).total_seconds() * 1000) if asked_at else None
        response_ms = None if raw_ms is None else max(0, raw_ms - int(v.get("heard_ms", 0)))
        turn.emit(
            AnswerGraded(
                student_id=_student(turn),
                question_id=question.id,
                choice=choice,
                correct=correct,
                response_ms=response_ms,
                lesson_id=v["lesson"] if v["mode"] == LESSON else None,
                raw_response_ms=raw_ms,
            )
        )
        if correct:
            turn.say("answer_right")
        else:
            right_choice = question.choices[question.answer - 1]
            language = _language(turn, question.stem)
            turn.say("answer_wrong", language, key=question.answer, text=right_choice[language])
            turn.speak(question.explanation)
        answered, right = v["answered"] + 1, v["right"] + int(correct)
        if v["index"] + 1 < len(v["ids"]):
            v.update(index=v["index"] + 1, answered=answered, right=right)
            v.pop("asked_at", None)
            v.pop("heard_ms", None)
            turn.goto("question", **v)
        else:
            finish(turn, v["mode"], v.get("lesson"), answered, right)
        return True

    def fallback(self, turn: Turn) -> None:
        # The position is saved: "continue my lesson" comes back to this question.
        turn.goto("main_menu")
