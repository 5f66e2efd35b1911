"""A whole call whose practice questions come from the tutor's policy."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.monitoring.scrape import delta, scrape
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
    tutor = TutorService(load_settings({"YACHAY_VAR_DIR": str(live_server.var_dir)}))
    with server_db.session() as session:
        bank = question_bank(session)
        chosen = practice_round(
            session, bank, tutor.predictor(bank.info), student_id, m.utcnow(), 5
        )
        expected = [c.item_id for c in chosen]
        grades = dict(
            session.execute(
                select(m.Question.id, m.Question.grade).where(m.Question.id.in_(expected))
            ).all()
        )
    assert len(expected) == 5
    # A new third-grader practises third-grade skills, and is checked on the earlier ones
    # they rest on; no question from a later grade's lesson.
    assert 3 in grades.values() and max(grades.values()) == 3

    before = scrape(live_server.url)
    transcript = phone().call(["2", "1", "1", "1", "1", "1", "h"])
    assert transcript.ok, transcript.errors
    # The round was chosen once, and how long that took is on the decision latency panel.
    after = scrape(live_server.url)
    assert delta(before, after, "yachay_tutor_decision_seconds_count") == 1
    assert delta(before, after, "yachay_tutor_decision_seconds_bucket", le="+Inf") == 1
    stored = answers(server_db, student_id)
    assert [a.question_id for a in stored] == expected
    # Each choice was stored with the probability the tutor gave it (the prior: no model
    # is promoted on this server), joined to the answer that followed.
    [call_sid] = {a.call_sid for a in stored}
    with server_db.session() as session:
        predicted = session.execute(
            select(
                m.Prediction.question_id,
                m.Prediction.probability,
                m.Prediction.model_version,
                m.Answer.question_id,
            )
            .join(m.Answer, m.Answer.id == m.Prediction.answer_id)
            .where(m.Prediction.call_sid == call_sid)
            .order_by(m.Prediction.position)
        ).all()
    assert [p[0] for p in predicted] == expected == [p[3] for p in predicted]
    assert [p[1] for p in predicted] == pytest.approx([c.predicted for c in chosen])
    assert {p[2] for p in predicted} == {None}


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
    # A new caller: Spanish, their grade, a parent's consent, then practice straight away.
    transcript = phone().call(["1", str(grade), "1", "2", "1", "1", "1", "1", "1", "h"])
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
