"""Users of the console and the phone: create them with every rule checked, hash their
secrets (argon2id), and list everyone, students included. Shared by `yachay users` and the
console's forms, so both refuse the same things with the same words."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from yachay.db import models as m
from yachay.db import people as p
from yachay.db.phone_roles import pin_matches
from yachay.flows.callers import LANGUAGE_KEYS

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PIN = re.compile(r"^\d{4,8}$")
MIN_PASSWORD = 8
#: The languages a parent's or teacher's calls can speak, as the keypad offers them.
LANGUAGES = tuple(LANGUAGE_KEYS.values())
#: Roles that sign in to the console with a password.
CONSOLE_ROLES = ("admin", "teacher", "creator")

_hasher = PasswordHasher()


class AccountError(ValueError):
    """A user that cannot be created as asked; the message says why, for the person typing:
    in English on the command line (``str``), in Spanish in the console (`spanish`)."""

    def __init__(self, message: str, spanish: str):
        super().__init__(message)
        self.spanish = spanish


def hash_secret(secret: str) -> str:
    return _hasher.hash(secret)


def verify_secret(hashed: str | None, secret: str) -> bool:
    """True when `secret` matches; False for a wrong one, a broken hash or none stored."""
    if not hashed:
        # Same work as a real check, so a missing account does not answer faster.
        _hasher.hash(secret)
        return False
    return pin_matches(hashed, secret)


def check_phone(phone: str) -> str:
    phone = phone.strip().replace(" ", "")
    if not E164.match(phone):
        raise AccountError(
            f"{phone!r} is not a phone number in E.164 form, like +51987654321",
            f"«{phone}» no es un número como +51987654321",
        )
    return phone


def check_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise AccountError("the name is empty", "falta el nombre")
    if len(name) > 80:
        raise AccountError(
            f"the name has {len(name)} characters; at most 80",
            f"el nombre tiene {len(name)} caracteres; como máximo 80",
        )
    return name


@dataclass(frozen=True)
class NewUser:
    role: str
    name: str
    phone: str | None = None
    email: str | None = None
    password: str | None = None
    pin: str | None = None
    children: Sequence[int] = ()
    class_id: int | None = None
    #: What their calls speak; None: a parent's first child's language, else Spanish.
    language: str | None = None


def create_user(session: Session, new: NewUser) -> p.User:
    """Add the user (and their children or class); `AccountError` and nothing stored when
    any part is wrong."""
    if new.role not in p.ROLES:
        raise AccountError(
            f"unknown role {new.role!r}; one of: {', '.join(p.ROLES)}",
            f"el rol «{new.role}» no existe",
        )
    name = check_name(new.name)
    phone = check_phone(new.phone) if new.phone else None
    email = new.email.strip().lower() if new.email else None
    if email is not None:
        if not _EMAIL.match(email):
            raise AccountError(f"{email!r} is not an email address", f"«{email}» no es un correo")
        if session.scalar(select(p.User.id).where(p.User.email == email)) is not None:
            raise AccountError(
                f"another user already has the email {email}",
                f"otro usuario ya tiene el correo {email}",
            )
    language = new.language.strip().lower() if new.language else None
    if language is not None and language not in LANGUAGES:
        raise AccountError(
            f"unknown language {new.language!r}; one of: {', '.join(LANGUAGES)}",
            f"el idioma «{new.language}» no es uno de: {', '.join(LANGUAGES)}",
        )
    if new.pin is not None and not _PIN.match(new.pin):
        raise AccountError("the PIN must be 4 to 8 digits", "el PIN debe tener de 4 a 8 dígitos")
    if new.password is not None and len(new.password) < MIN_PASSWORD:
        raise AccountError(
            f"the password is too short: at least {MIN_PASSWORD} characters",
            f"la contraseña es muy corta: al menos {MIN_PASSWORD} caracteres",
        )
    if new.role in ("admin", "creator") and not new.password:
        raise AccountError(
            f"a {new.role} signs in to the console: give a password",
            "este rol entra a la consola: escribe una contraseña",
        )
    if new.role == "teacher" and not (new.password or new.pin):
        raise AccountError(
            "a teacher needs a password (console) or a PIN (phone), or both",
            "un docente necesita una contraseña (consola) o un PIN (teléfono), o ambos",
        )
    if new.role in CONSOLE_ROLES and new.password and not (email or phone):
        raise AccountError(
            "to sign in, a user needs an email or a phone number",
            "para entrar, el usuario necesita un correo o un teléfono",
        )
    if new.role == "parent" and not phone:
        raise AccountError(
            "a parent is recognised by their phone number: give one",
            "al apoderado se le reconoce por su teléfono: escríbelo",
        )
    if new.children and new.role != "parent":
        raise AccountError("only a parent has children (--child)", "solo un apoderado tiene hijos")
    if new.class_id is not None and new.role != "teacher":
        raise AccountError(
            "only a teacher has a class (--class)", "solo un docente tiene una clase"
        )
    if phone and new.role in CONSOLE_ROLES and new.password:
        taken = session.scalar(
            select(p.User.id).where(p.User.phone == phone, p.User.password_hash.is_not(None))
        )
        if taken is not None:
            raise AccountError(
                f"user {taken} already signs in with that phone number",
                f"el usuario {taken} ya entra con ese teléfono",
            )
    missing = sorted(set(new.children) - _existing_students(session, new.children))
    if missing:
        raise AccountError(
            f"no student with id {', '.join(map(str, missing))}",
            f"no hay alumno con id {', '.join(map(str, missing))}",
        )
    school_class = None
    if new.class_id is not None:
        school_class = session.get(p.SchoolClass, new.class_id)
        if school_class is None:
            raise AccountError(
                f"no class with id {new.class_id}", f"no hay clase con id {new.class_id}"
            )
        if school_class.teacher_id is not None:
            raise AccountError(
                f"class {new.class_id} already has a teacher (user {school_class.teacher_id})",
                f"la clase {new.class_id} ya tiene docente (usuario {school_class.teacher_id})",
            )
    user = p.User(
        role=new.role,
        name=name,
        phone=phone,
        email=email,
        password_hash=hash_secret(new.password) if new.password else None,
        pin_hash=hash_secret(new.pin) if new.pin else None,
        language=language or _first_childs_language(session, new.children),
    )
    session.add(user)
    session.flush()
    for student_id in dict.fromkeys(new.children):
        session.add(p.ParentChild(parent_id=user.id, student_id=student_id))
    if school_class is not None:
        school_class.teacher_id = user.id
    session.flush()
    return user


def _first_childs_language(session: Session, children: Sequence[int]) -> str:
    """A parent's calls speak their child's language until they choose another (by 9)."""
    if not children:
        return "es"
    student = session.get(m.Student, children[0])
    return student.language if student is not None else "es"


def _existing_students(session: Session, ids: Iterable[int]) -> set[int]:
    ids = list(ids)
    if not ids:
        return set()
    return set(session.scalars(select(m.Student.id).where(m.Student.id.in_(ids))))


def find_login(session: Session, login: str) -> p.User | None:
    """The active console user who signs in as `login` (an email or a phone number)."""
    login = login.strip()
    column = p.User.email if "@" in login else p.User.phone
    value = login.lower() if "@" in login else login.replace(" ", "")
    return session.scalar(
        select(p.User).where(
            column == value,
            p.User.active.is_(True),
            p.User.password_hash.is_not(None),
            p.User.role.in_(CONSOLE_ROLES),
        )
    )


def everyone(session: Session, role: str | None = None) -> list[dict[str, Any]]:
    """Every user and student (role "student"), as plain rows, by role then id."""
    rows: list[dict[str, Any]] = []
    if role in (None, "student"):
        classes = {
            row.student_id: row.class_id
            for row in session.execute(select(p.ClassStudent.student_id, p.ClassStudent.class_id))
        }
        for s in session.scalars(select(m.Student).order_by(m.Student.id)):
            rows.append(
                {
                    "role": "student",
                    "id": s.id,
                    "name": s.name,
                    "phone": s.phone,
                    "grade": s.grade,
                    "language": s.language,
                    "class_id": classes.get(s.id),
                }
            )
    if role == "student":
        return rows
    children: dict[int, list[int]] = {}
    for parent_id, student_id in session.execute(
        select(p.ParentChild.parent_id, p.ParentChild.student_id).order_by(p.ParentChild.student_id)
    ):
        children.setdefault(parent_id, []).append(student_id)
    taught: dict[int, list[int]] = {}
    for class_id, teacher_id in session.execute(
        select(p.SchoolClass.id, p.SchoolClass.teacher_id).order_by(p.SchoolClass.id)
    ):
        if teacher_id is not None:
            taught.setdefault(teacher_id, []).append(class_id)
    query = select(p.User).order_by(p.User.role, p.User.id)
    if role is not None:
        query = query.where(p.User.role == role)
    for u in session.scalars(query):
        row: dict[str, Any] = {
            "role": u.role,
            "id": u.id,
            "name": u.name,
            "phone": u.phone,
            "email": u.email,
            "active": u.active,
            "password": u.password_hash is not None,
            "pin": u.pin_hash is not None,
            "language": u.language,
        }
        if u.role == "parent":
            row["children"] = children.get(u.id, [])
        if u.role == "teacher":
            row["classes"] = taught.get(u.id, [])
        rows.append(row)
    return rows
