"""A console on a real (SQLite) database with two classes of two teachers, their students'
answers, calls and recorded questions, and a user of every role."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from flask import Flask

from yachay.app import create_app
from yachay.db import migrate
from yachay.db import models as m
from yachay.db import people as p
from yachay.db.models import utcnow
from yachay.db.phone_roles import CallbackRequest, ClassRecording
from yachay.web import accounts
from yachay.web.accounts import NewUser, create_user

# Real argon2id, with the cheapest parameters: the production ones (64 MiB, 3 passes) take
# ~0.4 s a hash here, and these tests sign in hundreds of times. A hash records its own
# parameters, so verifying is unchanged; the browser suite's server keeps the real ones.
accounts._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "clave-de-prueba-1"
TWILIO_RECORDINGS = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings"


@dataclass(frozen=True)
class Seed:
    admin: int
    creator: int
    teacher: int
    other_teacher: int
    parent: int
    own_class: int
    other_class: int
    own_student: int
    other_student: int
    own_question: int
    other_question: int
    own_callback: int
    other_callback: int
    own_recording: int
    other_recording: int


def seed(database, recording_base: str = TWILIO_RECORDINGS) -> Seed:
    now = utcnow()
    with database.session() as session:
        school = p.School(name="IE 50001 Chinchero", phone="+5184000000")
        session.add(school)
        pack = m.ContentPack(id="demo", title={"es": "Demo"}, languages=["es"], fingerprint="x")
        session.add(pack)
        session.flush()
        session.add_all(
            [
                m.Skill(id="demo-suma", pack_id="demo", name={"es": "Sumar"}, grade=1,
                        prerequisites=[]),
                m.Skill(id="demo-resta", pack_id="demo", name={"es": "Restar"}, grade=1,
                        prerequisites=[]),
            ]
        )  # fmt: skip
        session.flush()
        lesson = m.Lesson(
            id="demo-l1", pack_id="demo", unit_id="u1", position=1, grade=1,
            title={"es": "Sumas"},
            skills=["demo-suma"], segments=[],
        )  # fmt: skip
        session.add(lesson)
        session.flush()
        for i, skill in enumerate(["demo-suma", "demo-suma", "demo-resta"]):
            session.add(
                m.Question(
                    id=f"demo-q{i}", lesson_id="demo-l1", position=i,
                    stem={"es": f"¿Cuánto es {i} + 1?"},
                    choices=[{"es": "1"}, {"es": "2"}], answer=1, explanation={"es": "."},
                    skills=[skill], difficulty=1, grade=1,
                )
            )  # fmt: skip
        own = m.Student(phone="+51987000001", name="Ana Mamani", language="es", grade=1)
        other = m.Student(phone="+51987000002", name="Luis Condori", language="qu", grade=1)
        session.add_all([own, other])
        session.flush()
        ids = {}
        for role, name, email in [
            ("admin", "Rosa Admin", "admin@ie.pe"),
            ("creator", "Carla Contenido", "creator@ie.pe"),
            ("teacher", "Jorge Docente", "teacher@ie.pe"),
            ("teacher", "Otra Docente", "other@ie.pe"),
        ]:
            ids[email] = create_user(
                session, NewUser(role, name, email=email, password=PASSWORD)
            ).id
        parent = create_user(
            session, NewUser("parent", "Marta", phone="+51987000001", children=[own.id])
        )
        own_class = p.SchoolClass(
            school_id=school.id, name="1.º A", grade=1, teacher_id=ids["teacher@ie.pe"]
        )
        other_class = p.SchoolClass(
            school_id=school.id, name="1.º B", grade=1, teacher_id=ids["other@ie.pe"]
        )
        session.add_all([own_class, other_class])
        session.flush()
        session.add_all(
            [
                p.ClassStudent(student_id=own.id, class_id=own_class.id),
                p.ClassStudent(student_id=other.id, class_id=other_class.id),
            ]
        )
        for n, (qid, correct) in enumerate(
            [("demo-q0", True), ("demo-q1", True), ("demo-q1", False)]
            + [("demo-q2", False), ("demo-q2", False), ("demo-q0", True)]
        ):
            session.add(
                m.Answer(
                    student_id=own.id, question_id=qid, lesson_id="demo-l1",
                    choice=1 if correct else 2, correct=correct, call_sid="CA1", step=n,
                    answered_at=now - timedelta(days=n),
                )
            )  # fmt: skip
        for n, (days, seconds) in enumerate([(0, 300), (1, 240), (9, 600), (20, 120)]):
            session.add(
                m.Call(sid=f"CA{n}", phone=own.phone, student_id=own.id, status="completed",
                       duration_seconds=seconds, started_at=now - timedelta(days=days))
            )  # fmt: skip
        questions = []
        for student, sid in [(own, "RE1"), (other, "RE2")]:
            q = m.TeacherQuestion(
                student_id=student.id, call_sid="CA0", recording_sid=sid,
                recording_url=f"{recording_base}/{sid}",
                duration_seconds=7,
            )  # fmt: skip
            session.add(q)
            session.flush()
            questions.append(q.id)
        # What a parent and the teachers left by phone for each class.
        other_parent = create_user(
            session, NewUser("parent", "Julia", phone="+51987000002", children=[other.id])
        )
        callbacks, recordings = [], []
        for student, asker, school_class, sid in [
            (own, parent, own_class, "RE3"),
            (other, other_parent, other_class, "RE4"),
        ]:
            callback = CallbackRequest(
                parent_id=asker.id, student_id=student.id,
                teacher_id=school_class.teacher_id, call_sid="CA7",
            )  # fmt: skip
            recording = ClassRecording(
                teacher_id=school_class.teacher_id, class_id=school_class.id, recording_sid=sid,
                recording_url=f"{recording_base}/{sid}", duration_seconds=95, call_sid="CA8",
            )  # fmt: skip
            session.add_all([callback, recording])
            session.flush()
            callbacks.append(callback.id)
            recordings.append(recording.id)
        return Seed(
            ids["admin@ie.pe"], ids["creator@ie.pe"], ids["teacher@ie.pe"], ids["other@ie.pe"],
            parent.id, own_class.id, other_class.id, own.id, other.id, *questions,
            *callbacks, *recordings,
        )  # fmt: skip


def make_console(folder: Path) -> tuple[Flask, Seed]:
    """A console with its own content folder (the prompts, no packs): publishing a pack
    installs it there."""
    url = f"sqlite:///{folder / 'console.db'}"
    migrate.upgrade(url)
    content = folder / "content"
    shutil.copytree(ROOT / "content" / "prompts", content / "prompts")
    (content / "packs").mkdir()
    app = create_app({"database_url": url, "var_dir": folder, "content_dir": content})
    app.config["TESTING"] = True
    return app, seed(app.extensions["yachay.db"])


@pytest.fixture
def console(tmp_path):
    app, data = make_console(tmp_path)
    yield app, data
    app.extensions["yachay.db"].dispose()


@pytest.fixture(scope="module")
def shared_console(tmp_path_factory):
    """One console for a module whose tests change nothing another test reads."""
    app, data = make_console(tmp_path_factory.mktemp("console"))
    yield app, data
    app.extensions["yachay.db"].dispose()


def csrf_token(html: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert found, "the page has no CSRF token"
    return found.group(1)


def sign_in(client, email: str, password: str = PASSWORD):
    page = client.get("/login")
    return client.post(
        "/login",
        data={"login": email, "password": password, "csrf_token": csrf_token(page.text)},
    )
