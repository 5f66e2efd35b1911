"""The console's pages on a real database, through Flask's test client: signing in, the
roster and its CSV upload, a student's record and the access log, the recorded questions,
the class export, and a content pack from upload to publication."""

from __future__ import annotations

import csv
import io
import logging
import re
import zipfile
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from tests.web.conftest import PASSWORD, csrf_token, sign_in
from yachay.content.audio import AudioStore
from yachay.db import models as m
from yachay.db import people as p
from yachay.db.models import utcnow
from yachay.tutor.registry import Pointer, write_pointer

ROOT = Path(__file__).resolve().parents[2]
FAILED = "el usuario o la contraseña no son correctos"


def _post(client, url: str, data: dict | None = None, **kwargs):
    token = csrf_token(client.get("/login", follow_redirects=True).text)
    return client.post(url, data={"csrf_token": token, **(data or {})}, **kwargs)


def _count(app, model) -> int:
    with app.extensions["yachay.db"].read_session() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_sign_in_sets_a_secure_httponly_cookie_and_lands_on_the_classes(console):
    app, _data = console
    client = app.test_client()
    response = sign_in(client, "teacher@ie.pe")
    assert response.status_code == 302
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    home = client.get("/")
    assert "script-src 'none'" in home.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in home.headers["Content-Security-Policy"]
    page = home.text
    assert "Hola, Jorge Docente" in page
    assert '<html lang="es">' in page


def test_a_failed_sign_in_does_not_say_which_half_was_wrong(console, caplog):
    app, _data = console
    caplog.set_level(logging.INFO)
    wrong_password = sign_in(app.test_client(), "teacher@ie.pe", "no-es-la-clave")
    unknown_user = sign_in(app.test_client(), "nadie@ie.pe", PASSWORD)
    phone = sign_in(app.test_client(), "+51987000001", PASSWORD)
    for response in (wrong_password, unknown_user, phone):
        assert response.status_code == 401
        assert FAILED in response.text
    assert wrong_password.text.replace('value="teacher@ie.pe"', "").split("<main>")[1].count(
        "contraseña"
    ) == unknown_user.text.replace('value="nadie@ie.pe"', "").split("<main>")[1].count("contraseña")
    assert "987000001" not in caplog.text
    assert "nadie@ie.pe" not in caplog.text


def test_a_form_without_its_csrf_token_is_refused(console):
    app, data = console
    client = app.test_client()
    sign_in(client, "teacher@ie.pe")
    response = client.post(
        f"/classes/{data.own_class}/students",
        data={"nombre": "Sin token", "telefono": "+51987000099", "grado": "2"},
    )
    assert response.status_code == 400
    assert _count(app, m.Student) == 2


def test_a_roster_file_with_a_bad_row_stores_nothing_and_names_each_bad_line(console):
    app, data = console
    client = app.test_client()
    sign_in(client, "teacher@ie.pe")
    bad = (
        "nombre,telefono,grado,idioma,apoderado,telefono_apoderado\n"
        "Rosa Huamán,+51987100001,2,es,Elena,+51987100009\n"
        "Pedro,987,2,es,,\n"
        "Juana,+51987100003,9,xx,,\n"
    )
    response = _post(
        client,
        f"/classes/{data.own_class}/roster",
        {"archivo": (io.BytesIO(bad.encode()), "lista.csv")},
        follow_redirects=True,
    )
    assert "No se guardó nada del archivo" in response.text
    assert "línea 3: el teléfono «987» no es un número como +51987654321" in response.text
    assert "línea 4: el grado «9» no es un número del 1 al 6; el idioma «xx»" in response.text
    assert "línea 2" not in response.text
    assert _count(app, m.Student) == 2
    good = bad.splitlines()[:2] + ["Pedro,+51987100002,3,qu,Elena,+51987100009"]
    response = _post(
        client,
        f"/classes/{data.own_class}/roster",
        {"archivo": (io.BytesIO("\n".join(good).encode()), "lista.csv")},
        follow_redirects=True,
    )
    assert "2 alumnos agregados desde el archivo" in response.text
    with app.extensions["yachay.db"].read_session() as session:
        names = session.scalars(
            select(m.Student.name)
            .join(p.ClassStudent, p.ClassStudent.student_id == m.Student.id)
            .where(p.ClassStudent.class_id == data.own_class)
            .order_by(m.Student.id)
        ).all()
        assert names == ["Ana Mamani", "Rosa Huamán", "Pedro"]
        elena = session.scalars(select(p.User).where(p.User.phone == "+51987100009")).one()
        assert elena.role == "parent"
        links = select(p.ParentChild).where(p.ParentChild.parent_id == elena.id)
        assert len(session.scalars(links).all()) == 2


def test_students_and_parents_are_added_one_by_one(console):
    app, data = console
    client = app.test_client()
    sign_in(client, "teacher@ie.pe")
    page = _post(
        client,
        f"/classes/{data.own_class}/students",
        {"nombre": "Nina", "telefono": "+51987200001", "grado": "4", "idioma": "ay"},
        follow_redirects=True,
    ).text
    assert "Alumno agregado: Nina" in page and ">Nina</a>" in page
    refused = _post(
        client,
        f"/classes/{data.own_class}/parents",
        {"student_id": str(data.own_student), "nombre": "Papá", "telefono": "12"},
        follow_redirects=True,
    ).text
    assert "el teléfono «12» no es un número" in refused
    added = _post(
        client,
        f"/classes/{data.own_class}/parents",
        {"student_id": str(data.own_student), "nombre": "Papá Mamani", "telefono": "+51987200002"},
        follow_redirects=True,
    ).text
    assert "Apoderado agregado para Ana Mamani" in added
    assert 'Marta <small lang="es">(español)</small>, Papá Mamani' in added


def test_a_student_page_draws_both_charts_and_is_written_to_the_access_log(console):
    app, data = console
    client = app.test_client()
    sign_in(client, "teacher@ie.pe")
    page = client.get(f"/students/{data.own_student}").text
    assert page.count("<svg") == 2
    assert 'data-chart="skills"' in page and 'data-chart="minutes"' in page
    # Sumar: 3 of 4 right; Restar: 0 of 2 (weakest first).
    assert page.index(">Restar<") < page.index(">Sumar<")
    assert "75 % (4)" in page and "0 % (2)" in page
    assert ">9</text>" in page  # this week's minutes: 300 s + 240 s
    assert "¿Cuánto es 0 + 1?" in page
    admin = app.test_client()
    sign_in(admin, "admin@ie.pe")
    log = admin.get("/admin/access-log").text
    assert "Jorge Docente (3)" in log and "ficha del alumno" in log
    with app.extensions["yachay.db"].read_session() as session:
        entry = session.scalars(select(p.AccessLog)).one()
        assert (entry.user_id, entry.student_id) == (data.teacher, data.own_student)


def test_a_student_page_says_how_the_student_learns(console):
    app, data = console
    client = app.test_client()
    sign_in(client, "teacher@ie.pe")
    # The seeded answers carry no response times and one area only: nothing to say yet.
    page = client.get(f"/students/{data.own_student}").text
    assert "Cómo aprende" in page
    assert "Todavía no hay respuestas suficientes para describir cómo aprende." in page
    # Today's call: sums right and subtractions wrong, about four seconds each.
    now = utcnow()
    with app.extensions["yachay.db"].session() as session:
        for n, (qid, correct, ms) in enumerate(
            [("demo-q0", True, 4000), ("demo-q2", False, 3800)] * 3 + [("demo-q1", True, 4400)]
        ):
            session.add(
                m.Answer(
                    student_id=data.own_student, question_id=qid, lesson_id="demo-l1",
                    choice=1 if correct else 2, correct=correct, call_sid="CA9", step=n,
                    response_ms=ms, answered_at=now - timedelta(minutes=10 - n),
                )
            )  # fmt: skip
    section = client.get(f"/students/{data.own_student}").text.split('id="profile"')[1]
    section = section.split("</section>")[0]
    assert "<li>Suele responder en unos 4 segundos.</li>" in section
    assert "<li>Su tema más fuerte es «Sumar»; el que más le cuesta, «Restar».</li>" in section
    assert "no hay respuestas suficientes" not in section


def test_the_question_queue_plays_the_recording_and_marks_it_answered(console):
    app, data = console
    client = app.test_client()
    sign_in(client, "teacher@ie.pe")
    queue = client.get(f"/classes/{data.own_class}/questions").text
    assert (
        f'<audio controls preload="none" src="/questions/{data.own_question}/recording">' in queue
    )
    assert "Luis Condori" not in queue
    recording = client.get(f"/questions/{data.own_question}/recording")
    assert recording.status_code == 302
    assert recording.headers["Location"].endswith("/Recordings/RE1.mp3")
    done = _post(client, f"/questions/{data.own_question}/answered", follow_redirects=True).text
    assert "Pregunta marcada como respondida" in done and "Respondida" in done
    with app.extensions["yachay.db"].read_session() as session:
        assert session.get(m.TeacherQuestion, data.own_question).status == "answered"
        assert session.get(m.TeacherQuestion, data.other_question).status == "new"


def test_the_class_export_is_a_csv_of_the_class_and_is_logged(console):
    app, data = console
    client = app.test_client()
    sign_in(client, "teacher@ie.pe")
    response = client.get(f"/classes/{data.own_class}/export.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["nombre"], r["respuestas"], r["correctas"], r["minutos_total"]) for r in rows] == [
        ("Ana Mamani", "6", "3", "21.0")
    ]
    assert _count(app, p.AccessLog) == 1


def _zip(folder: Path) -> io.BytesIO:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, f"{folder.name}/{path.relative_to(folder)}")
    out.seek(0)
    return out


def test_a_broken_pack_shows_each_problem_by_file_and_line_and_imports_nothing(console):
    app, _data = console
    client = app.test_client()
    sign_in(client, "creator@ie.pe")
    broken = ROOT / "tests/content/broken/bad-grade"
    response = _post(client, "/content/upload", {"paquete": (_zip(broken), "paquete.zip")})
    assert response.status_code == 422
    where = '<span class="file">bad-grade/lessons/g1-contar.yaml</span>, línea <span class="line">3'
    assert where in response.text
    assert "grade must be a whole number from 1 to 6" in response.text
    assert _count(app, m.ContentPack) == 1
    assert not any((Path(app.config["YACHAY"].var_dir) / "console" / "staged").iterdir())
    not_zip = _post(
        client,
        "/content/upload",
        {"paquete": (io.BytesIO(b"hola"), "x.zip")},
        follow_redirects=True,
    )
    assert "El archivo no es un .zip" in not_zip.text


def test_a_valid_pack_is_previewed_as_text_then_published(console):
    app, _data = console
    client = app.test_client()
    sign_in(client, "creator@ie.pe")
    folder = ROOT / "content/packs/comunicacion-escucha"
    response = _post(client, "/content/upload", {"paquete": (_zip(folder), "paquete.zip")})
    assert response.status_code == 302
    staged = client.get(response.headers["Location"]).text
    assert "revisado sin problemas" in staged
    assert _count(app, m.ContentPack) == 1
    lesson = staged.split("/lessons/")[1].split('"')[0]
    preview = client.get(response.headers["Location"] + f"/lessons/{lesson}").text
    assert "Lo que escucha el alumno" in preview and '<ol class="segments"><li>' in preview
    killa = response.headers["Location"] + "/lessons/g1-killa-busca-a-copito"
    spanish = client.get(killa).text
    assert "Sin grabación: durante la llamada lo lee la voz" in spanish
    quechua = client.get(killa + "?idioma=qu").text
    assert "Traducción sin revisar por un hablante nativo" in quechua
    if AudioStore.available():
        src = re.search(r'<audio controls preload="none" src="(/audio/qu/[^"]+)"', quechua)
        assert src, "a Quechua segment has no audio to preview"
        with client.get(src.group(1)) as spoken:
            assert spoken.status_code == 200 and spoken.data[:4] == b"RIFF"
    published = _post(client, response.headers["Location"] + "/publish", follow_redirects=True)
    assert "Publicado: comunicacion-escucha" in published.text
    assert _count(app, m.ContentPack) == 2
    assert _count(app, m.Lesson) > 1
    installed = Path(app.config["YACHAY"].content_dir) / "packs" / "comunicacion-escucha"
    assert (installed / "pack.yaml").read_bytes() == (folder / "pack.yaml").read_bytes()
    # Publishing again (an edited pack) replaces the installed folder and updates in place.
    again = _post(client, "/content/upload", {"paquete": (_zip(folder), "paquete.zip")})
    republished = _post(client, again.headers["Location"] + "/publish", follow_redirects=True)
    assert "Publicado: comunicacion-escucha" in republished.text
    assert sorted(p.name for p in installed.parent.iterdir()) == ["comunicacion-escucha"]


def test_the_admin_creates_a_school_a_class_and_its_teacher_and_reads_the_status(console):
    app, _data = console
    client = app.test_client()
    sign_in(client, "admin@ie.pe")
    created = _post(client, "/admin/schools", {"name": "IE 2"}, follow_redirects=True)
    assert "Colegio creado: IE 2" in created.text
    with app.extensions["yachay.db"].read_session() as session:
        school = session.scalars(select(p.School).where(p.School.name == "IE 2")).one().id
    _post(client, "/admin/classes", {"school_id": str(school), "name": "6.º C", "grade": "6"})
    with app.extensions["yachay.db"].read_session() as session:
        query = select(p.SchoolClass.id).where(p.SchoolClass.name == "6.º C")
        new_class = session.scalars(query).one()
    page = _post(
        client,
        "/admin/users",
        {"role": "teacher", "name": "Nueva Docente", "email": "nueva@ie.pe",
         "password": "una clave larga", "class_id": str(new_class)},
        follow_redirects=True,
    ).text  # fmt: skip
    assert "creado: Nueva Docente" in page
    teacher = app.test_client()
    assert sign_in(teacher, "nueva@ie.pe", "una clave larga").status_code == 302
    assert "6.º C" in teacher.get("/").text
    status = client.get("/admin").text
    assert "Llamadas hoy</dt><dd>" in status
    assert "Alumnos activos esta semana</dt><dd>1</dd>" in status
    assert "Sin modelo entrenado" in status
    pointer = Pointer(3, "models/v3.pt", "dkt", promoted_at="2026-12-01T10:00:00")
    write_pointer(app.config["YACHAY"].tutor_dir, pointer)
    assert "Versión 3 · dkt · en producción desde 2026-12-01" in client.get("/admin").text


def test_a_wrong_user_in_the_admin_form_is_refused_in_spanish(console):
    app, _data = console
    client = app.test_client()
    sign_in(client, "admin@ie.pe")
    form = {"role": "creator", "name": "Corto", "email": "corto@ie.pe", "password": "corta"}
    page = _post(client, "/admin/users", form, follow_redirects=True).text
    assert "la contraseña es muy corta: al menos 8 caracteres" in page
    assert _count(app, p.User) == 6  # as seeded: nobody was added


def test_a_spreadsheet_csv_with_semicolons_and_local_numbers_is_read(console):
    app, data = console
    client = app.test_client()
    sign_in(client, "teacher@ie.pe")
    sheet = "nombre;telefono;grado\r\nQori Ccama;987 300 001;5\r\n"
    page = _post(
        client,
        f"/classes/{data.own_class}/roster",
        {"archivo": (io.BytesIO(sheet.encode("utf-8-sig")), "lista.csv")},
        follow_redirects=True,
    ).text
    assert "1 alumnos agregados desde el archivo" in page
    with app.extensions["yachay.db"].read_session() as session:
        qori = session.scalars(select(m.Student).where(m.Student.name == "Qori Ccama")).one()
        assert (qori.phone, qori.grade, qori.language) == ("+51987300001", 5, "es")


def test_the_needs_help_list_ranks_the_class_with_the_tutors_reasons(console):
    app, data = console
    now = utcnow()
    with app.extensions["yachay.db"].session() as session:
        for n, student in enumerate([data.own_student, data.own_student, data.other_student]):
            session.add(
                m.Call(sid=f"CAcut{n}", phone="+51987000001", student_id=student,
                       status="completed", duration_seconds=40, state={"node": "question"},
                       started_at=now - timedelta(days=n + 1),
                       ended_at=now - timedelta(days=n + 1))
            )  # fmt: skip
    client = app.test_client()
    sign_in(client, "teacher@ie.pe")
    page = client.get(f"/classes/{data.own_class}/needs-help").text
    assert "Ana Mamani" in page and "a mitad de la lección" in page
    assert "Luis Condori" not in page


def test_five_wrong_passwords_lock_the_account_for_a_while_without_saying_so(console):
    app, data = console
    for _attempt in range(5):
        assert sign_in(app.test_client(), "teacher@ie.pe", "no-es-la-clave").status_code == 401
    locked = sign_in(app.test_client(), "teacher@ie.pe")
    assert locked.status_code == 401 and FAILED in locked.text
    with app.extensions["yachay.db"].session() as session:
        user = session.get(p.User, data.teacher)
        assert user.locked_until is not None
        user.locked_until = utcnow() - timedelta(seconds=1)  # the 15 minutes went by
    assert sign_in(app.test_client(), "teacher@ie.pe").status_code == 302


def test_an_admin_puts_a_student_who_registered_by_phone_in_a_class(console):
    app, data = console
    with app.extensions["yachay.db"].session() as session:
        caller = m.Student(phone="+51987400001", name="Sumaq", language="qu", grade=2)
        session.add(caller)
        session.flush()
        caller_id = caller.id
    teacher = app.test_client()
    sign_in(teacher, "teacher@ie.pe")
    assert teacher.get(f"/students/{caller_id}").status_code == 404
    admin = app.test_client()
    sign_in(admin, "admin@ie.pe")
    page = admin.get("/admin/students").text
    assert "Sumaq" in page and "Ana Mamani" not in page
    done = _post(
        admin,
        f"/admin/students/{caller_id}/class",
        {"class_id": str(data.own_class)},
        follow_redirects=True,
    ).text
    assert "Sumaq está ahora en 1.º A" in done and "Todos los alumnos tienen clase" in done
    assert teacher.get(f"/students/{caller_id}").status_code == 200
