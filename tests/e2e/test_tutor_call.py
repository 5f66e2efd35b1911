"""A whole call whose practice questions come from the tutor's policy."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from yachay.config import load_settings
from yachay.db import models as m
from yachay.tutor.bank import question_bank
from yachay.tutor.decisions import practice_round
from yachay.tutor.serving import TutorService

from .test_student_call import add_student, answers


def test_practice_questions_are_the_policys_choice(phone, live_server, server_db, phone_number):
    student_id = add_student(server_db, phone_number, grade=3)
    # The same policy and predictor (no trained model yet: the cold-start prior) the
    # server uses, asked before the call.
    tutor = TutorService(
        load_settings({"YACHAY_VAR_DIR": str(live_server.var_dir)}), server_db, threads=None
    )
    with server_db.session() as session:
        bank = question_bank(session)
        expected = practice_round(
            session, bank, tutor.predictor(bank.info), student_id, m.utcnow(), 5
        )
        grades = dict(
            session.execute(
                select(m.Question.id, m.Question.grade).where(m.Question.id.in_(expected))
            ).all()
        )
    assert len(expected) == 5
    # A new third-grader practises third-grade skills, and is checked on the earlier ones
    # they rest on; no question from a later grade's lesson.
    assert 3 in grades.values() and max(grades.values()) == 3

    transcript = phone().call(["2", "1", "1", "1", "1", "1", "h"])
    assert transcript.ok, transcript.errors
    assert [a.question_id for a in answers(server_db, student_id)] == expected


def test_a_call_prepares_the_tutor_so_its_first_question_reads_nothing(tmp_path, monkeypatch):
    """A student with a long history, whose state no worker has (here: a model promoted
    without reading ahead), calls: once the greeting is sent the server reads the history,
    and a worker's first scoring of it reads nothing and scores what it would have."""
    import numpy as np
    import torch

    from tests.conftest import TOKEN, start_server, stop_server
    from tests.tutor.test_shared_states import counting_reads
    from yachay.db.database import Database
    from yachay.phone.simulator import PhoneSimulator
    from yachay.tutor.checkpoint import save_checkpoint
    from yachay.tutor.db_data import Vocabulary, read_questions
    from yachay.tutor.decisions import answer_history
    from yachay.tutor.mastery import as_answers
    from yachay.tutor.models import build_model
    from yachay.tutor.registry import Pointer, write_pointer
    from yachay.tutor.serving import STATES_FILE

    server = start_server(tmp_path)
    db = Database(server.database_url)
    try:
        phone_number = "+51911100200"
        student_id = add_student(db, phone_number, grade=2)
        rng = np.random.default_rng(0)
        with db.session() as session:
            bank = read_questions(session)
            ids = sorted(bank)
            start = m.utcnow() - timedelta(days=1)
            for step in range(250):  # inside the second window (answers 100-299)
                session.add(
                    m.Answer(
                        student_id=student_id,
                        question_id=ids[rng.integers(len(ids))],
                        choice=1,
                        correct=bool(rng.integers(2)),
                        response_ms=5000,
                        call_sid="CA-earlier",
                        step=step,
                        answered_at=start + timedelta(minutes=step),
                    )
                )
        skills = sorted({info.skill for info in bank.values()})
        vocab = Vocabulary(
            {q: i for i, q in enumerate(ids, start=1)},
            {s: i for i, s in enumerate(skills, start=1)},
            {q: info.skill for q, info in bank.items()},
        )
        torch.manual_seed(0)
        model = build_model("dkt+f", num_items=len(ids), num_skills=len(skills))
        tutor_dir = server.var_dir / "tutor"
        save_checkpoint(tutor_dir / "models" / "v1.pt", model, metadata=vocab.to_metadata())
        write_pointer(tutor_dir, Pointer(1, "models/v1.pt", model_name="dkt+f"))

        phone = PhoneSimulator(base_url=server.url, auth_token=TOKEN, from_number=phone_number)
        transcript = phone.call(["h"])
        assert transcript.ok, transcript.errors
        states = tutor_dir / STATES_FILE
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not _rows(states):
            time.sleep(0.1)
        assert _rows(states) == 1, server.log()

        settings = load_settings({"YACHAY_VAR_DIR": str(server.var_dir)})
        worker = TutorService(settings, db, threads=None)
        worker.start()
        reads: list[int] = []
        counting_reads(worker._model.scorer, reads, monkeypatch)  # noqa: SLF001
        with db.read_session() as session:
            history = as_answers(answer_history(session, student_id))  # as the server reads it
        candidates = ids[:300]
        scores = worker.predict(history, candidates)
        assert reads == []
        alone = TutorService(settings, db, threads=None, share_states=False)
        assert scores == pytest.approx(alone.predict(history, candidates), abs=1e-5)
    finally:
        db.dispose()
        stop_server(server)


def _rows(path) -> int:  # noqa: ANN001
    import sqlite3

    if not path.is_file():
        return 0
    try:
        with sqlite3.connect(path) as connection:
            return connection.execute("SELECT count(*) FROM states").fetchone()[0]
    except sqlite3.OperationalError:  # the server is still creating it
        return 0


def stories_asked(db, student_id):  # noqa: ANN001, ANN201
    """The student's answered questions that belong to a listening lesson (a story's)."""
    with db.session() as session:
        return session.scalars(
            select(m.Answer.question_id)
            .join(m.Question, m.Question.id == m.Answer.question_id)
            .join(m.Lesson, m.Lesson.id == m.Question.lesson_id)
            .where(m.Answer.student_id == student_id, m.Lesson.kind == "listening")
        ).all()


@pytest.mark.parametrize("grade", [5, 2])
def test_practice_never_asks_about_a_story_the_caller_did_not_hear(
    phone, server_db, phone_number, grade
):
    # A new caller: Spanish, their grade, then practice straight away.
    transcript = phone().call(["1", str(grade), "2", "1", "1", "1", "1", "1", "h"])
    assert transcript.ok, transcript.errors
    assert "¡Vamos a practicar!" in transcript.spoken_text()
    assert "Terminaste la práctica." in transcript.spoken_text()
    with server_db.session() as session:
        student_id = session.scalar(select(m.Student.id).where(m.Student.phone == phone_number))
        has_stories = session.scalar(
            select(m.Lesson.id).where(m.Lesson.kind == "listening", m.Lesson.grade == grade)
        )
    assert has_stories, f"grade {grade} has a story: the test would prove nothing"
    stored = answers(server_db, student_id)
    assert len(stored) == 5
    assert stories_asked(server_db, student_id) == []
