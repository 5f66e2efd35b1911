"""Flow events -> TwiML, built with the twilio library.

Rules from DESIGN.md §2: only Say/Play/Pause inside <Gather>; every <Gather> has an
explicit action and is followed by a <Redirect>, so silence never drops a caller.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from twilio.twiml.voice_response import Gather, VoiceResponse

from yachay.flows.events import (
    DialNumber,
    Event,
    GatherKeys,
    Hangup,
    Pause,
    PlayRecording,
    RecordVoice,
    Speak,
)

RESUME_PATH = "/voice/resume"
#: SSML speaking rate for stories: children found radio lessons too fast.
SLOW_RATE = "85%"


@dataclass(frozen=True)
class SayVoice:
    voice: str
    language: str


#: The language a resume URL names when it names none.
DEFAULT_LANGUAGE = "es"


def resume_url(step: int, silence: bool = False, language: str = DEFAULT_LANGUAGE) -> str:
    """`lang` (signed by Twilio with the rest of the URL) lets the server apologise in the
    caller's language when it cannot read the call from the database."""
    query = {
        "step": step,
        **({"silence": 1} if silence else {}),
        **({"lang": language} if language != DEFAULT_LANGUAGE else {}),
    }
    return f"{RESUME_PATH}?{urlencode(query)}"


def language_of(events: Sequence[Event]) -> str:
    """The caller's language in a turn: what it first speaks in (a notice that a lesson is
    only in Spanish comes in the caller's language first)."""
    return next((e.language for e in events if isinstance(e, Speak)), DEFAULT_LANGUAGE)


class TwimlRenderer:
    """Speech in a language Twilio can speak becomes <Say>; any other becomes <Play>."""

    def __init__(
        self,
        say_voices: Mapping[str, SayVoice],
        audio_url: Callable[[Speak], str],
        school_number: str = "",
    ) -> None:
        self.say_voices = dict(say_voices)
        self.audio_url = audio_url
        #: The caller id of bridged calls: the school's number, never the caller's own.
        self.school_number = school_number

    def __call__(self, events: Sequence[Event], step: int) -> str:
        response = VoiceResponse()
        pending: list[Speak | Pause | PlayRecording] = []
        lang = language_of(events)
        for event in events:
            if isinstance(event, Speak | Pause | PlayRecording):
                pending.append(event)
            elif isinstance(event, GatherKeys):
                gather = Gather(
                    action=resume_url(step, language=lang),
                    method="POST",
                    input="dtmf",
                    timeout=event.timeout,
                    num_digits=event.max_digits,
                    action_on_empty_result=False,
                )
                self._output(gather, pending)
                response.append(gather)
                response.redirect(resume_url(step, silence=True, language=lang), method="POST")
            elif isinstance(event, RecordVoice):
                self._output(response, pending)
                response.record(
                    action=resume_url(step, language=lang),
                    method="POST",
                    max_length=event.max_seconds,
                    timeout=event.timeout,
                    finish_on_key="#",
                    play_beep=True,
                )
                # No audio recorded: Twilio skips the action and goes on here.
                response.redirect(resume_url(step, silence=True, language=lang), method="POST")
            elif isinstance(event, Hangup):
                self._output(response, pending)
                response.hangup()
            elif isinstance(event, DialNumber):
                if not self.school_number:
                    raise ValueError("a bridged call needs the school's number (school_number)")
                self._output(response, pending)
                response.dial(
                    event.number,
                    caller_id=self.school_number,
                    action=resume_url(step),
                    method="POST",
                    timeout=event.timeout,
                )
        if pending:
            raise ValueError("the turn ended without a wait: nothing would follow the speech")
        return str(response)

    def _output(
        self, parent: VoiceResponse | Gather, pending: list[Speak | Pause | PlayRecording]
    ) -> None:
        for item in pending:
            if isinstance(item, Pause):
                parent.pause(length=item.seconds)
            elif isinstance(item, PlayRecording):
                parent.play(item.url)
            elif item.audio is None and item.language in self.say_voices:
                voice = self.say_voices[item.language]
                if item.slow:
                    say = parent.say(voice=voice.voice, language=voice.language)
                    say.prosody(item.text, rate=SLOW_RATE)
                else:
                    parent.say(item.text, voice=voice.voice, language=voice.language)
            else:
                parent.play(self.audio_url(item))
        pending.clear()


def apology(text: str, say: SayVoice | None, audio_url: str | None) -> str:
    response = VoiceResponse()
    if say is not None:
        response.say(text, voice=say.voice, language=say.language)
    elif audio_url is not None:
        response.play(audio_url)
    response.hangup()
    return str(response)
