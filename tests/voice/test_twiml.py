"""Events -> TwiML, checked by parsing the XML as Twilio would."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from yachay.flows.events import GatherKeys, Hangup, Pause, RecordVoice, Speak
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
