"""`yachay users ...`: create anyone who uses Yachay besides students (the first admin
included), and list everyone, students included, with their ids."""

from __future__ import annotations

import json
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from yachay.app import db
from yachay.db import migrate
from yachay.db.people import ROLES
from yachay.web.accounts import AccountError, NewUser, create_user, everyone
from yachay.web.records import NoSuchStudent, answers_csv, delete_student, export_student


@click.group("users")
def users() -> None:
    """Console and phone users (admin, teacher, creator, parent): add and list; a student's
    data: export and delete."""


@users.command("add")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--name", required=True)
@click.option("--phone", default=None, help="E.164, e.g. +51987654321.")
@click.option("--email", default=None, help="Signs in to the console.")
@click.option("--pin", default=None, help="4 to 8 digits, for the phone (a teacher's clave).")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the console password from the first line of standard input.",
)
@click.option("--child", "children", type=int, multiple=True, help="A parent's child (student id).")
@click.option("--class", "class_id", type=int, default=None, help="A teacher's class id.")
@click.option(
    "--language",
    default=None,
    help="What their calls speak: es, qu or ay (default: a parent's first child's, else es).",
)
@with_appcontext
def add(
    role: str,
    name: str,
    phone: str | None,
    email: str | None,
    pin: str | None,
    password_stdin: bool,
    children: tuple[int, ...],
    class_id: int | None,
    language: str | None,
) -> None:
    """Create a user; nothing is stored when any part is wrong."""
    password = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise click.ClickException("--password-stdin: standard input had no password")
    migrate.upgrade(current_app.config["YACHAY"].database_url)
    new = NewUser(role, name, phone, email, password, pin, children, class_id, language)
    try:
        with db.session() as session:
            user = create_user(session, new)
            user_id = user.id
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{role} {user_id} added: {user.name}")


@users.command("list")
@click.option("--role", default=None, type=click.Choice(("student", *ROLES)))
@click.option("--json", "as_json", is_flag=True, help="One JSON array instead of lines.")
@with_appcontext
def list_users(role: str | None, as_json: bool) -> None:
    """Everyone, students included: role, id, name, phone, and what links them."""
    migrate.upgrade(current_app.config["YACHAY"].database_url)
    with db.read_session() as session:
        rows = everyone(session, role)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    for row in rows:
        links = ""
        if row["role"] == "student":
            links = f"grade {row['grade']}" + (
                f", class {row['class_id']}" if row["class_id"] else ""
            )
        elif row["role"] == "parent":
            links = "children " + (",".join(map(str, row["children"])) or "-")
        elif row["role"] == "teacher":
            links = "classes " + (",".join(map(str, row["classes"])) or "-")
        contact = row["phone"] or row.get("email") or "-"
        click.echo(f"{row['role']}\t{row['id']}\t{row['name'] or '-'}\t{contact}\t{links}")


@users.command("export")
@click.argument("student_id", type=int)
@click.option("--csv", "as_csv", is_flag=True, help="The answers as CSV instead of all as JSON.")
@with_appcontext
def export(student_id: int, as_csv: bool) -> None:
    """Print everything kept about student STUDENT_ID (an id from `yachay users list`)."""
    with db.read_session() as session:
        try:
            record = export_student(session, student_id)
        except NoSuchStudent as exc:
            raise click.ClickException(str(exc)) from None
    if as_csv:
        click.echo(answers_csv(record), nl=False)
    else:
        click.echo(json.dumps(record, ensure_ascii=False, indent=1))


@users.command("delete")
@click.argument("student_id", type=int)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def delete(student_id: int, yes: bool) -> None:
    """Delete student STUDENT_ID and everything kept about them (answers, lesson progress,
    recordings' URLs, calls with their conversation state, links to parents and class), and
    list what was deleted. The access log of who saw the record is kept."""
    if not yes:
        click.confirm(f"Delete student {student_id} and all their data?", abort=True)
    try:
        with db.session() as session:
            deleted = delete_student(session, student_id)
    except NoSuchStudent as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"student {student_id} deleted:")
    for what, count in deleted.items():
        click.echo(f"  {count}\t{what}")
    click.echo(
        "Not deleted here: the recordings' audio, kept by the phone provider (delete it "
        "there). The tutor keeps no state of its own about a student."
    )
