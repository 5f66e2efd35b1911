"""`yachay tutor due` and `yachay tutor needs-tutor` on a real database: who to call back."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.tutor.tutor_db import answer_row, make_database
from yachay.app import create_app
from yachay.db import models as m
from yachay.tutor.reports_cli import due, needs_tutor

NOW = datetime(2026, 5, 20, 15, 0)


@pytest.fixture
def app(tmp_path: Path):  # noqa: ANN201
    url, db = make_database(tmp_path / "var")
    with db.session() as session:
        # Ana practised adding well three weeks ago: a review is due, long overdue.
        ana = m.Student(phone="+51900000001", name="Ana", language="qu", grade=1)
        # Beto got subtraction wrong again and again this week, and hung up mid-lesson.
        beto = m.Student(phone="+51900000002", name="Beto", language="es", grade=1)
        # Carla never answered a question.
        carla = m.Student(phone="+51900000003", name="Carla", language="es", grade=1)
        session.add_all([ana, beto, carla])
        session.flush()
        step = 0

        def add_answer(student: m.Student, question: str, correct: bool, at: datetime) -> None:
            nonlocal step
            step += 1
            session.add(
                answer_row(
                    student.id,
                    question,
                    correct,
                    at,
                    call_sid=f"CA{student.id}-{at:%j}",
                    step=step,
                    response_ms=4000,
                )
            )

        for i in range(6):
            add_answer(ana, f"sumar-q{i}", True, NOW - timedelta(days=21, minutes=-i))
        for i in range(12):
            add_answer(beto, f"restar-q{i % 10}", False, NOW - timedelta(days=2, minutes=-i))
        for day in (1, 3):
            session.add(
                m.Call(
                    sid=f"CA-beto-{day}",
                    phone=beto.phone,
                    student_id=beto.id,
                    state={"node": "question", "vars": {}},
                    status="completed",
                    duration_seconds=40,
                    started_at=NOW - timedelta(days=day),
                    ended_at=NOW - timedelta(days=day) + timedelta(seconds=40),
                )
            )
        # A long call that ended at the goodbye is no sign of trouble.
        session.add(
            m.Call(
                sid="CA-carla",
                phone=carla.phone,
                student_id=carla.id,
                state={"node": "goodbye", "vars": {}},
                status="completed",
                duration_seconds=30,
                started_at=NOW - timedelta(days=1),
                ended_at=NOW - timedelta(days=1) + timedelta(seconds=30),
            )
        )
    db.dispose()
    return create_app({"var_dir": tmp_path / "var", "database_url": url})


def test_due_lists_the_students_with_reviews_due_most_overdue_first(app) -> None:
    result = app.test_cli_runner().invoke(due, ["--at", "2026-05-20T15:00", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)["students"]
    assert rows[0]["name"] == "Ana" and rows[0]["language"] == "qu"
    assert rows[0]["skills"] == ["sumar"] and rows[0]["overdue_days"] > 10
    assert "Carla" not in {r["name"] for r in rows}
    assert all(r["overdue_days"] <= rows[0]["overdue_days"] for r in rows)


def test_due_on_the_day_of_practice_is_nobody(app) -> None:
    result = app.test_cli_runner().invoke(due, ["--at", "2026-04-29"])
    assert result.exit_code == 0, result.output
    assert "Nobody is due for a review." in result.output


def test_due_prints_a_table(app) -> None:
    result = app.test_cli_runner().invoke(due, ["--at", "2026-05-20T15:00"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "Ana (#1)" in result.output and "+51900000001" in result.output


def test_needs_tutor_names_the_student_and_the_reasons(app) -> None:
    result = app.test_cli_runner().invoke(needs_tutor, ["--at", "2026-05-20T15:00"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Beto (#2) (+51900000002, 1.º grado):"
    assert any("Respondió 12 preguntas de «restar» sin llegar a dominarlas." in x for x in lines)
    assert any("se cortaron a mitad de la lección" in x for x in lines)
    assert "Ana" not in result.output and "Carla" not in result.output


def test_needs_tutor_json_and_an_empty_list(app) -> None:
    result = app.test_cli_runner().invoke(
        needs_tutor, ["--at", "2026-05-20T15:00", "--json", "--limit", "1"]
    )
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.output)["students"]
    assert row["name"] == "Beto" and row["score"] > 0 and len(row["reasons"]) == 2
    # A year later nothing recent is left to worry about.
    later = app.test_cli_runner().invoke(needs_tutor, ["--at", "2027-05-20"])
    assert "No student needs a tutor's call right now." in later.output
