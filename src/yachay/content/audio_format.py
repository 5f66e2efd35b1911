"""Is a recording playable on a phone line? Read from the file's header, with no tools.

Twilio's ``<Play>`` takes WAV and MP3. What a phone line carries best, and what this
checks a WAV is: 8- or 16-bit PCM or μ-law, mono, 8000 to 48000 Hz (8 kHz is what the line
carries; anything up to 48 kHz is resampled). An MP3 must start (after an optional ID3
tag) with a valid MPEG layer III frame header. The WAV header is parsed by hand, not with
`wave`, which rejects μ-law and says little about what is wrong.
"""

from __future__ import annotations

import struct
from pathlib import Path

__all__ = ["LOWEST_RATE", "HIGHEST_RATE", "audio_problems"]

LOWEST_RATE = 8000
HIGHEST_RATE = 48000
_PCM, _MU_LAW, _EXTENSIBLE = 1, 7, 0xFFFE
_CODECS = {
    2: "ADPCM",
    3: "32-bit float",
    6: "A-law",
    0x11: "IMA ADPCM",
    0x31: "GSM 6.10",
    0x55: "MP3-in-WAV",
}
_FIX = "sox in.wav -c 1 -r 8000 -b 16 -e signed-integer out.wav"
#: How many bytes of a file are read to find the headers.
_HEAD = 1 << 16

# MPEG audio: version bits -> sample rates for index 0..2.
_MPEG_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}
_LAYERS = {1: "III", 2: "II", 3: "I"}


def audio_problems(path: Path, name: str) -> list[str]:
    """What makes the recording at `path` (called `name` in messages) unfit for a phone
    line; empty when it plays. Each message says how to fix it."""
    with path.open("rb") as handle:
        head = handle.read(_HEAD)
    suffix = path.suffix.lower()
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        problems = _wav_problems(path, head, name)
        if suffix != ".wav":
            problems.insert(0, f"{name} is a WAV file: name it .wav, not {suffix or 'nothing'}")
        return problems
    if head[:3] == b"ID3" or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        mp3 = _mp3_problem(head, name)
        problems = [mp3] if mp3 else []
        if suffix != ".mp3":
            problems.insert(0, f"{name} is an MP3 file: name it .mp3, not {suffix or 'nothing'}")
        return problems
    if not head:
        return [f"{name} is empty: record it again or remove it"]
    return [
        f"{name} is not a WAV or MP3 file; telephony audio must be one "
        f"(convert it: sox in.ogg -c 1 -r 8000 -b 16 out.wav)"
    ]


def _chunks(head: bytes, size: int) -> dict[bytes, tuple[int, int]]:
    """Chunk id -> (offset of its data, its declared size), for the chunks of a RIFF file;
    offsets may point past `head` for large chunks."""
    found: dict[bytes, tuple[int, int]] = {}
    offset = 12
    while offset + 8 <= min(len(head), size):
        chunk_id, chunk_size = struct.unpack_from("<4sI", head, offset)
        found.setdefault(chunk_id, (offset + 8, chunk_size))
        offset += 8 + chunk_size + (chunk_size & 1)
    return found


def _wav_problems(path: Path, head: bytes, name: str) -> list[str]:
    chunks = _chunks(head, path.stat().st_size)
    if b"fmt " not in chunks or chunks[b"fmt "][1] < 16:
        return [f"{name} is a damaged WAV file: it has no format header; export it again ({_FIX})"]
    start, size = chunks[b"fmt "]
    fmt = head[start : start + size]
    if len(fmt) < 16:
        return [f"{name} is a damaged WAV file: its format header is cut short"]
    codec, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", fmt)
    if codec == _EXTENSIBLE and len(fmt) >= 26:
        codec = struct.unpack_from("<H", fmt, 24)[0]
    problems: list[str] = []
    if codec == _PCM:
        if bits not in (8, 16):
            problems.append(
                f"{name} is {bits}-bit PCM; telephony audio must be 8- or 16-bit PCM or μ-law "
                f"(sox in.wav -b 16 out.wav)"
            )
    elif codec != _MU_LAW:
        what = _CODECS.get(codec, f"encoded with codec {codec:#06x}")
        problems.append(
            f"{name} is {what} WAV; telephony audio must be 8- or 16-bit PCM or μ-law "
            f"(sox in.wav -e signed-integer -b 16 out.wav)"
        )
    if channels != 1:
        what = "stereo" if channels == 2 else f"{channels}-channel"
        problems.append(
            f"{name} is {what}; telephony audio must be mono (sox in.wav -c 1 -r 8000 out.wav)"
        )
    if not LOWEST_RATE <= rate <= HIGHEST_RATE:
        problems.append(
            f"{name} is sampled at {rate} Hz; telephony audio must be {LOWEST_RATE} to "
            f"{HIGHEST_RATE} Hz (sox in.wav -r 8000 out.wav)"
        )
    if b"data" not in chunks or chunks[b"data"][1] == 0:
        problems.append(f"{name} has no sound: its data chunk is missing or empty")
    return problems


def _mp3_problem(head: bytes, name: str) -> str | None:
    """None if `head` (an ID3 tag or an MPEG frame first) starts a playable MP3, else what
    is wrong."""
    offset = 0
    if head[:3] == b"ID3" and len(head) >= 10:
        size = 0
        for byte in head[6:10]:
            size = (size << 7) | (byte & 0x7F)
        offset = 10 + size + (10 if head[5] & 0x10 else 0)
        while offset < len(head) and head[offset] == 0:  # padding after the tag
            offset += 1
    frame = head[offset : offset + 4]
    if len(frame) < 4 or frame[0] != 0xFF or frame[1] & 0xE0 != 0xE0:
        return f"{name} has no MPEG frame header after its ID3 tag: export it again as MP3"
    version = (frame[1] >> 3) & 3
    layer = (frame[1] >> 1) & 3
    bitrate = frame[2] >> 4
    rate_index = (frame[2] >> 2) & 3
    if version == 1 or layer == 0 or bitrate in (0, 15) or rate_index == 3:
        return f"{name} has a damaged MPEG frame header: export it again as MP3"
    if layer != 1:
        return (
            f"{name} is MPEG layer {_LAYERS[layer]} audio, not MP3 (layer III): export it "
            f"again as MP3"
        )
    rate = _MPEG_RATES[version][rate_index]
    if not LOWEST_RATE <= rate <= HIGHEST_RATE:  # pragma: no cover - all MPEG rates fit
        return f"{name} is sampled at {rate} Hz; telephony audio must be 8000 to 48000 Hz"
    return None
