"""Turns run through the flows, the tutor and the real database, as the server runs them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from yachay.calls import CallService, IncomingCall
from yachay.config import load_settings
from yachay.content.loader import load_pack
from yachay.content.prompts import Prompts
from yachay.db import migrate
from yachay.db import models as m
from yachay.db.content_import import import_pack
from yachay.db.database import Database
from yachay.flows.engine import Timing
from yachay.flows.resume import Keys
from yachay.tutor.bank import question_bank
from yachay.tutor.decisions import after_lesson
from yachay.tutor.serving import TutorService

PROMPTS = Path(__file__).resolve().parents[1] / "content" / "prompts"


def _question(qid: str, difficulty: int, skill: str = "sumar") -> dict:
    return {
        "id": qid,
        "stem": {"es": f"¿Cuánto es {difficulty} más {qid[-1]}?"},
        "choices": [{"es": "uno"}, {"es": "dos"}, {"es": "tres"}],
        "answer": 2,
        "explanation": {"es": "Porque contamos."},
        "skills": [skill],
        "difficulty": difficulty,
    }


def _lesson(lesson_id: str, questions: list[dict], kind: str = "lesson") -> dict:
    return {
        "id": lesson_id,
        "title": {"es": f"Lección {lesson_id}"},
        "grade": 1,
        "kind": kind,
        "skills": ["sumar"],
        "segments": [{"text": {"es": f"Escucha con atención la parte de {lesson_id}."}}],
        "questions": questions,
    }


def write_pack(root: Path) -> Path:
    """A lesson on adding, a second one whose questions on the same skill range from easy
    to hard (what the tutor adds after the first), and a story with a question on it."""
    lessons = {
        "g1-sumar": _lesson("g1-sumar", [_question(f"g1-sumar-q{i}", 1) for i in (1, 2, 3)]),
        "g1-mas-sumas": _lesson(
            "g1-mas-sumas", [_question(f"g1-mas-sumas-q{d}", d) for d in (1, 2, 3, 4, 5)]
        ),
        "g1-cuento": _lesson(
            "g1-cuento", [_question(f"g1-cuento-q{d}", d) for d in (1, 2, 3, 4, 5)], "listening"
        ),
    }
    pack = root / "sumas"
    (pack / "lessons").mkdir(parents=True)
    for lesson_id, lesson in lessons.items():
        (pack / "lessons" / f"{lesson_id}.yaml").write_text(yaml.safe_dump(lesson))
    (pack / "pack.yaml").write_text(
        yaml.safe_dump(
            {
                "id": "sumas",
                "title": {"es": "Sumas de prueba"},
                "subject": "matematica",
                "languages": ["es"],
                "skills": [{"id": "sumar", "name": {"es": "Sumar"}, "grade": 1}],
                "units": [
                    {
                        "id": "primero",
                        "title": {"es": "Primer grado"},
                        "grade": 1,
                        "lessons": [f"lessons/{lesson_id}.yaml" for lesson_id in lessons],
                    }
                ],
            }
        )
    )
    return pack


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    url = f"sqlite:///{tmp_path / 'calls.db'}"
    migrate.upgrade(url)
    database = Database(url)
    with database.session() as session:
        import_pack(session, load_pack(write_pack(tmp_path / "packs")))
    yield database
    database.dispose()


class Phone:
    """Calls the CallService turn by turn, as the voice adapter does for each webhook."""

    def __init__(self, calls: CallService, sid: str, number: str, at: datetime) -> None:
        self.calls, self.sid, self.at, self.step = calls, sid, at, 0
        calls.incoming(IncomingCall(sid, number), self._render, at)

    def _render(self, events: object, step: int) -> str:
        self.step = step
        return f"turn {step}"

    def press(self, *keys: str) -> None:
        for key in keys:
            self.at += timedelta(seconds=4)
            self.calls.resume(self.sid, self.step, Keys(key, self.at), self._render)


def test_the_choice_after_a_lesson_sees_its_last_answer(db: Database, tmp_path: Path) -> None:
    """The last answer of a lesson is graded in the same turn that asks the tutor for the
    practice after it, before the answer is stored: the turn hands it to the tutor."""
    # No trained model: the cold-start prior, which reads the student's recent answers.
    tutor = TutorService(load_settings({"YACHAY_VAR_DIR": str(tmp_path)}))
    calls = CallService(db, Prompts.load(PROMPTS), Timing(), tutor)
    with db.session() as session:
        student = m.Student(phone="+51911000001", grade=1, language="es")
        session.add(student)
        session.flush()
        student_id = student.id

    phone = Phone(calls, "CA-last-answer", "+51911000001", datetime(2026, 12, 1, 15, 0))
    # The lesson, its segment skipped; two answers wrong, then the last one right.
    phone.press("1", "2", "1", "1", "2")

    with db.session() as session:
        state = session.get(m.Call, phone.sid).state
        asked = state["vars"]["ids"]
        assert state["node"] == "question" and state["vars"]["mode"] == "practice"
        bank = question_bank(session)
        predictor = tutor.predictor(bank.info)
        # What the tutor chooses from the whole history, now that the answer is stored ...
        whole = [
            c.item_id
            for c in after_lesson(session, bank, predictor, student_id, "g1-sumar", phone.at, 2)
        ]
        # ... and what it would have chosen without the last answer.
        last = session.scalars(
            select(m.Answer).where(m.Answer.student_id == student_id).order_by(m.Answer.id)
        ).all()[-1]
        assert (last.question_id, last.correct) == ("g1-sumar-q3", True)
        session.delete(last)
        session.flush()
        stale = [
            c.item_id
            for c in after_lesson(session, bank, predictor, student_id, "g1-sumar", phone.at, 2)
        ]
        session.rollback()
    assert asked == whole
    assert stale != whole, "the last answer must matter here, or this test proves nothing"
    # The story's questions are as close to the band, but it was never told in this call.
    assert not any(q.startswith("g1-cuento") for q in asked)


def test_a_replayed_key_is_not_applied_again_to_the_next_question(db: Database) -> None:
    """Twilio retries a request it got no answer to: the language key (step 1) arriving
    again after it was handled must not be read as the grade menu's answer."""
    calls = CallService(db, Prompts.load(PROMPTS), Timing())
    phone = Phone(calls, "CA-replay", "+51911000002", datetime(2026, 12, 1, 15, 0))
    first = calls.resume("CA-replay", 1, Keys("1", phone.at), phone._render)  # Spanish
    replayed = calls.resume("CA-replay", 1, Keys("1", phone.at), phone._render)
    assert replayed == first
    with db.session() as session:
        assert session.scalars(select(m.Student)).all() == []  # the grade is still asked
    calls.resume("CA-replay", 2, Keys("4", phone.at), phone._render)  # grade 4
    with db.session() as session:
        students = session.scalars(select(m.Student)).all()
        assert [(s.language, s.grade) for s in students] == [("es", 4)]
