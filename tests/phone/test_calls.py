from __future__ import annotations

import re
from email.utils import parsedate_to_datetime

from flask import Request, Response

from tests.phone.conftest import TwimlServer, twiml, wav_bytes
from yachay.phone.keys import KeyPrompt

MENU = (
    '<Gather action="/menu" numDigits="1" timeout="6">'
    "<Say>Si eres Ana marca 1</Say><Play>/audio/menu.wav</Play>"
    "</Gather>"
    '<Redirect method="POST">/voice</Redirect>'
)


def audio(_request: Request) -> Response:
    return Response(wav_bytes(2.0), content_type="audio/wav")


def test_first_webhook_carries_the_standard_parameters(server: TwimlServer) -> None:
    server.add("/voice", '<Gather action="/next"><Say>Hola</Say></Gather>')
    server.add("/next", "<Hangup/>")
    transcript = server.simulator(from_number="+51911111111", to_number="+5116400000").call(["5"])
    first, second = server.seen[0].params, server.seen[1].params
    assert re.fullmatch(r"CA[0-9a-f]{32}", first["CallSid"])
    assert re.fullmatch(r"AC[0-9a-f]{32}", first["AccountSid"])
    assert first["CallSid"] == transcript.call_sid
    assert {k: first[k] for k in ("From", "Caller", "To", "Called")} == {
        "From": "+51911111111",
        "Caller": "+51911111111",
        "To": "+5116400000",
        "Called": "+5116400000",
    }
    assert first["CallStatus"] == "ringing"
    assert (first["ApiVersion"], first["Direction"]) == ("2010-04-01", "inbound")
    assert (first["FromCountry"], first["ToCountry"]) == ("PE", "PE")
    assert second["CallStatus"] == "in-progress"
    assert second["CallSid"] == first["CallSid"]
    assert (second["Digits"], second["FinishedOnKey"]) == ("5", "")


def test_gather_with_a_key_posts_the_action(server: TwimlServer) -> None:
    server.add("/voice", MENU)
    server.add("/audio/menu.wav", audio)
    server.add("/menu", "<Say>Hola Ana</Say><Hangup/>")
    transcript = server.simulator().call(["1"])
    assert server.paths() == [
        "POST /voice",
        "GET /audio/menu.wav",
        "POST /menu",
        "POST /voice/status",
    ]
    assert server.at("/menu")[0].params["Digits"] == "1"
    assert transcript.said() == ["Si eres Ana marca 1", "Hola Ana"]
    assert transcript.played() == [f"{server.url}/audio/menu.wav"]
    assert transcript.spoken_text() == "Si eres Ana marca 1 Hola Ana"
    assert transcript.ended_by == "hangup-verb"
    assert transcript.documents[0].key == "1"
    gather = transcript.verbs("Gather")[0]
    assert gather["action"] == "/menu" and gather["key"] == "1" and gather["digits"] == "1"
    assert [v["verb"] for v in gather["verbs"]] == ["Say", "Play"]
    assert transcript.ok and transcript.warnings == []


def test_digits_respect_num_digits_and_finish_on_key(server: TwimlServer) -> None:
    server.add("/voice", '<Gather action="/a" numDigits="2"/><Hangup/>')
    server.add("/a", '<Gather action="/b"/><Hangup/>')
    server.add("/b", '<Gather action="/c" finishOnKey=""/><Hangup/>')
    server.add("/c", "<Hangup/>")
    server.simulator().call(["123", "45#6", "7#"])
    digits = [(s.params["Digits"], s.params["FinishedOnKey"]) for s in server.seen[1:4]]
    assert digits == [("12", ""), ("45", "#"), ("7#", "")]


def test_silence_falls_through_to_the_next_verb(server: TwimlServer) -> None:
    server.add("/voice", '<Gather action="/menu"><Say>Marca</Say></Gather><Say>Adiós</Say>')
    transcript = server.simulator().call(["s"])
    assert server.paths() == ["POST /voice", "POST /voice/status"]
    assert transcript.said() == ["Marca", "Adiós"]
    assert transcript.ended_by == "end-of-document"


def test_action_on_empty_result_posts_empty_digits(server: TwimlServer) -> None:
    server.add("/voice", '<Gather action="/menu" actionOnEmptyResult="true"/><Hangup/>')
    server.add("/menu", "<Hangup/>")
    server.simulator().call(["s"])
    assert server.paths() == ["POST /voice", "POST /menu", "POST /voice/status"]
    assert server.at("/menu")[0].params["Digits"] == ""


def test_gather_without_action_posts_to_the_current_document(server: TwimlServer) -> None:
    server.add("/voice", '<Redirect method="GET">/lesson?part=1</Redirect>')

    def lesson(request: Request) -> Response:
        body = "<Hangup/>" if request.args.get("Digits") else "<Gather/><Hangup/>"
        return Response(twiml(body), content_type="text/xml")

    server.add("/lesson", lesson)
    transcript = server.simulator().call(["2"])
    assert server.paths() == ["POST /voice", "GET /lesson", "POST /lesson", "POST /voice/status"]
    assert server.seen[2].url == f"{server.url}/lesson?part=1"
    assert server.seen[2].params["Digits"] == "2"
    assert transcript.warnings == [
        f"{server.url}/lesson?part=1: <Gather> without an explicit action"
    ]


def test_get_redirect_puts_parameters_in_the_signed_query(server: TwimlServer) -> None:
    server.add("/voice", '<Redirect method="GET">lessons/next?n=1</Redirect>')
    server.add("/lessons/next", "<Hangup/>")
    server.simulator().call([])
    seen = server.at("/lessons/next")[0]
    assert seen.method == "GET" and seen.signed
    assert seen.params["n"] == "1" and seen.params["From"] == "+51987654321"
    assert "From=%2B51987654321" in seen.url


def test_record_posts_the_recording(server: TwimlServer) -> None:
    server.add("/voice", '<Record action="/saved" maxLength="30"/><Hangup/>')
    server.add("/saved", "<Say>Gracias</Say>")
    transcript = server.simulator().call(["r7"])
    params = server.at("/saved")[0].params
    assert re.fullmatch(r"RE[0-9a-f]{32}", params["RecordingSid"])
    assert params["RecordingUrl"] == (
        "https://api.twilio.com/2010-04-01/Accounts/"
        f"{transcript.account_sid}/Recordings/{params['RecordingSid']}"
    )
    assert (params["RecordingDuration"], params["Digits"]) == ("7", "#")
    assert transcript.said() == ["Gracias"]


def test_record_default_length_and_max_length(server: TwimlServer) -> None:
    server.add("/voice", '<Record action="/a" finishOnKey="*"/>')
    server.add("/a", '<Record action="/b" maxLength="3"/>')
    server.add("/b", "<Hangup/>")
    server.simulator().call(["r", "r10"])
    first, second = server.at("/a")[0].params, server.at("/b")[0].params
    assert (first["RecordingDuration"], first["Digits"]) == ("5", "*")
    assert second["RecordingDuration"] == "3" and "Digits" not in second


def test_silent_recording_skips_the_action(server: TwimlServer) -> None:
    server.add("/voice", '<Record action="/saved" timeout="4"/><Say>Nada</Say>')
    transcript = server.simulator().call(["s"])
    assert server.paths() == ["POST /voice", "POST /voice/status"]
    assert transcript.said() == ["Nada"]
    assert server.seen[-1].params["CallDuration"] == "5"  # 4 s of silence + "Nada"


def test_hanging_up_during_a_recording(server: TwimlServer) -> None:
    server.add("/voice", '<Record action="/saved" recordingStatusCallback="/rec"/><Say>x</Say>')
    server.add("/saved", "<Say>never heard</Say>")
    server.add("/rec", lambda _r: Response("", status=204))
    transcript = server.simulator().call(["h"])
    assert server.paths() == ["POST /voice", "POST /saved", "POST /rec", "POST /voice/status"]
    saved = server.at("/saved")[0].params
    assert (saved["Digits"], saved["CallStatus"]) == ("hangup", "completed")
    assert saved["RecordingSid"] == server.at("/rec")[0].params["RecordingSid"]
    assert server.at("/rec")[0].params["RecordingStatus"] == "completed"
    assert transcript.ended_by == "caller"
    assert transcript.said() == []


def test_hangup_and_status_callback(server: TwimlServer) -> None:
    say = "x" * 30  # two seconds at 15 characters a second
    server.add("/voice", f'<Say>{say}</Say><Pause length="3"/><Gather action="/a"/><Hangup/>')
    transcript = server.simulator().call(["s"])
    assert transcript.ended_by == "hangup-verb"
    assert len(server.at("/voice/status")) == 1
    status = server.at("/voice/status")[0].params
    assert status["CallStatus"] == "completed"
    assert status["CallDuration"] == "10" == str(transcript.duration)  # 2 + 3 + 5 (timeout)
    assert (status["SequenceNumber"], status["CallbackSource"]) == ("0", "call-progress-events")
    assert parsedate_to_datetime(status["Timestamp"]).tzinfo is not None
    assert status["CallSid"] == transcript.call_sid
    assert transcript.status_callbacks[0].status == 204


def test_status_callback_can_be_left_out(server: TwimlServer) -> None:
    server.add("/voice", "<Hangup/>")
    server.simulator().call([], send_status=False)
    server.simulator(send_status=False).call([])
    server.simulator(status_path=None).call([])
    assert server.paths() == ["POST /voice"] * 3


def test_reject_leaves_the_call_unanswered(server: TwimlServer) -> None:
    server.add("/voice", '<Reject reason="busy"/>')
    server.add("/other", "<Reject/>")
    server.add("/late", "<Say>hola</Say><Reject/>")
    busy = server.simulator().call([])
    other = server.simulator(voice_path="/other").call([])
    late = server.simulator(voice_path="/late").call([])
    assert (busy.ended_by, busy.call_status, busy.duration) == ("reject", "busy", 0)
    assert (other.call_status, other.duration) == ("no-answer", 0)
    assert (late.call_status, late.duration) == ("completed", 1)
    statuses = [s.params["CallStatus"] for s in server.at("/voice/status")]
    assert statuses == ["busy", "no-answer", "completed"]


def test_dial_with_and_without_action(server: TwimlServer) -> None:
    server.add(
        "/voice", "<Dial>+51999000111</Dial><Dial action='/dialed'><Number>+5112</Number></Dial>"
    )
    server.add("/dialed", "<Hangup/>")
    transcript = server.simulator().call([])
    assert [v["number"] for v in transcript.verbs("Dial")] == ["+51999000111", "+5112"]
    params = server.at("/dialed")[0].params
    assert (params["DialCallStatus"], params["DialCallDuration"]) == ("completed", "0")


def test_dial_shows_the_caller_id_the_other_phone_sees(server: TwimlServer) -> None:
    server.add("/voice", "<Dial callerId='+5116400123' action='/dialed'>+51999000111</Dial>")
    server.add("/dialed", "<Hangup/>")
    [dial] = server.simulator().call([]).verbs("Dial")
    assert (dial["number"], dial["callerId"]) == ("+51999000111", "+5116400123")


def test_a_providers_recording_is_played_by_name_not_fetched(server: TwimlServer) -> None:
    url = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE0123"
    server.add("/voice", f"<Play>{url}</Play><Hangup/>")
    transcript = server.simulator().call([])
    assert transcript.ok, transcript.errors
    [play] = transcript.verbs("Play")
    assert (play["url"], play["recording_sid"]) == (url, "RE0123")
    assert transcript.played() == [url]


def test_play_measures_wav_audio(server: TwimlServer) -> None:
    server.add("/voice", '<Play loop="2">/audio/a.wav</Play><Play digits="12"/>')
    server.add("/audio/a.wav", audio)
    transcript = server.simulator().call([])
    play = transcript.verbs("Play")[0]
    assert (play["status"], play["content_type"], play["seconds"]) == (200, "audio/wav", 2.0)
    assert transcript.duration == 5  # 2 s twice, and two DTMF tones
    assert transcript.played() == [f"{server.url}/audio/a.wav"]


def test_ssml_inside_say_is_heard_as_text(server: TwimlServer) -> None:
    server.add(
        "/voice",
        '<Say voice="Polly.Mia" language="es-MX">Hola <break time="1s"/> '
        '<prosody rate="slow">Ana</prosody></Say>',
    )
    transcript = server.simulator().call([])
    say = transcript.verbs("Say")[0]
    assert (say["text"], say["voice"], say["language"]) == ("Hola Ana", "Polly.Mia", "es-MX")


def test_running_out_of_keys_hangs_up(server: TwimlServer) -> None:
    server.add("/voice", '<Gather action="/menu"/><Redirect>/voice</Redirect>')
    server.add("/menu", '<Gather action="/menu"/><Redirect>/menu</Redirect>')
    transcript = server.simulator().call(["1"])
    assert transcript.ended_by == "caller" and transcript.out_of_keys
    assert "ran out of keys" in transcript.notes[0]
    assert transcript.ok
    assert server.paths()[-1] == "POST /voice/status"


def test_unused_keys_are_reported(server: TwimlServer) -> None:
    server.add("/voice", '<Gather action="/bye"/><Hangup/>')
    server.add("/bye", "<Hangup/>")
    transcript = server.simulator().call("1,2,3")
    assert transcript.unused_keys == ["2", "3"]
    assert transcript.keys_used == ["1"]
    assert "['2', '3']" in transcript.notes[0]


def test_hang_up_at_a_gather(server: TwimlServer) -> None:
    server.add("/voice", '<Gather action="/menu"><Say>Marca</Say></Gather><Hangup/>')
    transcript = server.simulator().call(["h"])
    assert transcript.ended_by == "caller" and not transcript.out_of_keys
    assert server.paths() == ["POST /voice", "POST /voice/status"]


def test_a_key_source_hears_the_menu(server: TwimlServer) -> None:
    server.add("/voice", MENU)
    server.add("/audio/menu.wav", audio)
    server.add("/menu", '<Gather input="dtmf speech" action="/said"><Say>Di algo</Say></Gather>')
    server.add("/said", "<Hangup/>")
    prompts: list[KeyPrompt] = []

    def caller(prompt: KeyPrompt) -> str:
        prompts.append(prompt)
        return "1" if len(prompts) == 1 else "v:quiero aprender"

    server.simulator().call(caller)
    assert prompts[0].heard == ("Si eres Ana marca 1", f"{server.url}/audio/menu.wav")
    assert prompts[0].attributes["numDigits"] == "1"
    assert prompts[1].heard == ("Di algo",) and "v:words" in prompts[1].accepts
    said = server.at("/said")[0].params
    assert (said["SpeechResult"], said["Confidence"]) == ("quiero aprender", "0.9")


def test_outbound_calls_and_extra_parameters(server: TwimlServer) -> None:
    server.add("/voice/outbound", "<Say>Hola</Say>")
    server.simulator().call(
        [],
        path="/voice/outbound?task=7",
        direction="outbound-api",
        extra_params={"AnsweredBy": "human"},
    )
    first = server.seen[0]
    assert first.params["task"] == "7" and first.params["AnsweredBy"] == "human"
    assert (first.params["Direction"], first.params["CallStatus"]) == (
        "outbound-api",
        "in-progress",
    )


def test_listener_sees_events_in_order(server: TwimlServer) -> None:
    server.add("/voice", '<Say>Uno</Say><Gather action="/a"/><Hangup/>')
    server.add("/a", "<Say>Dos</Say>")
    events: list[tuple[str, object]] = []
    server.simulator().call(["4"], listener=lambda event, data: events.append((event, data)))
    kinds = [e if e != "verb" else d["verb"] for e, d in events]  # type: ignore[index]
    assert kinds == ["request", "Say", "key", "Gather", "request", "Say", "request", "end"]


def test_transcript_json(server: TwimlServer) -> None:
    server.add("/voice", '<Gather action="/a"><Say>Uno</Say></Gather>')
    server.add("/a", "<Hangup/>")
    data = server.simulator().call(["1"]).to_json()
    assert data["ended_by"] == "hangup-verb" and data["ok"] is True
    step = data["steps"][0]
    assert step["method"] == "POST" and step["url"] == f"{server.url}/voice"
    assert step["status"] == 200 and step["latency_ms"] >= 0 and step["key"] == "1"
    assert step["verbs"][0]["verbs"][0] == {"verb": "Say", "text": "Uno"}
    assert [s["kind"] for s in data["steps"]] == ["voice", "action", "status"]
