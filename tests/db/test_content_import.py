"""Importing a pack is idempotent and never loses a student's answers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from yachay.content.loader import load_pack
from yachay.db import migrate
from yachay.db import models as m
from yachay.db.content_import import import_pack
from yachay.db.database import Database
from yachay.db.starter import load_starter_content

PACKS = Path(__file__).resolve().parents[2] / "content" / "packs"


@pytest.fixture
def db(tmp_path):  # noqa: ANN201
    url = f"sqlite:///{tmp_path / 'c.db'}"
    migrate.upgrade(url)
    database = Database(url)
    yield database
    database.dispose()


@pytest.fixture
def pack_dir(tmp_path) -> Path:
    target = tmp_path / "packs" / "matematica-primaria"
    shutil.copytree(PACKS / "matematica-primaria", target)
    return target


def test_starter_content_loads_once(db):
    assert load_starter_content(db, PACKS)
    assert load_starter_content(db, PACKS) == []


def test_reimport_updates_in_place_and_retires_what_left(db, pack_dir):
    with db.session() as session:
        first = import_pack(session, load_pack(pack_dir))
    assert first.added["lessons"] >= 6 and first.updated["lessons"] == 0
    with db.session() as session:
        again = import_pack(session, load_pack(pack_dir))
    assert sum(again.added.values()) + sum(again.updated.values()) == 0

    # A student answers the first question of the first lesson.
    lesson_file = sorted((pack_dir / "lessons").glob("g1-*.yaml"))[0]
    data = yaml.safe_load(lesson_file.read_text())
    removed = data["questions"][0]["id"]
    with db.session() as session:
        student = m.Student(phone="+51900000000", language="es", grade=1)
        session.add(student)
        session.flush()
        session.add(
            m.Answer(
                student_id=student.id,
                question_id=removed,
                choice=1,
                correct=True,
                call_sid="CA1",
                step=1,
            )
        )

    # The author removes that question and rewords the lesson's title.
    data["questions"] = data["questions"][1:]
    data["title"]["es"] = "Un título nuevo"
    lesson_file.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    with db.session() as session:
        report = import_pack(session, load_pack(pack_dir))
    assert report.retired["questions"] == 1 and report.updated["lessons"] >= 1
    with db.session() as session:
        assert session.get(m.Question, removed).retired
        assert session.get(m.Lesson, data["id"]).title["es"] == "Un título nuevo"
        assert session.scalars(select(m.Answer.question_id)).all() == [removed]
