"""A student's data exported and deleted, by `yachay users export|delete` and from the
console, checked in the database afterwards."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from tests.web.conftest import csrf_token, seed, sign_in
from yachay.cli import cli
from yachay.db import migrate
from yachay.db import models as m
from yachay.db import people as p
from yachay.db.consent import give_consent, has_consent
from yachay.db.database import Database
from yachay.db.phone_roles import CallbackRequest, ClassRecording, RecordingHeard

#: Tables with a student_id column, and what the seed puts there for the first student.
KEPT = {
    m.Answer: 6,
    m.Call: 4,
    m.TeacherQuestion: 1,
    p.ParentChild: 1,
    p.ClassStudent: 1,
    p.Consent: 1,
    CallbackRequest: 1,
}  # fmt: skip (the consent: given in the deletion tests)


def _rows(database: Database, model, student_id: int) -> int:
    with database.read_session() as session:
        return session.scalar(
            select(func.count()).select_from(model).where(model.student_id == student_id)
        )


@pytest.fixture
def seeded(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'y.db'}"
    monkeypatch.setenv("YACHAY_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("YACHAY_DATABASE_URL", url)
    migrate.upgrade(url)
    database = Database(url)
    data = seed(database)
    yield database, data
    database.dispose()


def test_export_prints_everything_kept_as_json_and_the_answers_as_csv(seeded):
    _database, data = seeded
    result = CliRunner().invoke(cli, ["users", "export", str(data.own_student)])
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    assert record["student"]["name"] == "Ana Mamani"
    assert record["student"]["class_id"] == data.own_class
    assert [parent["name"] for parent in record["parents"]] == ["Marta"]
    assert len(record["answers"]) == 6 and len(record["calls"]) == 4
    assert record["recorded_questions"][0]["recording_url"].endswith("/RE1")
    assert [c["status"] for c in record["callback_requests"]] == ["new"]
    table = CliRunner().invoke(cli, ["users", "export", str(data.own_student), "--csv"]).output
    rows = list(csv.DictReader(io.StringIO(table)))
    assert len(rows) == 6 and rows[0]["question_id"] == "demo-q0"
    missing = CliRunner().invoke(cli, ["users", "export", "999"])
    assert missing.exit_code == 1 and "no student with id 999" in missing.output


def test_delete_removes_the_student_and_lists_what_went_and_nothing_else(seeded):
    database, data = seeded
    with database.session() as session:
        session.add(p.AccessLog(user_id=data.admin, student_id=data.own_student,
                                action="student page", path="/"))  # fmt: skip
        give_consent(session, data.own_student, "keypad", data.parent)
    result = CliRunner().invoke(cli, ["users", "delete", str(data.own_student), "--yes"])
    assert result.exit_code == 0, result.output
    assert "  6\tanswers" in result.output
    assert "  4\tcalls (with their conversation state)" in result.output
    assert "  1\trecorded questions (recording URLs)" in result.output
    assert "  1\tconsents" in result.output
    assert "  1\tparents' callback requests" in result.output
    assert "  1\tstudent" in result.output
    for model in KEPT:
        assert _rows(database, model, data.own_student) == 0, model.__tablename__
    with database.read_session() as session:
        assert session.get(m.Student, data.own_student) is None
        assert session.get(m.Student, data.other_student) is not None
        assert session.get(p.User, data.parent) is not None
    assert _rows(database, m.TeacherQuestion, data.other_student) == 1
    assert _rows(database, p.ClassStudent, data.other_student) == 1
    assert _rows(database, p.AccessLog, data.own_student) == 1
    refused = CliRunner().invoke(cli, ["users", "delete", str(data.other_student)], input="n\n")
    assert refused.exit_code == 1
    assert _rows(database, m.TeacherQuestion, data.other_student) == 1


def test_a_class_recording_heard_is_exported_and_deleted_with_the_student(seeded):
    database, data = seeded
    with database.session() as session:
        teacher = session.get(p.SchoolClass, data.own_class).teacher_id
        recording = ClassRecording(
            teacher_id=teacher,
            class_id=data.own_class,
            recording_sid="RE9",
            recording_url="https://x/RE9",
            duration_seconds=20,
            call_sid="CA9",
            status="approved",
        )
        session.add(recording)
        session.flush()
        session.add(
            RecordingHeard(
                student_id=data.own_student,
                recording_id=recording.id,
                skipped=True,
                call_sid="CA10",
            )
        )
        recording_id = recording.id
    exported = json.loads(
        CliRunner().invoke(cli, ["users", "export", str(data.own_student)]).output
    )
    assert [(h["recording_id"], h["skipped"]) for h in exported["class_recordings_heard"]] == [
        (recording_id, True)
    ]
    result = CliRunner().invoke(cli, ["users", "delete", str(data.own_student), "--yes"])
    assert result.exit_code == 0, result.output
    assert "  1\tclass recordings heard" in result.output
    assert _rows(database, RecordingHeard, data.own_student) == 0
    with database.read_session() as session:
        # The teacher's recording is the class's, not the child's: it stays.
        assert session.get(ClassRecording, recording_id) is not None


def test_the_console_exports_for_a_teacher_and_deletes_only_for_an_admin(console):
    app, data = console
    database = app.extensions["yachay.db"]
    teacher = app.test_client()
    sign_in(teacher, "teacher@ie.pe")
    exported = teacher.get(f"/students/{data.own_student}/data.json")
    assert exported.mimetype == "application/json"
    assert len(exported.json["answers"]) == 6
    answers = teacher.get(f"/students/{data.own_student}/answers.csv")
    assert answers.text.splitlines()[0].startswith("question_id,")
    assert "Borrar datos" not in teacher.get(f"/students/{data.own_student}").text
    admin = app.test_client()
    sign_in(admin, "admin@ie.pe")
    page = admin.get(f"/students/{data.own_student}").text
    assert "Borrar datos" in page
    unconfirmed = admin.post(
        f"/students/{data.own_student}/delete", data={"csrf_token": csrf_token(page)}
    )
    assert unconfirmed.status_code == 302
    assert _rows(database, m.Answer, data.own_student) == 6
    done = admin.post(
        f"/students/{data.own_student}/delete",
        data={"csrf_token": csrf_token(page), "confirmo": "si"},
    )
    assert done.status_code == 200
    assert '<td>answers</td><td class="n">6</td>' in done.text
    for model in KEPT:
        assert _rows(database, model, data.own_student) == 0, model.__tablename__
    assert teacher.get(f"/students/{data.own_student}").status_code == 404
    with database.read_session() as session:
        actions = session.scalars(
            select(p.AccessLog.action).where(p.AccessLog.student_id == data.own_student)
        ).all()
    assert actions.count("data export") == 2 and "data deleted" in actions


def test_a_teacher_records_and_withdraws_a_parents_consent(console):
    app, data = console
    database = app.extensions["yachay.db"]
    client = app.test_client()
    sign_in(client, "teacher@ie.pe")
    page = client.get(f"/students/{data.own_student}").text
    assert "Sin consentimiento registrado" in page
    token = csrf_token(page)
    url = f"/students/{data.own_student}/consent"
    unconfirmed = client.post(url, data={"csrf_token": token, "parent_id": str(data.parent)})
    assert unconfirmed.status_code == 302
    assert _rows(database, p.Consent, data.own_student) == 0
    not_theirs = {"csrf_token": token, "parent_id": str(data.teacher), "confirmo": "si"}
    client.post(url, data=not_theirs)
    assert _rows(database, p.Consent, data.own_student) == 0
    given = {"csrf_token": token, "parent_id": str(data.parent), "confirmo": "si"}
    page = client.post(url, data=given, follow_redirects=True).text
    assert "Consentimiento registrado" in page and "dio su consentimiento" in page
    with database.read_session() as session:
        consent = session.scalars(select(p.Consent)).one()
        assert (consent.parent_id, consent.via, consent.recorded_by) == (
            data.parent,
            "console",
            data.teacher,
        )
        assert has_consent(session, data.own_student)
    client.post(f"{url}/withdraw", data={"csrf_token": token})
    with database.read_session() as session:
        assert not has_consent(session, data.own_student)
        assert session.scalars(select(p.Consent.withdrawn_at)).one() is not None
    exported = client.get(f"/students/{data.own_student}/data.json").json
    assert exported["consents"][0]["via"] == "console"
