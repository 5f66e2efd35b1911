"""Turns of different calls running at the same moment on PostgreSQL, with real threads:
what one student's two calls, or Twilio's concurrent callbacks, do to the stored rows."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from tests.test_calls import PROMPTS
from yachay.calls import CallService, IncomingCall, StatusUpdate
from yachay.config import load_settings
from yachay.content.prompts import Prompts
from yachay.db import models as m
from yachay.db.database import Database
from yachay.flows.engine import Timing
from yachay.flows.events import Speak
from yachay.flows.resume import Keys
from yachay.tutor.serving import TutorService

AT = datetime(2026, 12, 2, 16, 0)
_numbers = itertools.count(1)


def said(events: Sequence[object], step: int) -> str:
    return f"{step}|" + " ".join(e.text for e in events if isinstance(e, Speak))


def at_the_same_moment(*actions: Callable[[], object]) -> list[object]:
    barrier = threading.Barrier(len(actions))

    def run(action: Callable[[], object]) -> object:
        barrier.wait()
        return action()

    with ThreadPoolExecutor(len(actions)) as pool:
        return list(pool.map(run, actions))


def student_with_two_calls(calls: CallService, db: Database, tag: str) -> tuple[str, str, int]:
    """A registered student (grade 1) whose number has two calls open at the main menu."""
    number = f"+5195{next(_numbers):07d}"
    with db.session() as session:
        student = m.Student(phone=number, grade=1, language="es")
        session.add(student)
        session.flush()
        student_id = student.id
    sids = (f"CA-{tag}-a-{number}", f"CA-{tag}-b-{number}")
    for sid in sids:
        assert "Para seguir con tu lección" in calls.incoming(IncomingCall(sid, number), said, AT)
    return sids[0], sids[1], student_id


def test_two_calls_of_one_student_pressing_at_once_both_go_on(pg: Database) -> None:
    calls = CallService(pg, Prompts.load(PROMPTS), Timing())
    for round_ in range(8):
        a, b, student_id = student_with_two_calls(calls, pg, f"lesson{round_}")
        replies = at_the_same_moment(
            lambda a=a: calls.resume(a, 1, Keys("1", AT + timedelta(seconds=3)), said),
            lambda b=b: calls.resume(b, 1, Keys("1", AT + timedelta(seconds=3)), said),
        )
        for reply in replies:
            assert reply.startswith("2|"), reply  # the key was taken, not the menu replayed
            assert "lección: Lección g1-sumar" in reply
        with pg.session() as session:
            assert [session.get(m.Call, sid).step for sid in (a, b)] == [2, 2]
            rows = session.scalar(
                select(func.count())
                .select_from(m.LessonProgress)
                .where(m.LessonProgress.student_id == student_id)
            )
            assert rows == 1


def test_answers_from_two_calls_at_once_are_all_counted(pg: Database, tmp_path: Path) -> None:
    tutor = TutorService(load_settings({"YACHAY_VAR_DIR": str(tmp_path)}))
    calls = CallService(pg, Prompts.load(PROMPTS), Timing(), tutor)
    a, b, student_id = student_with_two_calls(calls, pg, "answers")
    # Call a: my lesson, skip its one segment. Call b then resumes the lesson at its first
    # question. Both wait at question 1.
    assert "Empezamos la lección" in calls.resume(a, 1, Keys("1", AT), said)
    assert "Pregunta 1." in calls.resume(a, 2, Keys("2", AT), said)
    assert "Pregunta 1." in calls.resume(b, 1, Keys("1", AT), said)
    for step_a, step_b in ((3, 2), (4, 3), (5, 4)):
        at_the_same_moment(
            lambda s=step_a: calls.resume(a, s, Keys("2", AT), said),
            lambda s=step_b: calls.resume(b, s, Keys("2", AT), said),
        )
    with pg.session() as session:
        stored = session.scalars(select(m.Answer).where(m.Answer.student_id == student_id)).all()
        progress = session.scalar(
            select(m.LessonProgress).where(m.LessonProgress.student_id == student_id)
        )
        assert len(stored) == 6  # every press graded and stored once
        in_lesson = [x for x in stored if x.lesson_id == "g1-sumar"]
        # Each lesson answer counted once in the lesson's tally, none lost to a race.
        assert (progress.answered, progress.right) == (len(in_lesson), len(in_lesson))
        assert len(in_lesson) >= 3 and progress.completed_at is not None


def test_concurrent_status_callbacks_never_go_backwards_nor_drop_the_final_one(
    pg: Database,
) -> None:
    calls = CallService(pg, Prompts.load(PROMPTS), Timing())
    lifecycle = ["initiated", "ringing", "in-progress", "completed"]
    for round_ in range(10):
        sid = f"CA-status-{round_}-{next(_numbers)}"
        updates = [
            StatusUpdate(sid, status, seq, duration_seconds=30 if status == "completed" else None)
            for seq, status in enumerate(lifecycle)
        ]
        # The call's row does not exist yet: every callback races to create it too.
        at_the_same_moment(*[lambda u=u: calls.status(u, AT) for u in reversed(updates)])
        with pg.session() as session:
            call = session.get(m.Call, sid)
            assert (call.status, call.status_sequence) == ("completed", 3)
            assert call.ended_at is not None and call.duration_seconds == 30
            stored = session.scalars(
                select(m.CallStatusEvent.status).where(m.CallStatusEvent.call_sid == sid)
            ).all()
            assert sorted(stored) == sorted(lifecycle)
