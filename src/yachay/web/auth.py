"""Signing in and out, the signed-in user, and the role check every console view makes."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from yachay.db import people as p
from yachay.db.database import Database
from yachay.db.models import utcnow
from yachay.db.phone_roles import mask_phone
from yachay.web.accounts import find_login, verify_secret

log = logging.getLogger(__name__)
#: Holds the console's templates and its stylesheet for every blueprint of the console.
bp = Blueprint(
    "console_auth",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/console/static",
)
login_manager = LoginManager()
login_manager.login_view = "console_auth.login"
login_manager.login_message = None  # the login page says enough
# "basic": a mobile link changes IP often; "strong" would sign a teacher out each time.
login_manager.session_protection = "basic"

F = TypeVar("F", bound=Callable[..., Any])
#: Wrong passwords in a row before an account waits `LOCK`: guessing slows to a crawl, and
#: the owner only waits (no administrator needed to unlock).
MAX_FAILED = 5
LOCK = timedelta(minutes=15)


@dataclass(frozen=True)
class ConsoleUser:
    """The signed-in user, as Flask-Login needs it (not the ORM row: no session to hold)."""

    id: int
    role: str
    name: str
    is_active: bool = True
    is_authenticated: bool = True
    is_anonymous: bool = False

    def get_id(self) -> str:
        return str(self.id)


def database() -> Database:
    return current_app.extensions["yachay.db"]


@contextmanager
def reading() -> Iterator[Session]:
    """A read-only session whose rows stay readable after it ends (for the template)."""
    with database().read_session() as session:
        yield session
        session.expunge_all()


@login_manager.user_loader
def _load(user_id: str) -> ConsoleUser | None:
    if not user_id.isdigit():
        return None
    with database().read_session() as session:
        user = session.get(p.User, int(user_id))
        if user is None or not user.active or user.password_hash is None:
            return None
        return ConsoleUser(user.id, user.role, user.name)


def roles(*allowed: str) -> Callable[[F], F]:
    """Anonymous: to the login page; signed in with another role: 403."""

    def decorate(view: F) -> F:
        @wraps(view)
        def check(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        check.console_roles = allowed  # type: ignore[attr-defined]
        return check  # type: ignore[return-value]

    return decorate


class LoginForm(FlaskForm):
    login = StringField("login", validators=[DataRequired(), Length(max=200)])
    password = PasswordField("password", validators=[DataRequired(), Length(max=200)])


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("console_teacher.home"))
    form = LoginForm()
    failed = False
    if form.validate_on_submit():
        signed_in = _check(form.login.data or "", form.password.data or "")
        if signed_in is not None:
            login_user(signed_in)
            log.info("console sign-in: user %s (%s)", signed_in.id, signed_in.role)
            return redirect(_safe_next(request.args.get("next")))
        failed = True
    elif request.method == "POST":
        failed = True
    if failed:
        # The same words for a wrong password, an unknown user and a locked account.
        flash(_("No pudimos iniciar tu sesión: el usuario o la contraseña no son correctos."))
    return render_template("console/login.html", form=form), 401 if failed else 200


def _check(login: str, password: str) -> ConsoleUser | None:
    """The user when the password is right and the account not locked; else None, and the
    failure counted (`MAX_FAILED` in a row lock the account for `LOCK`)."""
    now = utcnow()
    with database().session() as session:
        user = find_login(session, login)
        if user is None:
            verify_secret(None, password)  # as slow as a real check
            log.info("console sign-in failed: no such user (%s)", _masked(login))
            return None
        if user.locked_until is not None and user.locked_until > now:
            verify_secret(None, password)
            log.info("console sign-in refused: user %s is locked", user.id)
            return None
        if not verify_secret(user.password_hash, password):
            user.failed_logins += 1
            if user.failed_logins >= MAX_FAILED:
                user.locked_until = now + LOCK
                user.failed_logins = 0
                log.warning("console user %s locked for %s after %d wrong passwords",
                            user.id, LOCK, MAX_FAILED)  # fmt: skip
            else:
                log.info("console sign-in failed: wrong password for user %s", user.id)
            return None
        user.failed_logins = 0
        user.locked_until = None
        user.last_login_at = now
        return ConsoleUser(user.id, user.role, user.name)


def _masked(login: str) -> str:
    return "an email" if "@" in login else mask_phone(login)


@bp.post("/logout")
def logout() -> Any:
    logout_user()
    return redirect(url_for("console_auth.login"))


def _safe_next(target: str | None) -> str:
    """Only a path on this site: an open redirect would help a phishing page."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/"):
            return target
    return url_for("console_teacher.home")
