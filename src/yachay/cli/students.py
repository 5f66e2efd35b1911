"""`yachay student ...`: register students by hand, e.g. several children on one phone."""

from __future__ import annotations

import re

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from yachay.app import db
from yachay.db import models as m
from yachay.flows.callers import GRADES, LANGUAGE_KEYS, MAX_STUDENTS_PER_PHONE

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


@click.group()
def student() -> None:
    """Students: add and list."""


@student.command("add")
@click.option("--phone", required=True, help="The phone number in E.164, e.g. +51987654321.")
@click.option("--grade", required=True, type=click.IntRange(min(GRADES), max(GRADES)))
@click.option(
    "--language", default="es", show_default=True, type=click.Choice(sorted(LANGUAGE_KEYS.values()))
)
@click.option("--name", default=None, help="How the call greets them and tells them apart.")
@with_appcontext
def add(phone: str, grade: int, language: str, name: str | None) -> None:
    """Register a student on a phone number."""
    if not _E164.match(phone):
        raise click.BadParameter(
            f"{phone!r} is not an E.164 number like +51987654321", param_hint="--phone"
        )
    with db.session() as session:
        count = len(session.scalars(select(m.Student.id).where(m.Student.phone == phone)).all())
        if count >= MAX_STUDENTS_PER_PHONE:
            raise click.ClickException(
                f"{phone} already has {count} students; a call can tell at most "
                f"{MAX_STUDENTS_PER_PHONE} apart"
            )
        row = m.Student(phone=phone, grade=grade, language=language, name=name)
        session.add(row)
        session.flush()
        click.echo(f"student {row.id} added on {phone} (grade {grade}, {language})")


@student.command("list")
@click.option("--phone", default=None)
@with_appcontext
def list_students(phone: str | None) -> None:
    """List students, optionally those on one phone."""
    with db.session() as session:
        query = select(m.Student).order_by(m.Student.id)
        if phone:
            query = query.where(m.Student.phone == phone)
        for s in session.scalars(query):
            click.echo(f"{s.id}\t{s.phone}\t{s.name or '-'}\tgrade {s.grade}\t{s.language}")
