"""A whole call whose practice questions come from the tutor's policy."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import TOKEN, LiveServer, start_server, stop_server
from tests.monitoring.scrape import delta, scrape
from tests.tutor.tutor_db import answer_row
from yachay.config import Settings, load_settings
from yachay.db import models as m
from yachay.db.database import Database
from yachay.phone.simulator import PhoneSimulator
from yachay.tutor.bank import QuestionBank, question_bank
from yachay.tutor.decisions import practice_round
from yachay.tutor.policy import CONFIRM, REVIEW, ItemChoice
from yachay.tutor.serving import TutorService, VersionedPredictor

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


#: A skill filter as `yachay tutor train` fits one (what it decides is checked, not its fit).
FITTED = {
    "jump": 2.0,
    "step": 1.5,
    "learn": 0.2,
    "prior_below": 1.0,
    "prior_at": -1.0,
    "prior_above": -2.0,
}


def publish_version(tutor_dir, bank, fitted) -> None:  # noqa: ANN001
    """An untrained model that knows the bank, carrying ``fitted`` as its skill filter,
    published as production (what `yachay tutor promote` writes)."""
    import torch

    from yachay.tutor.answer_log import Vocabulary
    from yachay.tutor.checkpoint import save_checkpoint
    from yachay.tutor.decider import FILTER_KEY
    from yachay.tutor.models import build_model
    from yachay.tutor.registry import Pointer, write_pointer

    ids = sorted(bank.info)
    skills = sorted({info.skill for info in bank.info.values()})
    vocab = Vocabulary(
        {q: i for i, q in enumerate(ids, start=1)},
        {s: i for i, s in enumerate(skills, start=1)},
        {q: info.skill for q, info in bank.info.items()},
    )
    torch.manual_seed(0)
    model = build_model("dkt+f", num_items=len(ids), num_skills=len(skills))
    save_checkpoint(
        tutor_dir / "models" / "v1.pt", model, metadata={**vocab.to_metadata(), FILTER_KEY: fitted}
    )
    write_pointer(tutor_dir, Pointer(1, "models/v1.pt", model_name="dkt+f"))


@dataclass
class Served:
    """A server whose production version carries `FITTED`, and a third-grader of its own."""

    server: LiveServer
    db: Database
    settings: Settings
    bank: QuestionBank
    phone_number: str
    student_id: int

    def predictor(self) -> VersionedPredictor:
        """The filter's predictor for the third-grader, as a call gets it."""
        return TutorService(self.settings).predictor(self.bank.info, self.bank.catalog, grade=3)

    def practice_round(self, **options: bool) -> list[ItemChoice]:
        with self.db.session() as session:
            return practice_round(
                session, self.bank, self.predictor(), self.student_id, m.utcnow(), 5, **options
            )

    def call_practice(self) -> list[tuple[str, float, int | None]]:
        """A practice round by phone; the questions it asked, with what was predicted."""
        # The server looks at the production pointer at most once a second (TutorService's
        # poll interval): it last looked when the server started, before the version was
        # published. Past that second, the call's first prediction loads the version.
        time.sleep(1.5)
        phone = PhoneSimulator(
            base_url=self.server.url, auth_token=TOKEN, from_number=self.phone_number
        )
        transcript = phone.call(["2", "1", "1", "1", "1", "1", "h"])
        assert transcript.ok, transcript.errors
        with self.db.session() as session:
            return [
                tuple(row)
                for row in session.execute(
                    select(
                        m.Prediction.question_id,
                        m.Prediction.probability,
                        m.Prediction.model_version,
                    )
                    .where(m.Prediction.student_id == self.student_id)
                    .order_by(m.Prediction.position)
                )
            ]

    def answered_right(self, questions: Sequence[str], at: datetime, call_sid: str) -> None:
        """A call's run of quick right answers, 30 s apart from ``at``."""
        with self.db.session() as session:
            for n, question in enumerate(questions):
                session.add(
                    answer_row(
                        self.student_id,
                        question,
                        True,
                        at + timedelta(seconds=30 * n),
                        call_sid=call_sid,
                        step=n,
                        response_ms=3000,
                    )
                )

    def questions_alone(self) -> dict[str, list[str]]:
        """Each third-grade skill's questions that practise it alone, with no story needed."""
        catalog = self.bank.catalog
        return {
            s.id: [
                i.id
                for i in catalog.items_of[s.id]
                if i.skills == (s.id,) and i.id not in self.bank.needs_story
            ]
            for s in catalog.skills
            if s.grade == 3
        }


@pytest.fixture
def served(tmp_path: Path, phone_number: str) -> Iterator[Served]:
    (tmp_path / "var").mkdir()
    server = start_server(tmp_path / "var")
    db = Database(server.database_url)
    try:
        student_id = add_student(db, phone_number, grade=3)
        settings = load_settings({"YACHAY_VAR_DIR": str(server.var_dir)})
        with db.session() as session:
            bank = question_bank(session)
        publish_version(settings.tutor_dir, bank, FITTED)
        yield Served(server, db, settings, bank, phone_number, student_id)
    finally:
        db.dispose()
        stop_server(server)


def test_the_served_versions_skill_filter_decides_a_calls_round(served):
    chosen = served.practice_round()
    # the same version's model alone would have given other probabilities
    by_model = TutorService(served.settings).predictor(served.bank.info)
    by_model = by_model.predict([], [c.item_id for c in chosen])
    assert [by_model[c.item_id] for c in chosen] != pytest.approx([c.predicted for c in chosen])

    asked = served.call_practice()
    # the call's round is the filter's: its questions, its probabilities, version 1
    assert [a[0] for a in asked] == [c.item_id for c in chosen]
    assert [a[1] for a in asked] == pytest.approx([c.predicted for c in chosen])
    assert {a[2] for a in asked} == {1}


def test_a_skill_mastered_in_yesterdays_call_is_confirmed_first_in_todays(served):
    own = served.questions_alone()
    skill = next(s for s, ids in own.items() if len(ids) >= 12)
    # Yesterday's call: a run of quick right answers on one skill, nothing before.
    served.answered_right(own[skill][:12], m.utcnow() - timedelta(days=1), "CA-yesterday")
    chosen = served.practice_round()
    assert (chosen[0].skill, chosen[0].reason) == (skill, CONFIRM)
    assert CONFIRM not in {c.reason for c in chosen[1:]}  # one a round

    # today's call asked that skill once first, as the round chosen above
    assert [a[0] for a in served.call_practice()] == [c.item_id for c in chosen]


def test_a_review_call_asks_every_due_review_a_practice_call_one_a_round(served):
    own = served.questions_alone()
    practised = [s for s, ids in own.items() if len(ids) >= 12][:3]
    # A month ago: each of three skills learned in one call, none practised since.
    month_ago = m.utcnow() - timedelta(days=30)
    for day, skill in enumerate(practised):
        served.answered_right(own[skill][:12], month_ago + timedelta(days=day), f"CA-{day}")
    review_call = served.practice_round(reviews_first=True)
    practice = served.practice_round()
    reviewed = [c.skill for c in review_call if c.reason == REVIEW]
    assert len(reviewed) >= 2 and set(reviewed) <= set(practised)
    assert [c.reason for c in practice].count(REVIEW) == 1
