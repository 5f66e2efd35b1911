"""Offline speech for languages Twilio cannot speak, cached on disk by a hash of the text.

Twilio has no Quechua or Aymara voice, so those prompts are played as audio files
(`<Play>`). They are rendered here with espeak-ng and converted by sox to what a phone
line carries: 8 kHz, mono, 16-bit signed PCM WAV.

Files live under ``root/<language>/<key>.wav``, next to ``<key>.txt`` holding the text. The
key is a hash over the renderer version, the voice, the language and the text, so the
server can name a file (`remember`) while building TwiML and the audio route can render it
on demand (`render_key`); changing the voice or the renderer gives new keys, and old files
are simply never asked for again.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import wave
from collections.abc import Iterable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "ESPEAK",
    "INSTALL_COMMAND",
    "INSTALL_HINT",
    "PHONE_FORMAT",
    "RENDERER_VERSION",
    "SOX",
    "SPEED",
    "VOICES",
    "AudioError",
    "AudioStore",
    "RenderReport",
    "UnknownAudio",
    "audio_key",
    "missing_tools",
    "speech_text",
    "wav_info",
]

#: espeak-ng voice per language.
VOICES: dict[str, str] = {
    "es": "es-419",
    "qu": "qu",
    # Placeholder: espeak-ng has no Aymara voice. The Quechua one shares most of Aymara's
    # sounds (three vowels, aspirated and glottalised stops); replace it with a real voice
    # or with teachers' recordings as soon as there is one.
    "ay": "qu",
}

#: Part of every key: bump it whenever the command line, the text fixes below or the output
#: format change, so that stale files are never served for a new rendering.
RENDERER_VERSION = "espeak-ng+sox/8k-mono-s16/s140/v1"
#: espeak-ng words per minute: a bit slower than its default 175, for children on a phone.
SPEED = 140
SAMPLE_RATE = 8000
#: sox output options: what Twilio plays, 8 kHz mono 16-bit signed PCM.
PHONE_FORMAT = ("-r", str(SAMPLE_RATE), "-c", "1", "-b", "16", "-e", "signed-integer")
ESPEAK = "espeak-ng"
SOX = "sox"
INSTALL_COMMAND = "apt-get install espeak-ng sox"
INSTALL_HINT = f"install espeak-ng and sox: {INSTALL_COMMAND}"
#: Seconds one espeak-ng or sox run may take.
TOOL_TIMEOUT = 120

_LANGUAGE = re.compile(r"[a-z]{2,3}")
_KEY = re.compile(r"[0-9a-f]{20}")
_APOSTROPHES = re.compile(r"[’ʼ‘`´]")
# espeak-ng's Quechua voice spells "ch'" out letter by letter ("ce hache ..."); it reads
# "ch" well, so the glottalised ch' is rendered as plain ch (p' t' k' q' are read fine).
_CH_EJECTIVE = re.compile(r"(ch)'", re.IGNORECASE)
# Aymara x is a uvular fricative, close to the Spanish j; the Quechua voice reads x as "ks"
# and j as a fricative.
_AYMARA_X = re.compile(r"x")


class AudioError(RuntimeError):
    """Speech could not be rendered: a tool is missing or failed."""


class UnknownAudio(KeyError):
    """No text was remembered under this key (or the key or language is malformed)."""

    def __str__(self) -> str:  # KeyError would show the message with quotes around it
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class RenderReport:
    rendered: int
    cached: int
    seconds: float

    @property
    def total(self) -> int:
        return self.rendered + self.cached


def _voice(language: str) -> str:
    try:
        return VOICES[language]
    except KeyError:
        raise AudioError(
            f"no espeak-ng voice for language {language!r}; known: {', '.join(sorted(VOICES))}"
        ) from None


def audio_key(language: str, text: str) -> str:
    """Stable short hex name for `text` spoken in `language` by the current renderer."""
    voice = VOICES.get(language, "")
    payload = "\x00".join((RENDERER_VERSION, voice, language, text))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:20]


def speech_text(language: str, text: str) -> str:
    """The text as handed to espeak-ng: spelling adjusted to what its voice reads well."""
    text = _APOSTROPHES.sub("'", text)
    if VOICES.get(language) == "qu":
        text = _CH_EJECTIVE.sub(r"\1", text)
    if language == "ay":
        text = _AYMARA_X.sub("j", text)
    return text


def missing_tools() -> list[str]:
    """The external programs rendering needs that are not on PATH."""
    return [tool for tool in (ESPEAK, SOX) if shutil.which(tool) is None]


def wav_info(path: Path) -> tuple[int, int, int, float]:
    """(sample rate in Hz, channels, sample width in bytes, duration in seconds) of a WAV."""
    with wave.open(str(path), "rb") as wav:
        rate = wav.getframerate()
        frames = wav.getnframes()
        return rate, wav.getnchannels(), wav.getsampwidth(), frames / rate if rate else 0.0


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _run(command: list[str], stdin: bytes | None = None) -> None:
    try:
        result = subprocess.run(
            command, input=stdin, capture_output=True, timeout=TOOL_TIMEOUT, check=False
        )
    except FileNotFoundError as exc:
        raise AudioError(f"{command[0]} is not installed; {INSTALL_HINT}") from exc
    except subprocess.TimeoutExpired as exc:
        raise AudioError(f"{command[0]} took more than {TOOL_TIMEOUT} s and was stopped") from exc
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).decode("utf-8", "replace").strip()
        raise AudioError(
            f"{command[0]} failed with exit code {result.returncode}: {detail or 'no message'}"
        )


class AudioStore:
    """Rendered prompts under ``root/<language>/<key>.wav``, with the text in ``<key>.txt``."""

    def __init__(self, root: Path):
        self.root = Path(root)

    @staticmethod
    def available() -> bool:
        """Whether espeak-ng and sox are on PATH."""
        return not missing_tools()

    @staticmethod
    def languages() -> frozenset[str]:
        """The languages it can render now: every one with a voice, or none without the
        tools."""
        return frozenset(VOICES) if not missing_tools() else frozenset()

    def path(self, language: str, key: str) -> Path:
        """Where the WAV for `key` lives; `ValueError` for a malformed language or key."""
        if not _LANGUAGE.fullmatch(language):
            raise ValueError(f"not a language code: {language!r}")
        if not _KEY.fullmatch(key):
            raise ValueError(f"not an audio key: {key!r}")
        return self.root / language / f"{key}.wav"

    def _text_path(self, language: str, key: str) -> Path:
        return self.path(language, key).with_suffix(".txt")

    def remember(self, language: str, text: str) -> str:
        """Key for `text`, which is saved (once) so that `render_key` can render it later."""
        key = audio_key(language, text)
        text_path = self._text_path(language, key)
        if not text_path.exists():
            _write_atomically(text_path, text.encode("utf-8"))
        return key

    def remember_private(self, language: str, text: str, secret: bytes) -> str:
        """Like `remember`, for a text naming a person: the key is keyed with `secret`, so
        no one who guesses the text can find its audio (nor learn that it was said)."""
        voice = VOICES.get(language, "")
        payload = "\x00".join((RENDERER_VERSION, voice, language, text)).encode("utf-8")
        key = hmac.new(secret, payload, hashlib.sha256).hexdigest()[:20]
        text_path = self._text_path(language, key)
        if not text_path.exists():
            _write_atomically(text_path.with_suffix(".private"), b"")
            _write_atomically(text_path, text.encode("utf-8"))
        return key

    def is_private(self, language: str, key: str) -> bool:
        try:
            return self._text_path(language, key).with_suffix(".private").exists()
        except ValueError:
            return False

    def text_of(self, language: str, key: str) -> str | None:
        """The text a key stands for, when it was remembered."""
        try:
            return self._text_path(language, key).read_text(encoding="utf-8")
        except (OSError, ValueError):
            return None

    def render(self, language: str, text: str) -> Path:
        """The WAV for `text`, rendered now unless it already exists."""
        _voice(language)  # an unknown language fails before anything is written
        key = self.remember(language, text)
        return self._render(language, key, text)

    def render_key(self, language: str, key: str) -> Path:
        """The WAV for a key `remember` gave out; `UnknownAudio` (a `KeyError`) if none."""
        try:
            wav = self.path(language, key)
        except ValueError as exc:
            raise UnknownAudio(str(exc)) from None
        if wav.exists():
            return wav
        try:
            text = wav.with_suffix(".txt").read_text(encoding="utf-8")
        except FileNotFoundError:
            raise UnknownAudio(f"no text remembered for audio {language}/{key}") from None
        return self._render(language, key, text)

    def is_rendered(self, language: str, text: str) -> bool:
        return self.path(language, audio_key(language, text)).exists()

    def _render(self, language: str, key: str, text: str) -> Path:
        wav = self.path(language, key)
        if wav.exists():
            return wav
        voice = _voice(language)
        missing = missing_tools()
        if missing:
            raise AudioError(f"{' and '.join(missing)} not found on PATH; {INSTALL_HINT}")
        if not text.strip():
            raise AudioError(f"nothing to say for audio {language}/{key}: the text is empty")
        wav.parent.mkdir(parents=True, exist_ok=True)
        # Both temporary files end in .wav: sox picks the format from the name.
        fd, raw = tempfile.mkstemp(dir=wav.parent, prefix=f".{key}.espeak.", suffix=".wav")
        os.close(fd)
        fd, out = tempfile.mkstemp(dir=wav.parent, prefix=f".{key}.sox.", suffix=".wav")
        os.close(fd)
        try:
            # The text goes in on stdin (-b 1: UTF-8), so a text starting with "-" is not
            # taken for an option and long texts do not hit argument limits.
            _run(
                [ESPEAK, "-v", voice, "-s", str(SPEED), "-b", "1", "-w", raw, "--stdin"],
                stdin=speech_text(language, text).encode("utf-8"),
            )
            if os.path.getsize(raw) <= 44:
                raise AudioError(f"{ESPEAK} produced no audio for {language}/{key}")
            _run([SOX, raw, *PHONE_FORMAT, out])
            os.replace(out, wav)
        finally:
            Path(raw).unlink(missing_ok=True)
            Path(out).unlink(missing_ok=True)
        return wav

    def render_many(
        self, items: Iterable[tuple[str, str]], progress: bool = True, workers: int = 2
    ) -> RenderReport:
        """Render every (language, text), skipping those already on disk.

        Each render is a pair of subprocesses, so a small thread pool keeps two going at
        once. The first failure stops the rest and is raised as `AudioError`.
        """
        start = time.perf_counter()
        todo: dict[tuple[str, str], str] = {}
        cached = 0
        seen: set[tuple[str, str]] = set()
        for language, text in items:
            key = audio_key(language, text)
            if (language, key) in seen:
                continue
            seen.add((language, key))
            if self.path(language, key).exists():
                cached += 1
            else:
                todo[(language, key)] = text
        if todo:
            for language in {language for language, _ in todo}:
                _voice(language)
            missing = missing_tools()
            if missing:
                raise AudioError(f"{' and '.join(missing)} not found on PATH; {INSTALL_HINT}")
            self._render_all(todo, progress, max(1, workers))
        return RenderReport(rendered=len(todo), cached=cached, seconds=time.perf_counter() - start)

    def _render_all(self, todo: dict[tuple[str, str], str], progress: bool, workers: int) -> None:
        bar = None
        if progress:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            bar = Progress(
                TextColumn("rendering speech"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            task = bar.add_task("render", total=len(todo))
        lock = threading.Lock()

        def one(language: str, key: str, text: str) -> None:
            self.remember(language, text)
            self._render(language, key, text)
            if bar is not None:
                with lock:
                    bar.advance(task)

        if bar is not None:
            bar.start()
        try:
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="espeak") as pool:
                futures = [
                    pool.submit(one, language, key, text) for (language, key), text in todo.items()
                ]
                done, pending = wait(futures, return_when=FIRST_EXCEPTION)
                for future in pending:
                    future.cancel()
                for future in futures:
                    if future in done:
                        future.result()  # raises the first failure
        finally:
            if bar is not None:
                bar.stop()
