"""Property-based: every webhook, signed (so it gets past the signature to the handlers),
with random and malicious fields, never answers 500 and never corrupts stored data."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.conftest import free_port
from tests.postgres import start_postgres
from tests.test_calls import write_pack
from tests.voice.app_client import SignedClient, make_app
from yachay.content.loader import load_pack
from yachay.db import migrate
from yachay.db import models as m
from yachay.db.content_import import import_pack
from yachay.db.database import Database

VICTIM = "+51977000001"
VICTIM_CALL = "CA" + "7" * 32

MALICIOUS = [
    "",
    "1",
    "*",
    "#",
    "0" * 10_000,
    "' OR 1=1; --",
    "1; DROP TABLE answers; --",
    "<Hangup/>",
    "]]><Redirect>http://evil.example/</Redirect>",
    '"><Play>http://evil.example/x.wav</Play>',
    "\x00",
    "\ud7ff\ue000",
    "ñ" * 300,
    "-1",
    "99999999999999999999",
    "1e9",
    "NaN",
    VICTIM,
    VICTIM_CALL,
    "anonymous",
    "+266696687",
    "https://api.twilio.com/2010-04-01/Recordings/RE1",
    "https://evil.example/" + "a" * 600,
    "RE" + "1" * 32,
    "completed",
    "in-progress",
]
FIELDS = [
    "CallSid",
    "From",
    "To",
    "Digits",
    "SpeechResult",
    "CallStatus",
    "SequenceNumber",
    "CallDuration",
    "Direction",
    "RecordingUrl",
    "RecordingSid",
    "RecordingDuration",
    "Timestamp",
    "ErrorCode",
    "ErrorUrl",
]
values = st.one_of(
    st.sampled_from(MALICIOUS),
    st.text(max_size=80),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)
PROBE = "+51977000002"
PROBE_CALL = "CA" + "2" * 32
#: What Twilio sends, so most requests get past the checks of required fields ...
plausible = st.fixed_dictionaries(
    {
        "CallSid": st.one_of(
            st.sampled_from([VICTIM_CALL, PROBE_CALL]),
            st.from_regex(r"CA[0-9a-f]{32}", fullmatch=True),
        ),
        "From": st.sampled_from([VICTIM, PROBE, "+51977000003", "anonymous", ""]),
        "CallStatus": st.sampled_from(["ringing", "in-progress", "completed", "busy"]),
        "Digits": st.sampled_from(["1", "2", "3", "4", "9", "0", "*", "#", "12"]),
    }
)
#: ... then each of Twilio's fields replaced by anything, or taken away, and others added.
_KEEP, _ABSENT = "keep", "absent"
fields = st.fixed_dictionaries(
    {name: st.one_of(st.sampled_from([_KEEP, _KEEP, _ABSENT]), values) for name in FIELDS}
)
extra = st.dictionaries(st.text(max_size=12), values, max_size=3)


def _form(base: dict[str, str], changed: dict[str, str], more: dict[str, str]) -> dict:
    form = dict(base)
    for name, value in changed.items():
        if value == _ABSENT:
            form.pop(name, None)
        elif value != _KEEP:
            form[name] = value
    return {**more, **form}


forms = st.builds(_form, plausible, fields, extra)
steps = st.one_of(st.integers(-3, 40).map(str), values)
WEBHOOKS = {
    "incoming": st.just("/voice"),
    "resume": st.builds(lambda step: f"/voice/resume?step={step}", steps),
    "resume-silence": st.builds(lambda step: f"/voice/resume?step={step}&silence=1&lang=qu", steps),
    "status": st.just("/voice/status"),
    "fallback": st.just("/voice/fallback"),
}


def snapshot(database: Database) -> dict:
    """The victim's records, whole; and invariants over everyone's."""
    with database.session() as session:
        victim = session.scalars(select(m.Student).where(m.Student.phone == VICTIM)).all()
        ids = [s.id for s in victim]
        answers = session.execute(
            select(m.Answer.question_id, m.Answer.choice, m.Answer.call_sid, m.Answer.step)
            .where(m.Answer.student_id.in_(ids))
            .order_by(m.Answer.id)
        ).all()
        call = session.get(m.Call, VICTIM_CALL)
        progress = session.execute(
            select(
                m.LessonProgress.lesson_id, m.LessonProgress.answered, m.LessonProgress.right
            ).where(m.LessonProgress.student_id.in_(ids))
        ).all()
        withheld = session.scalar(
            select(func.count())
            .select_from(m.Student)
            .where(m.Student.phone.in_(["", "anonymous", "+266696687"]))
        )
        # Every lesson tally counts exactly its stored answers.
        tallies = session.execute(
            select(m.LessonProgress.answered, func.count(m.Answer.id))
            .select_from(m.LessonProgress)
            .outerjoin(
                m.Answer,
                (m.Answer.student_id == m.LessonProgress.student_id)
                & (m.Answer.lesson_id == m.LessonProgress.lesson_id),
            )
            .group_by(m.LessonProgress.id, m.LessonProgress.answered)
        ).all()
        return {
            "victim": [(s.phone, s.grade, s.language, s.name) for s in victim],
            "answers": answers,
            "call": (call.step, call.state, call.last_reply, call.status) if call else None,
            "progress": progress,
            "withheld_students": withheld,
            "tallies_match": all(answered == stored for answered, stored in tallies),
        }


def victim_in_a_lesson(client: SignedClient) -> None:
    base = {"CallSid": VICTIM_CALL, "From": VICTIM, "To": "+5116400000"}
    client.post("/voice", base)
    for step, digits in enumerate(["1", "2", "1", "2", "2"], start=1):  # es, grade 2, ...
        client.post(f"/voice/resume?step={step}", {**base, "Digits": digits})
    client.post("/voice/status", {**base, "CallStatus": "completed", "SequenceNumber": "5"})


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[str]:  # noqa: ANN001
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('props') / 'app.db'}"
        return
    postgres = start_postgres(free_port())
    yield postgres.url
    postgres.stop()


@pytest.fixture(scope="module")
def hostile_app(database_url: str, tmp_path_factory):  # noqa: ANN001, ANN201
    folder = tmp_path_factory.mktemp("props-app")
    migrate.upgrade(database_url)
    app = make_app(folder, database_url=database_url)
    database = Database(database_url)
    with database.session() as session:
        import_pack(session, load_pack(write_pack(folder / "packs")))
    client = SignedClient(app.test_client())
    victim_in_a_lesson(client)
    # A call in progress, at a question, for random keys to reach the flows.
    probe = {"CallSid": PROBE_CALL, "From": PROBE, "To": "+5116400000"}
    client.post("/voice", probe)
    for step, digits in enumerate(["1", "1", "1", "2"], start=1):
        client.post(f"/voice/resume?step={step}", {**probe, "Digits": digits})
    before = snapshot(database)
    assert before["answers"] and before["tallies_match"]
    yield app, database, before
    database.dispose()


@pytest.mark.parametrize("webhook", sorted(WEBHOOKS))
def test_any_request_to_a_webhook_gets_an_answer_and_leaves_stored_data_whole(
    hostile_app, webhook: str
) -> None:
    app, database, before = hostile_app

    @settings(
        max_examples=120,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(path=WEBHOOKS[webhook], form=forms, signed=st.booleans())
    def check(path: str, form: dict[str, str], signed: bool) -> None:
        # Signed, so that it gets past the signature to the handlers (or not: 403).
        if signed:
            reply = SignedClient(app.test_client()).post(path, form)
        else:
            reply = app.test_client().post(path, data=form)
        assert reply.status_code in {200, 204, 400, 403, 404, 413, 503}, reply.text[:500]
        if not signed:
            assert reply.status_code == 403
        if reply.status_code == 200:
            root = ET.fromstring(reply.text)
            assert root.tag == "Response"
            # Whatever came in, no verb of ours points anywhere but our own paths.
            for verb in root.iter():
                target = verb.get("action", "")
                if verb.tag in {"Play", "Redirect"}:
                    target = verb.text or ""
                assert not target or target.startswith(("/voice/", "/audio/")), reply.text
        assert snapshot(database) == before

    check()
