"""The console gives parents and teachers the language their calls speak: the admin's user
form, the roster's forms and its CSV file (a new parent takes the child's language unless
another is chosen); a bad language is refused in Spanish and nothing is stored."""

from __future__ import annotations

import io

from sqlalchemy import select

from tests.web.conftest import csrf_token, sign_in
from yachay.db import people as p


def _post(client, url: str, data: dict, **kwargs):
    token = csrf_token(client.get("/login", follow_redirects=True).text)
    return client.post(url, data={"csrf_token": token, **data}, follow_redirects=True, **kwargs)


def _language(app, phone: str) -> list[str]:
    with app.extensions["yachay.db"].read_session() as session:
        query = select(p.User.language).where(p.User.phone == phone).order_by(p.User.id)
        return list(session.scalars(query))


def test_the_admin_gives_a_teacher_a_language_and_the_list_shows_it(console):
    app, _data = console
    client = app.test_client()
    sign_in(client, "admin@ie.pe")
    form = {"role": "teacher", "name": "Sumaq", "phone": "+51987500001", "pin": "2468"}
    page = _post(client, "/admin/users", {**form, "language": "qu"}).text
    assert "creado: Sumaq" in page
    assert _language(app, "+51987500001") == ["qu"]
    assert '<span lang="qu">runasimi</span>' in page
    assert '<select name="language"><option value="es">español</option>' in page
    refused = _post(
        client, "/admin/users", {**form, "phone": "+51987500002", "language": "fr"}
    ).text
    assert "el idioma «fr» no es uno de: es, qu, ay" in refused
    assert _language(app, "+51987500002") == []


def test_the_roster_sets_a_parents_language_or_gives_them_the_childs(console):
    app, data = console
    client = app.test_client()
    sign_in(client, "teacher@ie.pe")
    chosen = _post(
        client,
        f"/classes/{data.own_class}/parents",
        {"student_id": str(data.own_student), "nombre": "Papá", "telefono": "+51987500011",
         "idioma": "ay"},
    ).text  # fmt: skip
    assert "Apoderado agregado para Ana Mamani" in chosen
    assert 'Papá <small lang="ay">(aymar aru)</small>' in chosen
    assert _language(app, "+51987500011") == ["ay"]
    refused = _post(
        client,
        f"/classes/{data.own_class}/parents",
        {"student_id": str(data.own_student), "nombre": "Tía", "telefono": "+51987500012",
         "idioma": "xx"},
    ).text  # fmt: skip
    assert "el idioma «xx» no es uno de: es, qu, ay" in refused
    assert _language(app, "+51987500012") == []
    _post(
        client,
        f"/classes/{data.own_class}/students",
        {"nombre": "Nina", "telefono": "+51987500013", "grado": "4", "idioma": "qu",
         "apoderado": "Eva", "telefono_apoderado": "+51987500014"},
    )  # fmt: skip
    assert _language(app, "+51987500014") == ["qu"]  # the child's


def test_a_roster_file_gives_parents_their_language_and_refuses_an_unknown_one(console):
    app, data = console
    client = app.test_client()
    sign_in(client, "teacher@ie.pe")
    header = "nombre,telefono,grado,idioma,apoderado,telefono_apoderado,idioma_apoderado\n"
    bad = header + (
        "Kusi,+51987500021,2,ay,Juana,+51987500022,\n"
        "Wayra,+51987500023,2,es,Pedro,+51987500024,fr\n"
    )
    url = f"/classes/{data.own_class}/roster"
    page = _post(client, url, {"archivo": (io.BytesIO(bad.encode()), "lista.csv")}).text
    assert "línea 3: el idioma del apoderado «fr» no es uno de: es, qu, ay" in page
    assert _language(app, "+51987500022") == []  # nothing from a file with errors
    good = bad.replace(",fr\n", ",QU\n")
    page = _post(client, url, {"archivo": (io.BytesIO(good.encode()), "lista.csv")}).text
    assert "2 alumnos agregados desde el archivo" in page
    assert _language(app, "+51987500022") == ["ay"]  # the child's
    assert _language(app, "+51987500024") == ["qu"]  # chosen
