"""Live model quality: the tutor's predictions in real calls (CallService over a real SQLite
database, a registered and promoted model in a real MLflow store), joined to the answers,
scored per model version."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from tests.test_calls import PROMPTS, Phone, write_pack
from tests.tutor.tutor_db import fake_version
from yachay.app import create_app
from yachay.calls import CallService
from yachay.config import Settings
from yachay.content.loader import load_pack
from yachay.content.prompts import Prompts
from yachay.db import migrate
from yachay.db import models as m
from yachay.db.content_import import import_pack
from yachay.db.database import Database
from yachay.db.predictions import NewPrediction, link_answer, store_predictions
from yachay.flows.engine import Timing
from yachay.tutor import model_quality
from yachay.tutor.answer_log import Vocabulary
from yachay.tutor.bank import question_bank
from yachay.tutor.live_quality import PUBLISHED, live_quality
from yachay.tutor.quality_cli import quality
from yachay.tutor.registry import Registry
from yachay.tutor.serving import TutorService

#: The questions the registered model was trained on; the pack's others are new to it.
KNOWN = ("g1-sumar-q1", "g1-sumar-q2", "g1-sumar-q3", "g1-mas-sumas-q1")
START = datetime(2026, 12, 1, 15, 0)


@pytest.fixture
def database(tmp_path: Path, var_dir: Path) -> Iterator[tuple[str, Database]]:
    url = f"sqlite:///{var_dir / 'yachay.db'}"
    migrate.upgrade(url)
    db = Database(url)
    with db.session() as session:
        import_pack(session, load_pack(write_pack(tmp_path / "packs")))
    yield url, db
    db.dispose()


def add_student(db: Database, phone: str) -> int:
    with db.session() as session:
        student = m.Student(phone=phone, grade=1, language="es")
        session.add(student)
        session.flush()
        return student.id


def promote_model(var_dir: Path, tmp_path: Path) -> int:
    settings = Settings(var_dir=var_dir)
    registry = Registry(settings)
    vocab = Vocabulary(
        {q: i for i, q in enumerate(KNOWN, start=1)}, {"sumar": 1}, dict.fromkeys(KNOWN, "sumar")
    )
    version = fake_version(
        registry, settings, 3, tmp_path, metadata=vocab.to_metadata() | {"fingerprint": "f" * 64}
    )
    registry.promote(version)
    return version


def predictions(db: Database, call_sid: str) -> list[m.Prediction]:
    with db.session() as session:
        rows = session.scalars(
            select(m.Prediction).where(m.Prediction.call_sid == call_sid).order_by(m.Prediction.id)
        ).all()
        session.expunge_all()
        return list(rows)


def test_each_question_the_tutor_chose_is_stored_with_its_probability_version_and_answer(
    database: tuple[str, Database], var_dir: Path, tmp_path: Path
) -> None:
    url, db = database
    version = promote_model(var_dir, tmp_path)
    service = TutorService(Settings(var_dir=var_dir))
    calls = CallService(db, Prompts.load(PROMPTS), Timing(), service)
    add_student(db, "+51911000010")

    phone = Phone(calls, "CA-live-1", "+51911000010", START)
    phone.press("2")  # practice: the tutor chooses five questions
    rows = predictions(db, "CA-live-1")
    assert [r.position for r in rows] == [0, 1, 2, 3, 4]
    assert all(r.answer_id is None for r in rows), "nothing answered yet"
    # The model scored the questions it knows; the prior those new to it.
    assert {r.model_version for r in rows} == {version, None}
    for r in rows:
        assert r.model_version == (version if r.question_id in KNOWN else None)
    # The first question's probability is what the service predicts with no history.
    with db.session() as session:
        info = question_bank(session).info
    first = rows[0]
    expected, versions = service.predict_with_versions([], [first.question_id], info)
    assert first.probability == pytest.approx(expected[first.question_id], abs=1e-6)
    assert versions[first.question_id] == first.model_version

    phone.press("2", "1", "2", "2", "1")  # "2" is the right choice in this pack
    rows = predictions(db, "CA-live-1")
    with db.session() as session:
        answers = session.execute(
            select(m.Answer.id, m.Answer.question_id, m.Answer.correct)
            .where(m.Answer.call_sid == "CA-live-1")
            .order_by(m.Answer.id)
        ).all()
    assert [a.question_id for a in answers] == [r.question_id for r in rows]
    assert [a.id for a in answers] == [r.answer_id for r in rows]
    assert [a.correct for a in answers] == [True, False, True, True, False]

    # Per version, over the last week.
    with db.session() as session:
        report = live_quality(session, days=7, now=phone.at + timedelta(minutes=1))
    assert [r.version for r in report] == [version, None]
    assert sum(r.answers for r in report) == 5
    for r in report:
        mine = [
            a.correct for a, p in zip(answers, rows, strict=True) if p.model_version == r.version
        ]
        probs = [p.probability for p in rows if p.model_version == r.version]
        assert r.answers == len(mine)
        assert r.ece == pytest.approx(model_quality.ece(mine, probs))
        assert r.correct_rate == pytest.approx(np.mean(mine))
    # A window that ends before the call sees nothing.
    with db.session() as session:
        assert live_quality(session, days=7, now=START - timedelta(minutes=1)) == []

    app = create_app({"var_dir": var_dir, "database_url": url})
    result = app.test_cli_runner().invoke(quality, ["--days", "36500", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert [v["model"] for v in out["versions"]] == [f"v{version}", "prior"]
    assert sum(v["answers"] for v in out["versions"]) == 5
    assert out["published"]["assist2009"]["auc"] == PUBLISHED["assist2009"].auc
    table = app.test_cli_runner().invoke(quality, ["--days", "36500"])
    assert table.exit_code == 0, table.output
    assert f"v{version}" in table.output and "assist2009" in table.output


def test_live_auc_and_ece_are_those_of_the_answered_predictions_in_the_window(
    database: tuple[str, Database],
) -> None:
    _, db = database
    student_id = add_student(db, "+51911000011")
    rng = np.random.default_rng(0)
    questions = ["g1-mas-sumas-q1", "g1-mas-sumas-q2", "g1-mas-sumas-q3"]
    expected_y, expected_p = [], []
    with db.session() as session:
        for call in range(40):
            sid = f"CA-window-{call}"
            at = START - timedelta(days=10) + timedelta(hours=6 * call)
            probs = rng.uniform(0.2, 0.9, len(questions))
            store_predictions(
                session,
                sid,
                student_id,
                [NewPrediction(q, p, 2) for q, p in zip(questions, probs, strict=True)],
                at,
            )
            for step, (q, p) in enumerate(zip(questions, probs, strict=True)):
                if step == 2 and call % 2:
                    continue  # hung up before the last one: a prediction with no answer
                correct = bool(rng.random() < p)
                answer = m.Answer(
                    student_id=student_id,
                    question_id=q,
                    choice=2 if correct else 1,
                    correct=correct,
                    response_ms=3000,
                    call_sid=sid,
                    step=step,
                    answered_at=at + timedelta(minutes=step),
                )
                session.add(answer)
                session.flush()
                assert link_answer(session, answer)
                if answer.answered_at >= START - timedelta(days=7):
                    expected_y.append(correct)
                    expected_p.append(p)
        # a lesson's own question was not chosen by the tutor: nothing to join
        lesson_answer = m.Answer(
            student_id=student_id,
            question_id="g1-sumar-q1",
            choice=2,
            correct=True,
            response_ms=2000,
            call_sid="CA-window-0",
            step=99,
            answered_at=START - timedelta(hours=1),
        )
        session.add(lesson_answer)
        session.flush()
        assert not link_answer(session, lesson_answer)

    with db.session() as session:
        [row] = live_quality(session, days=7, now=START)
    assert row.version == 2 and row.answers == len(expected_y) > 20
    assert row.auc == pytest.approx(model_quality.auc(expected_y, expected_p))
    assert row.ece == pytest.approx(model_quality.ece(expected_y, expected_p))
    assert row.mean_predicted == pytest.approx(np.mean(expected_p))


def test_an_answer_joins_the_newest_prediction_of_its_question_in_its_call(
    database: tuple[str, Database],
) -> None:
    """A question chosen in a round the caller left, then chosen again and answered,
    was answered on the second prediction."""
    _, db = database
    student_id = add_student(db, "+51911000012")
    with db.session() as session:
        q = "g1-mas-sumas-q2"
        store_predictions(session, "CA-again", student_id, [NewPrediction(q, 0.3, None)], START)
        later = START + timedelta(minutes=2)
        store_predictions(session, "CA-again", student_id, [NewPrediction(q, 0.7, None)], later)
        answer = m.Answer(
            student_id=student_id,
            question_id=q,
            choice=2,
            correct=True,
            response_ms=1000,
            call_sid="CA-again",
            step=5,
            answered_at=later,
        )
        session.add(answer)
        session.flush()
        assert link_answer(session, answer)
        linked = session.scalar(select(m.Prediction).where(m.Prediction.answer_id == answer.id))
        assert linked.probability == 0.7
