"""Importing a pack is idempotent and never loses a student's answers."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from sqlalchemy import MetaData, insert, select, text

from tests.conftest import free_port
from tests.postgres import start_postgres
from yachay.calls.sql_catalog import SqlCatalog
from yachay.content.loader import load_pack
from yachay.db import migrate
from yachay.db import models as m
from yachay.db.content_import import import_pack
from yachay.db.database import Database
from yachay.db.starter import load_starter_content
from yachay.tutor.bank import question_bank

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


CONTEO = Path(__file__).resolve().parents[1] / "content" / "packs_for_stats" / "conteo"


def test_generated_items_are_for_practice_not_for_the_lesson(db):
    loaded = load_pack(CONTEO)
    with db.session() as session:
        report = import_pack(session, loaded)
    generated = [q.id for q in loaded.lessons[2].generated]
    assert (report.added["questions"], report.added["generated"]) == (3, len(generated))
    assert report.summary() == (
        "conteo: skills: +3 ~0 -0, lessons: +3 ~0 -0, questions: +3 ~0 -0, "
        f"generated: +{len(generated)} ~0 -0"
    )
    with db.session() as session:
        rows = session.scalars(
            select(m.Question).where(m.Question.lesson_id == "g3-multiplicar")
        ).all()
        assert [(q.id, q.template_id, q.position) for q in rows] == [
            ("g3-multiplicar-q1", None, 0),
            *((item, "g3-corrales", i) for i, item in enumerate(generated, start=1)),
        ]
        catalog = SqlCatalog(session)
        assert catalog.lesson("g3-multiplicar").question_ids == ["g3-multiplicar-q1"]
        assert catalog.lesson("g1-cuento").kind == "listening"
        assert catalog.lesson("g1-contar").kind == "lesson"
        # Practice draws on every item, the generated ones included, but never on the
        # questions of a story.
        bank = question_bank(session)
        items = {item.id for item in bank.catalog.items}
        assert {"g3-multiplicar-q1", *generated} <= items
        story = set(catalog.lesson("g1-cuento").question_ids)
        assert story and story <= bank.needs_story
        assert not bank.needs_story & {"g3-multiplicar-q1", *generated}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database, on SQLite and (in the slow suite) on a real PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    postgres = start_postgres(free_port())
    yield postgres.url
    postgres.stop()


def test_an_upgraded_database_keeps_its_content(empty_url):
    url = empty_url
    migrate.upgrade(url, "0001")
    database = Database(url)
    tables = MetaData()
    tables.reflect(database.engine, only=["content_packs", "lessons", "questions", "answers"])
    with database.engine.begin() as connection:
        for name, row in (
            ("content_packs", dict(id="p", title={"es": "P"}, languages=["es", "qu"])),
            ("lessons", dict(id="l", pack_id="p", unit_id="u", position=0, grade=1)),
            ("questions", dict(id="q", lesson_id="l", position=0, answer=1, difficulty=1)),
        ):
            defaults = dict(
                title={}, fingerprint="f", imported_at=m.utcnow(), skills=[], segments=[]
            )
            defaults |= dict(stem={}, choices=[], explanation={}, grade=1, retired=False)
            columns = tables.tables[name].columns.keys()
            values = {k: v for k, v in (defaults | row).items() if k in columns}
            connection.execute(insert(tables.tables[name]), values)
    database.dispose()

    migrate.upgrade(url)
    database = Database(url)
    with database.session() as session:
        lesson = session.get(m.Lesson, "l")
        assert (lesson.kind, lesson.languages, lesson.translations) == (
            "lesson",
            ["es", "qu"],
            {},
        )
        assert session.get(m.Question, "q").template_id is None
    database.dispose()

    migrate.downgrade(url, "0001")  # and back down, the rows still there
    database = Database(url)
    with database.engine.connect() as connection:
        assert connection.execute(text("SELECT id FROM questions")).all() == [("q",)]
    database.dispose()
