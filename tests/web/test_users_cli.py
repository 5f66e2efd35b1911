"""`yachay users add|list` against a real database, and the console tables' migration on
SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import inspect, select

from yachay.cli import cli
from yachay.db import migrate
from yachay.db import models as m
from yachay.db import people as p
from yachay.db.database import Database, make_engine
from yachay.db.phone_roles import mask_phone
from yachay.web.accounts import verify_secret

CONSOLE_TABLES = {
    "schools", "classes", "class_students", "users", "parent_children", "consents", "access_log",
}  # fmt: skip


@pytest.fixture
def var(tmp_path, monkeypatch):
    monkeypatch.setenv("YACHAY_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("YACHAY_DATABASE_URL", f"sqlite:///{tmp_path / 'y.db'}")
    return tmp_path


def run(*args: str, stdin: str | None = None):
    return CliRunner().invoke(cli, list(args), input=stdin)


def _database(var) -> Database:
    return Database(f"sqlite:///{var / 'y.db'}")


def test_the_first_admin_signs_in_with_an_argon2_hash(var):
    result = run(
        "users",
        "add",
        "--role",
        "admin",
        "--name",
        "Rosa Quispe",
        "--email",
        "rosa@ie.pe",
        "--password-stdin",
        stdin="una clave larga\n",
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "admin 1 added: Rosa Quispe"
    database = _database(var)
    with database.session() as session:
        user = session.get(p.User, 1)
        assert user.password_hash.startswith("$argon2id$")
        assert verify_secret(user.password_hash, "una clave larga")
        assert not verify_secret(user.password_hash, "otra clave")
    database.dispose()


def test_a_parent_with_children_and_a_teacher_with_a_class_are_listed_with_students(var):
    migrate.upgrade(f"sqlite:///{var / 'y.db'}")
    database = _database(var)
    with database.session() as session:
        ana = m.Student(phone="+51987000001", name="Ana", language="es", grade=3)
        luis = m.Student(phone="+51987000001", name="Luis", language="qu", grade=5)
        school = p.School(name="IE 501 Chinchero")
        session.add_all([ana, luis, school])
        session.flush()
        session.add(p.SchoolClass(school_id=school.id, name="3.º A", grade=3))
    parent = run(
        "users",
        "add",
        "--role",
        "parent",
        "--name",
        "Marta",
        "--phone",
        "+51987000001",
        "--pin",
        "4321",
        "--child",
        "1",
        "--child",
        "2",
    )
    assert parent.exit_code == 0, parent.output
    teacher = run(
        "users",
        "add",
        "--role",
        "teacher",
        "--name",
        "Jorge",
        "--phone",
        "+51911111111",
        "--pin",
        "2468",
        "--class",
        "1",
    )
    assert teacher.exit_code == 0, teacher.output
    listed = json.loads(run("users", "list", "--json").output)
    assert [(r["role"], r["id"], r["name"]) for r in listed] == [
        ("student", 1, "Ana"),
        ("student", 2, "Luis"),
        ("parent", 1, "Marta"),
        ("teacher", 2, "Jorge"),
    ]
    assert listed[2]["children"] == [1, 2]
    assert listed[3]["classes"] == [1]
    only = run("users", "list", "--role", "teacher").output.splitlines()
    assert only == ["teacher\t2\tJorge\t+51911111111\tclasses 1"]
    with database.session() as session:
        assert session.get(p.SchoolClass, 1).teacher_id == 2
    database.dispose()


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["--role", "admin", "--name", "A", "--email", "a@b.pe"], None, "give a password"),
        (["--role", "parent", "--name", "P"], None, "give one"),
        (["--role", "parent", "--name", "P", "--phone", "987"], None, "E.164"),
        (
            ["--role", "parent", "--name", "P", "--phone", "+51987000002", "--child", "7"],
            None,
            "no student with id 7",
        ),
        (["--role", "teacher", "--name", "T", "--pin", "12"], None, "4 to 8 digits"),
        (
            ["--role", "teacher", "--name", "T", "--pin", "1234", "--language", "fr"],
            None,
            "unknown language 'fr'; one of: es, qu, ay",
        ),
        (
            ["--role", "teacher", "--name", "T", "--pin", "1234", "--class", "9"],
            None,
            "no class with id 9",
        ),
        (
            ["--role", "creator", "--name", "C", "--email", "c@b.pe", "--password-stdin"],
            "corta\n",
            "too short",
        ),
        (
            ["--role", "admin", "--name", "A", "--email", "no-at", "--password-stdin"],
            "una clave larga\n",
            "not an email",
        ),
        (
            ["--role", "admin", "--name", "  ", "--email", "a@b.pe", "--password-stdin"],
            "una clave larga\n",
            "name is empty",
        ),
    ],
)
def test_wrong_users_are_refused_with_the_reason_and_nothing_stored(var, args, stdin, message):
    result = run("users", "add", *args, stdin=stdin)
    assert result.exit_code == 1
    assert message in result.output
    assert json.loads(run("users", "list", "--json").output) == []


def test_a_users_language_is_given_or_a_parent_takes_their_childs(var):
    database = _database(var)
    migrate.upgrade(f"sqlite:///{var / 'y.db'}")
    with database.session() as session:
        session.add(m.Student(phone="+51987000001", name="Ana", language="ay", grade=3))
    add = ["users", "add", "--pin", "2468", "--phone"]
    teacher = run(*add, "+51911111111", "--role", "teacher", "--name", "Jorge", "--language", "QU")
    assert teacher.exit_code == 0, teacher.output
    like_child = run(*add, "+51987000001", "--role", "parent", "--name", "Rosa", "--child", "1")
    assert like_child.exit_code == 0, like_child.output
    chosen = run(
        *add, "+51987000002", "--role", "parent", "--name", "Eva", "--child", "1",
        "--language", "es",
    )  # fmt: skip
    assert chosen.exit_code == 0, chosen.output
    plain = run(*add, "+51911111112", "--role", "teacher", "--name", "Marta")
    assert plain.exit_code == 0, plain.output
    listed = json.loads(run("users", "list", "--json").output)
    assert [(r["name"], r["language"]) for r in listed] == [
        ("Ana", "ay"),
        ("Rosa", "ay"),
        ("Eva", "es"),
        ("Jorge", "qu"),
        ("Marta", "es"),
    ]
    database.dispose()


def test_an_email_is_used_once(var):
    args = ["users", "add", "--role", "admin", "--name", "A", "--email", "a@b.pe"]
    assert run(*args, "--password-stdin", stdin="una clave larga\n").exit_code == 0
    again = run(*args, "--password-stdin", stdin="otra clave larga\n")
    assert again.exit_code == 1
    assert "already has the email a@b.pe" in again.output


def test_phone_numbers_are_masked_for_logs():
    assert mask_phone("+51987654321") == "+51*******21"
    assert "987654" not in mask_phone("+51987654321")


def test_the_console_migration_up_down_and_up_keeps_the_rest(database_url):
    migrate.upgrade(database_url, "0002")
    database = Database(database_url)
    with database.session() as session:
        session.add(m.Student(phone="+51987000009", name="Ana", language="es", grade=2))
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    assert CONSOLE_TABLES <= set(inspect(engine).get_table_names())
    with database.session() as session:
        school = p.School(name="IE 1")
        session.add(school)
        session.flush()
        klass = p.SchoolClass(school_id=school.id, name="1.º A")
        session.add(klass)
        session.flush()
        session.add(p.ClassStudent(student_id=1, class_id=klass.id))
    migrate.downgrade(database_url, "0002")
    assert not CONSOLE_TABLES & set(inspect(engine).get_table_names())
    with database.session() as session:
        assert session.scalars(select(m.Student.name)).all() == ["Ana"]
    migrate.upgrade(database_url)
    database.dispose()
    engine.dispose()
