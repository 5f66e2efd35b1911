"""Events -> TwiML, checked by parsing the XML as Twilio would."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from yachay.flows.events import (
    DialNumber,
    GatherKeys,
    Hangup,
    Pause,
    PlayRecording,
    RecordVoice,
    Speak,
)
from yachay.voice.twiml import SayVoice, TwimlRenderer, resume_url


@pytest.fixture
def render() -> TwimlRenderer:
    return TwimlRenderer(
        {"es": SayVoice("Polly.Mia", "es-MX")}, lambda s: f"/audio/{s.language}/{len(s.text)}.wav"
    )


def parse(body: str) -> ET.Element:
    assert body.startswith('<?xml version="1.0" encoding="UTF-8"?><Response>')
    return ET.fromstring(body)


def test_speech_before_a_key_wait_plays_inside_the_gather_then_a_redirect(render):
    root = parse(
        render(
            [Speak("Hola", "es"), Speak("Allinllachu", "qu"), Pause(1), GatherKeys(timeout=6)],
            step=3,
        )
    )
    gather, redirect = list(root)
    assert gather.tag == "Gather"
    assert gather.attrib == {
        "action": "/voice/resume?step=3",
        "method": "POST",
        "input": "dtmf",
        "timeout": "6",
        "numDigits": "1",
        "actionOnEmptyResult": "false",
    }
    assert [(c.tag, c.text) for c in gather] == [
        ("Say", "Hola"),
        ("Play", "/audio/qu/11.wav"),
        ("Pause", None),
    ]
    assert gather[0].attrib == {"voice": "Polly.Mia", "language": "es-MX"}
    assert (redirect.tag, redirect.text) == ("Redirect", "/voice/resume?step=3&silence=1")


def test_recording_follows_the_prompt_and_is_followed_by_a_redirect(render):
    root = parse(render([Speak("Después del tono", "es"), RecordVoice(max_seconds=60)], 5))
    assert [c.tag for c in root] == ["Say", "Record", "Redirect"]
    assert root[1].attrib["action"] == resume_url(5)
    assert root[1].attrib["maxLength"] == "60" and root[1].attrib["finishOnKey"] == "#"


def test_recorded_audio_wins_over_speech(render):
    root = parse(render([Speak("Hola", "es", audio="pack/audio/hola.wav"), Hangup()], 1))
    assert [(c.tag, c.text) for c in root] == [("Play", "/audio/es/4.wav"), ("Hangup", None)]


def test_a_turn_without_a_wait_is_refused(render):
    with pytest.raises(ValueError, match="without a wait"):
        render([Speak("Hola", "es")], 1)


def test_slow_speech_is_wrapped_in_ssml_prosody(render):
    root = parse(render([Speak("Había una vez", "es", slow=True), GatherKeys(timeout=2)], 2))
    say = root[0][0]
    assert say.tag == "Say" and say.text is None
    assert [(p.tag, p.attrib, p.text) for p in say] == [
        ("prosody", {"rate": "85%"}, "Había una vez")
    ]


def test_a_bridged_call_shows_the_schools_number_and_comes_back():
    render = TwimlRenderer({"es": SayVoice("Polly.Mia", "es-MX")}, str, "+5116400123")
    root = parse(render([Speak("Llamando a Ana.", "es"), DialNumber("+51974000001")], step=7))
    say, dial = list(root)
    assert (say.tag, dial.tag, dial.text) == ("Say", "Dial", "+51974000001")
    assert dial.attrib == {
        "callerId": "+5116400123",
        "action": "/voice/resume?step=7",
        "method": "POST",
        "timeout": "30",
    }


def test_no_bridged_call_without_the_schools_number(render):
    with pytest.raises(ValueError, match="school's number"):
        render([DialNumber("+51974000001")], step=1)


def test_a_students_recording_plays_from_the_provider(render):
    url = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1"
    root = parse(render([Speak("Pregunta de Ana:", "es"), PlayRecording(url), GatherKeys(6)], 2))
    gather = root[0]
    assert [(c.tag, c.text) for c in gather] == [("Say", "Pregunta de Ana:"), ("Play", url)]
