"""A class's roster: students and their parents, one by one or from a CSV file.

The CSV has a header row
``nombre,telefono,grado,idioma,apoderado,telefono_apoderado,idioma_apoderado`` (the last four
optional; commas or, as a spreadsheet in Spanish saves it, semicolons). A new parent's calls
speak ``idioma_apoderado``, or else their child's language.
Every row is checked before anything is stored: a file with any bad row stores nothing and
gets one message per bad row, with its line number. A 9-digit mobile number gets +51.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yachay.db import models as m
from yachay.db import people as p
from yachay.flows.callers import GRADES, LANGUAGE_KEYS, MAX_STUDENTS_PER_PHONE
from yachay.web.accounts import E164

COLUMNS = (
    "nombre",
    "telefono",
    "grado",
    "idioma",
    "apoderado",
    "telefono_apoderado",
    "idioma_apoderado",
)
REQUIRED = COLUMNS[:3]
LANGUAGES = tuple(LANGUAGE_KEYS.values())
#: How the console names each language: in its own words, as the call offers it.
LANGUAGE_NAMES = {"es": "español", "qu": "runasimi", "ay": "aymar aru"}
MAX_ROWS = 500


@dataclass(frozen=True)
class RosterRow:
    name: str
    phone: str
    grade: int
    language: str = "es"
    parent_name: str | None = None
    parent_phone: str | None = None
    #: What a new parent's calls speak; None: the child's language.
    parent_language: str | None = None


class RosterError(ValueError):
    """What is wrong, one message per bad row (or one for the whole file)."""

    def __init__(self, messages: list[str]):
        self.messages = messages
        super().__init__("\n".join(messages))


def peru_number(text: str) -> str:
    """A number as a teacher types it, in E.164: spaces and dashes go, and a 9-digit mobile
    number (9XXXXXXXX) gets Peru's +51."""
    number = "".join(ch for ch in text if ch not in " -.()")
    if len(number) == 9 and number.isdigit() and number.startswith("9"):
        return "+51" + number
    return number


def check_row(values: Mapping[str, str]) -> tuple[RosterRow | None, list[str]]:
    """A row from a form or a CSV line: the row, or what is wrong with it (in Spanish)."""
    errors: list[str] = []
    name = " ".join((values.get("nombre") or "").split())
    phone = peru_number(values.get("telefono") or "")
    grade_text = (values.get("grado") or "").strip()
    language = (values.get("idioma") or "es").strip().lower() or "es"
    parent_name = " ".join((values.get("apoderado") or "").split()) or None
    parent_phone = peru_number(values.get("telefono_apoderado") or "") or None
    parent_language = (values.get("idioma_apoderado") or "").strip().lower() or None
    if not name:
        errors.append("falta el nombre")
    elif len(name) > 80:
        errors.append("el nombre tiene más de 80 caracteres")
    if not E164.match(phone):
        errors.append(f"el teléfono «{phone}» no es un número como +51987654321")
    grade = int(grade_text) if grade_text.isdigit() else 0
    if grade not in GRADES:
        errors.append(f"el grado «{grade_text}» no es un número del {GRADES[0]} al {GRADES[-1]}")
    if language not in LANGUAGES:
        errors.append(f"el idioma «{language}» no es uno de: {', '.join(LANGUAGES)}")
    if parent_phone and not E164.match(parent_phone):
        errors.append(
            f"el teléfono del apoderado «{parent_phone}» no es un número como +51987654321"
        )
    if parent_name and not parent_phone:
        errors.append("el apoderado necesita un teléfono")
    if parent_language is not None and parent_language not in LANGUAGES:
        errors.append(
            f"el idioma del apoderado «{parent_language}» no es uno de: {', '.join(LANGUAGES)}"
        )
    if errors:
        return None, errors
    return (
        RosterRow(name, phone, grade, language, parent_name, parent_phone, parent_language),
        [],
    )


def read_csv(data: bytes) -> list[RosterRow]:
    """Every row of the file, or `RosterError` with one message per bad row."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RosterError(["el archivo no está en UTF-8: guárdalo como «CSV UTF-8»"]) from None
    # A spreadsheet set to Spanish saves "CSV" with semicolons.
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        expected = ", ".join(COLUMNS)
        raise RosterError(
            [f"línea 1: faltan las columnas {', '.join(missing)} (se esperan: {expected})"]
        )
    reader.fieldnames = header
    rows: list[RosterRow] = []
    errors: list[str] = []
    for values in reader:
        line = reader.line_num
        if len(rows) + len(errors) >= MAX_ROWS:
            raise RosterError([f"el archivo tiene más de {MAX_ROWS} filas; divídelo"])
        if not any((v or "").strip() for v in values.values() if isinstance(v, str)):
            continue
        row, problems = check_row(values)
        if row is None:
            errors.append(f"línea {line}: " + "; ".join(problems))
        else:
            rows.append(row)
    if not rows and not errors:
        errors.append("el archivo no tiene ninguna fila de alumnos")
    if errors:
        raise RosterError(errors)
    return rows


def add_rows(session: Session, class_id: int, rows: list[RosterRow]) -> list[int]:
    """Store the students (and parents) in the class; `RosterError` and nothing stored when
    a phone would hold more students than a call can tell apart."""
    on_phone = Counter(r.phone for r in rows)
    existing = dict(
        session.execute(
            select(m.Student.phone, func.count())
            .where(m.Student.phone.in_(list(on_phone)))
            .group_by(m.Student.phone)
        ).all()
    )
    too_many = [
        f"el teléfono {phone} tendría {n + existing.get(phone, 0)} alumnos; "
        f"una llamada distingue como máximo {MAX_STUDENTS_PER_PHONE}"
        for phone, n in on_phone.items()
        if n + existing.get(phone, 0) > MAX_STUDENTS_PER_PHONE
    ]
    if too_many:
        raise RosterError(too_many)
    ids: list[int] = []
    parents: dict[str, p.User] = {}
    for row in rows:
        student = m.Student(phone=row.phone, name=row.name, grade=row.grade, language=row.language)
        session.add(student)
        session.flush()
        session.add(p.ClassStudent(student_id=student.id, class_id=class_id))
        ids.append(student.id)
        if row.parent_phone:
            parent = parents.get(row.parent_phone) or parent_for(session, row)
            parents[row.parent_phone] = parent
            session.add(p.ParentChild(parent_id=parent.id, student_id=student.id))
    session.flush()
    return ids


def parent_for(session: Session, row: RosterRow) -> p.User:
    """The parent already registered on that number (their language unchanged), or a new
    one who hears `parent_language`, else the child's language."""
    found = session.scalar(
        select(p.User)
        .where(p.User.role == "parent", p.User.phone == row.parent_phone)
        .order_by(p.User.id)
    )
    if found is not None:
        return found
    parent = p.User(
        role="parent",
        name=row.parent_name or "Apoderado",
        phone=row.parent_phone,
        language=row.parent_language or row.language,
    )
    session.add(parent)
    session.flush()
    return parent
