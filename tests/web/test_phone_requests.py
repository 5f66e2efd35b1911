"""What parents and teachers left by phone, in the teacher's console: parents' callback
requests marked done, and recorded lessons heard and approved or rejected."""

from __future__ import annotations

from tests.web.conftest import sign_in
from tests.web.test_console import _post
from yachay.db.phone_roles import CallbackRequest, ClassRecording


def _status(app, model, row_id: int) -> str:  # noqa: ANN001
    with app.extensions["yachay.db"].read_session() as session:
        return session.get(model, row_id).status


def test_a_teacher_sees_the_classs_callback_requests_and_marks_one_done(console):
    app, data = console
    client = app.test_client()
    sign_in(client, "teacher@ie.pe")
    home = f'href="/classes/{data.own_class}/callbacks" id="callbacks-{data.own_class}">'
    assert f"{home}1 pedido de llamada</a>" in client.get("/").text
    roster = client.get(f"/classes/{data.own_class}").text
    assert f'href="/classes/{data.own_class}/callbacks"' in roster
    page = client.get(f"/classes/{data.own_class}/callbacks").text
    assert f'id="callback-{data.own_callback}"' in page
    assert "Marta" in page and "Ana Mamani" in page and 'href="tel:+51987000001"' in page
    assert "Julia" not in page and "Luis Condori" not in page, "another class's request"
    done = _post(client, f"/callbacks/{data.own_callback}/done", follow_redirects=True).text
    assert "Pedido de llamada marcado como atendido" in done and "Atendido" in done
    assert _status(app, CallbackRequest, data.own_callback) == "done"
    assert home not in client.get("/").text, "nothing left to do"
    assert _status(app, CallbackRequest, data.other_callback) == "new"


def test_a_teacher_hears_a_recorded_lesson_and_approves_or_rejects_it_once(console):
    app, data = console
    client = app.test_client()
    sign_in(client, "teacher@ie.pe")
    assert (
        f'href="/classes/{data.own_class}/recordings"'
        in client.get(f"/classes/{data.own_class}").text
    )
    page = client.get(f"/classes/{data.own_class}/recordings").text
    audio = f"/recordings/{data.own_recording}/audio"
    assert f'<audio controls preload="none" src="{audio}">' in page
    assert f"/recordings/{data.other_recording}/audio" not in page
    heard = client.get(audio)
    assert heard.status_code == 302
    assert heard.headers["Location"].endswith("/Recordings/RE3.mp3")

    url = f"/recordings/{data.own_recording}/review"
    unclear = _post(client, url, {"decision": "quizás"}, follow_redirects=True).text
    assert "Elige aprobar o rechazar la grabación." in unclear
    assert _status(app, ClassRecording, data.own_recording) == "pending"
    approved = _post(client, url, {"decision": "aprobar"}, follow_redirects=True).text
    assert "Grabación aprobada" in approved and "Aprobada" in approved
    again = _post(client, url, {"decision": "rechazar"}, follow_redirects=True).text
    assert "Esta grabación ya fue revisada." in again
    with app.extensions["yachay.db"].read_session() as session:
        row = session.get(ClassRecording, data.own_recording)
        assert (row.status, row.reviewed_by) == ("approved", data.teacher)
    assert _status(app, ClassRecording, data.other_recording) == "pending"
    assert f'id="recordings-{data.own_class}"' not in client.get("/").text


def test_a_rejected_recording_says_so(console):
    app, data = console
    client = app.test_client()
    sign_in(client, "admin@ie.pe")  # an administrator reviews any class's
    url = f"/recordings/{data.other_recording}/review"
    page = _post(client, url, {"decision": "rechazar"}, follow_redirects=True).text
    assert "Grabación rechazada" in page and "Rechazada" in page
    assert _status(app, ClassRecording, data.other_recording) == "rejected"
