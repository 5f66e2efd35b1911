"""The console for teachers, content creators and administrators: server-rendered pages at
``/`` (``/login`` signs in), Spanish by default, no JavaScript framework, charts drawn as
SVG on the server. Every form carries a CSRF token; session cookies are Secure and HttpOnly
(browsers accept Secure cookies on http://localhost, so development works without TLS).
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

from flask import Flask, Response, request
from flask_babel import Babel
from flask_wtf.csrf import CSRFProtect

from yachay.config import Settings

csrf = CSRFProtect()
babel = Babel()

#: A content pack upload (a .zip) may be this large; a request over it gets 413.
MAX_UPLOAD_BYTES = 40 * 1024 * 1024
#: The console runs no script and loads nothing from elsewhere; recordings are the exception
#: (the phone provider keeps them: /questions/<id>/recording redirects there).
CSP = (
    "default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'; media-src 'self' https: http:"
)


def init_app(app: Flask) -> None:
    from yachay.web import admin, auth, content, needs_help, phone_requests, student_data, teacher

    settings: Settings = app.config["YACHAY"]
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = settings.secret_key or _stored_secret(settings.var_dir)
    app.config.update(
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=True,
        REMEMBER_COOKIE_HTTPONLY=True,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        MAX_CONTENT_LENGTH=MAX_UPLOAD_BYTES,
        WTF_CSRF_TIME_LIMIT=None,  # the session's own lifetime bounds the token
        BABEL_DEFAULT_LOCALE="es",
        BABEL_DEFAULT_TIMEZONE="America/Lima",
    )
    # Only the console's own forms are checked: Twilio's webhooks carry a signature instead,
    # and cannot send a token.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    csrf.init_app(app)
    babel.init_app(app)
    auth.login_manager.init_app(app)
    blueprints = (
        auth.bp,
        teacher.bp,
        needs_help.bp,
        phone_requests.bp,
        student_data.bp,
        content.bp,
        admin.bp,
    )
    for blueprint in blueprints:
        app.register_blueprint(blueprint)

    @app.before_request
    def _console_csrf() -> None:
        if (request.blueprint or "").startswith("console_"):
            csrf.protect()

    @app.after_request
    def _console_headers(response: Response) -> Response:
        if (request.blueprint or "").startswith("console_"):
            response.headers.setdefault("Content-Security-Policy", CSP)
            response.headers.setdefault("X-Content-Type-Options", "nosniff")
            response.headers.setdefault("Referrer-Policy", "same-origin")
        return response


def _stored_secret(var_dir: Path) -> str:
    """A key generated once per installation, so sessions survive a restart."""
    path = var_dir / "console_secret_key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key + "\n")
    path.chmod(0o600)
    return key
