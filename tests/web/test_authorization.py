"""Generated over every console route: anonymous callers go to the login page, a wrong role
gets 403, and a teacher who names another class's class, student, recording, callback request
or recorded lesson gets 404."""

from __future__ import annotations

import pytest

from tests.web.conftest import csrf_token, sign_in
from yachay.app import create_app

#: The console's routes that anyone may open.
PUBLIC = {"console_auth.login", "console_auth.logout", "console_auth.static"}
SCOPED = {"class_id", "student_id", "question_id", "callback_id", "recording_id"}
SIGN_IN = {"admin": "admin@ie.pe", "teacher": "teacher@ie.pe", "creator": "creator@ie.pe"}


def _rules():
    # Only the route table is read: nothing is written (secrets given, database in memory).
    app = create_app({"database_url": "sqlite://", "secret_key": "x", "twilio_auth_token": "x"})
    rules = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("console_") or rule.endpoint in PUBLIC:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            roles = getattr(app.view_functions[rule.endpoint], "console_roles", None)
            rules.append(pytest.param(rule.rule, method, roles, id=f"{method} {rule.rule}"))
    return rules


RULES = _rules()


def _url(rule: str, data, own: bool = True) -> str:
    values = {
        "class_id": data.own_class if own else data.other_class,
        "student_id": data.own_student if own else data.other_student,
        "question_id": data.own_question if own else data.other_question,
        "callback_id": data.own_callback if own else data.other_callback,
        "recording_id": data.own_recording if own else data.other_recording,
        "token": "0123456789abcdef",
        "lesson_id": "demo-l1",
        "user_id": data.parent,
        "path": "audio/uno.wav",
    }
    for name, value in values.items():
        for converter in ("int:", "path:", ""):
            rule = rule.replace(f"<{converter}{name}>", str(value))
    assert "<" not in rule, f"no test value for a parameter of {rule}"
    return rule


def _request(client, method: str, url: str):
    if method == "GET":
        return client.get(url)
    token = csrf_token(client.get("/login", follow_redirects=True).text)
    return client.post(url, data={"csrf_token": token})


def test_the_console_has_routes_and_every_one_checks_a_role():
    assert len(RULES) >= 20
    unchecked = [p.values[0] for p in RULES if p.values[2] is None]
    assert unchecked == [], "console routes without @roles(...)"


@pytest.mark.parametrize(("rule", "method", "roles"), RULES)
def test_anonymous_callers_are_sent_to_the_login_page(shared_console, rule, method, roles):
    app, data = shared_console
    response = _request(app.test_client(), method, _url(rule, data))
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize(
    ("rule", "method", "roles"), [p for p in RULES if set(SIGN_IN) - set(p.values[2] or ())]
)
def test_a_wrong_role_gets_403(shared_console, rule, method, roles):
    app, data = shared_console
    for role in [role for role in SIGN_IN if role not in roles]:
        client = app.test_client()
        assert sign_in(client, SIGN_IN[role]).status_code == 302
        assert _request(client, method, _url(rule, data)).status_code == 403, role


SCOPED_RULES = [p for p in RULES if any(f"<int:{name}>" in p.values[0] for name in SCOPED)]


@pytest.mark.parametrize(("rule", "method", "roles"), SCOPED_RULES)
def test_another_class_is_404_for_a_teacher_and_visible_to_an_admin(
    shared_console, rule, method, roles
):
    app, data = shared_console
    teacher = app.test_client()
    sign_in(teacher, "teacher@ie.pe")
    if "teacher" in roles:
        assert _request(teacher, method, _url(rule, data, own=False)).status_code == 404
        assert _request(teacher, method, _url(rule, data, own=True)).status_code in (200, 302)
    admin = app.test_client()
    sign_in(admin, "admin@ie.pe")
    assert _request(admin, method, _url(rule, data, own=False)).status_code in (200, 302)


def test_a_teacher_sees_only_their_classes_on_the_home_page(shared_console):
    app, _data = shared_console
    client = app.test_client()
    sign_in(client, "teacher@ie.pe")
    page = client.get("/").text
    assert "1.º A" in page
    assert "1.º B" not in page
