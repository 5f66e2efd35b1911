"""A whole call whose practice questions come from the tutor's policy."""

from __future__ import annotations

from sqlalchemy import select

from yachay.config import load_settings
from yachay.db import models as m
from yachay.db.tutor_data import practice_round
from yachay.tutor.serving import TutorService

from .test_student_call import add_student, answers


def test_practice_questions_are_the_policys_choice(phone, live_server, server_db, phone_number):
    student_id = add_student(server_db, phone_number, grade=3)
    # The same policy and predictor (no trained model yet: the cold-start prior) the
    # server uses, asked before the call.
    tutor = TutorService(load_settings({"YACHAY_VAR_DIR": str(live_server.var_dir)}))
    with server_db.session() as session:
        student = session.get(m.Student, student_id)
        expected = practice_round(session, student, tutor, m.utcnow(), 5)
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
