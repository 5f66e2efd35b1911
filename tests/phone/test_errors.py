"""Every way an answer can be wrong ends the call with an error that names URL and cause."""

from __future__ import annotations

import socket

import pytest
from flask import Request, Response

from tests.phone.conftest import TOKEN, TwimlServer, twiml
from yachay.phone.simulator import PhoneSimulator, SimulatorError


def raw(body: str | bytes, status: int = 200, content_type: str = "text/xml"):  # noqa: ANN201
    return lambda _request: Response(body, status=status, content_type=content_type)


@pytest.mark.parametrize(
    ("route", "expected"),
    [
        (raw("<Response><Say>hola</Response>"), r"12100 .*malformed XML \(mismatched tag"),
        (raw(" \n<?xml version='1.0'?><Response/>"), r"12100 .*malformed XML"),
        (raw("<Respuesta><Say>x</Say></Respuesta>"), r"12100 .*<Respuesta> root element"),
        (raw(""), r"12100 .*empty body"),
        (raw(twiml("<Speak>hola</Speak>")), r"12100 .*unknown TwiML verb <Speak>"),
        (
            raw(twiml("<say>hola</say>")),
            r"unknown TwiML verb <say> \(verbs are case-sensitive: <Say>",
        ),
        (raw(twiml("<Enqueue>q</Enqueue>")), r"<Enqueue> is TwiML the phone simulator does not"),
        (raw(twiml("<Gather><Redirect>/x</Redirect></Gather>")), r"<Redirect> inside <Gather>"),
        (raw(twiml("<Hangup><Say>x</Say></Hangup>")), r"<Hangup> cannot contain <Say>"),
        (raw(twiml("Hola")), r"text 'Hola' directly inside <Response>"),
        (raw(twiml('<Gather timeout="soon"/>')), r"<Gather timeout='soon'> is not a whole number"),
        (raw(twiml('<Gather finishOnKey="ab"/>')), r"finishOnKey='ab'"),
        (raw(twiml('<Redirect method="PUT">/x</Redirect>')), r"method='PUT'> must be GET or POST"),
        (raw(twiml("<Redirect/>")), r"<Redirect> without a URL"),
        (raw(twiml('<Reject reason="nope"/>')), r"reason='nope'"),
        (raw("boom", status=500, content_type="text/html"), r"11200 .*answered 500; body 'boom'"),
        (raw(twiml("<Hangup/>"), content_type="text/html"), r"12300 .*'text/html'"),
        (raw(twiml("<Hangup/>"), content_type=""), r"12300 .*\(none\)"),
        (raw(twiml("<Say>" + "a" * 70_000 + "</Say>")), r"11750 .*64 kB"),
        (raw("", status=302), r"11200 .*answered 302 \(redirect to"),
    ],
)
def test_bad_answers_end_the_call_with_a_clear_error(
    server: TwimlServer, route: object, expected: str
) -> None:
    server.add("/voice", route)  # type: ignore[arg-type]
    with pytest.raises(SimulatorError, match=expected) as caught:
        server.simulator().call([])
    message = str(caught.value)
    assert f"{server.url}/voice" in message
    transcript = caught.value.transcript
    assert transcript is not None and transcript.ended_by == "error"
    # Twilio answered to say "an application error has occurred": a completed call.
    assert server.paths()[-1] == "POST /voice/status"
    assert server.seen[-1].params["CallStatus"] == "completed"


def test_errors_after_an_action_name_that_action(server: TwimlServer) -> None:
    server.add("/voice", '<Gather action="/broken"/>')
    server.add("/broken", raw("oops", status=500))
    transcript = server.simulator().call(["1"], strict=False)
    assert transcript.ended_by == "error" and not transcript.ok
    assert transcript.errors == [
        f"11200 HTTP retrieval failure: POST {server.url}/broken answered 500; body 'oops'"
    ]
    assert transcript.steps[1].error == transcript.errors[0]
    assert transcript.said() == []


def test_play_errors(server: TwimlServer) -> None:
    server.add("/voice", "<Say>antes</Say><Play>/audio/missing.mp3</Play><Say>después</Say>")
    transcript = server.simulator().call([], strict=False)
    assert transcript.errors == [
        f"11200 <Play> GET {server.url}/audio/missing.mp3 answered 404: the caller hears "
        f"nothing (in POST {server.url}/voice)"
    ]
    assert transcript.said() == ["antes"]
    assert transcript.verbs("Play")[0]["status"] == 404

    server.add("/voice", "<Play>/audio/page</Play>")
    server.add("/audio/page", raw("<html/>", content_type="text/html"))
    with pytest.raises(SimulatorError, match=r"12300 <Play> GET .*/audio/page .*'text/html'"):
        server.simulator().call([])


def test_redirect_loop_guard(server: TwimlServer) -> None:
    server.add("/voice", "<Redirect>/voice</Redirect>")
    with pytest.raises(SimulatorError, match="did not end after 200 requests — a Redirect loop"):
        server.simulator().call([])
    assert len(server.at("/voice")) == 200
    server.seen.clear()
    transcript = server.simulator(max_requests=5).call([], strict=False)
    assert "after 5 requests" in transcript.errors[0]


def test_keys_that_do_not_fit_the_verb(server: TwimlServer) -> None:
    server.add("/voice", '<Gather action="/a"/>')
    server.add("/rec", '<Record action="/a"/>')
    server.add("/speech", '<Gather input="speech" action="/a"/>')
    with pytest.raises(SimulatorError, match=r"key 'r5' records, but <Gather> of .*/voice"):
        server.simulator().call(["r5"])
    with pytest.raises(SimulatorError, match=r"key '1' at <Record> of .*/rec: use r, r7"):
        server.simulator(voice_path="/rec").call(["1"])
    with pytest.raises(SimulatorError, match="listens for speech only"):
        server.simulator(voice_path="/speech").call(["1"])
    with pytest.raises(SimulatorError, match="does not listen for speech"):
        server.simulator().call(["v:hola"])
    with pytest.raises(SimulatorError, match="not understood"):
        server.simulator().call(lambda prompt: "bogus")


def test_a_failing_status_callback_is_an_error(server: TwimlServer) -> None:
    server.add("/voice", "<Hangup/>")
    server.add("/voice/status", raw("", status=500))
    transcript = server.simulator().call([], strict=False)
    assert transcript.ended_by == "hangup-verb"
    assert transcript.errors == [
        f"11200 HTTP retrieval failure: status POST {server.url}/voice/status answered 500"
    ]


def test_fallback_url_gets_the_error(server: TwimlServer) -> None:
    server.add("/voice", raw("boom", status=500))
    server.add("/voice/fallback", "<Say>Lo sentimos</Say><Hangup/>")
    transcript = server.simulator(fallback_path="/voice/fallback").call([], strict=False)
    assert server.paths() == ["POST /voice", "POST /voice/fallback", "POST /voice/status"]
    fallback = server.at("/voice/fallback")[0].params
    assert (fallback["ErrorCode"], fallback["ErrorUrl"]) == ("11200", f"{server.url}/voice")
    assert transcript.said() == ["Lo sentimos"]
    assert transcript.ended_by == "hangup-verb"
    assert len(transcript.errors) == 1  # the failure is still reported


def test_a_server_that_is_not_running(server: TwimlServer) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    simulator = PhoneSimulator(base_url=f"http://127.0.0.1:{port}", auth_token=TOKEN, timeout=2)
    transcript = simulator.call([], strict=False)
    assert transcript.ended_by == "error" and transcript.duration == 0
    assert transcript.errors[0].startswith(
        f"11205 HTTP connection failure: could not reach POST http://127.0.0.1:{port}/voice"
    )
    assert "make run" in transcript.errors[0]
    assert len(transcript.steps) == 1  # no status callback to a server that is not there


def test_slow_answers_time_out(server: TwimlServer) -> None:
    import time

    def slow(_request: Request) -> Response:
        time.sleep(0.3)
        return Response(twiml("<Hangup/>"), content_type="text/xml")

    server.add("/voice", slow)
    with pytest.raises(SimulatorError, match=r"11200 .*did not answer within 0.1 s"):
        server.simulator(timeout=0.1).call([])
