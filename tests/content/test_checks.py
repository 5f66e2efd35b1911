"""What a caller hears: playable audio, prompts short enough, texts a voice reads well.

The crafted broken packs for these checks (audio-*, too-long-*, unreadable-*, ...) are in
test_pack_loader.py with the others; here are the checks one by one.
"""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

import pytest

from yachay.content.checks import (
    MAX_SECONDS,
    UNREADABLE,
    audio_problems,
    speech_seconds,
    unreadable,
    word_count,
)
from yachay.content.loader import PackError, load_pack, load_packs

BROKEN = Path(__file__).parent / "broken"
PACKS = Path(__file__).resolve().parents[2] / "content" / "packs"


# --- audio -------------------------------------------------------------------------------


def wav_bytes(
    channels: int = 1, rate: int = 8000, bits: int = 16, codec: int = 1, frames: int = 80
) -> bytes:
    width = max(bits // 8, 1)
    data = b"\x00" * (frames * channels * width)
    fmt = struct.pack(
        "<HHIIHH", codec, channels, rate, rate * channels * width, channels * width, bits
    )
    if codec == 0xFFFE:  # WAVE_FORMAT_EXTENSIBLE: the real codec is in the sub-format
        fmt += struct.pack("<HHI", 22, bits, 0) + struct.pack("<H", 1) + b"\x00" * 14
    chunks = (
        b"LIST" + struct.pack("<I", 4) + b"INFO"  # a chunk before fmt, as editors write
        + b"fmt " + struct.pack("<I", len(fmt)) + fmt
        + b"data" + struct.pack("<I", len(data)) + data
    )  # fmt: skip
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"bits": 8},
        {"codec": 7, "bits": 8},  # μ-law
        {"rate": 16000},
        {"rate": 48000},
        {"codec": 0xFFFE},  # extensible header around 16-bit PCM
    ],
)
def test_telephony_wavs_pass(tmp_path: Path, kwargs: dict) -> None:
    assert audio_problems(write(tmp_path, "x.wav", wav_bytes(**kwargs)), "audio/x.wav") == []


@pytest.mark.parametrize(
    ("kwargs", "problems"),
    [
        (
            {"channels": 2},
            [
                "audio/x.wav is stereo; telephony audio must be mono (sox in.wav -c 1 -r 8000 "
                "out.wav)"
            ],
        ),
        (
            {"channels": 6},
            [
                "audio/x.wav is 6-channel; telephony audio must be mono (sox in.wav -c 1 -r "
                "8000 out.wav)"
            ],
        ),
        (
            {"rate": 96000},
            [
                "audio/x.wav is sampled at 96000 Hz; telephony audio must be 8000 to 48000 Hz "
                "(sox in.wav -r 8000 out.wav)"
            ],
        ),
        (
            {"rate": 4000},
            [
                "audio/x.wav is sampled at 4000 Hz; telephony audio must be 8000 to 48000 Hz "
                "(sox in.wav -r 8000 out.wav)"
            ],
        ),
        (
            {"bits": 24},
            [
                "audio/x.wav is 24-bit PCM; telephony audio must be 8- or 16-bit PCM or μ-law "
                "(sox in.wav -b 16 out.wav)"
            ],
        ),
        (
            {"codec": 3, "bits": 32},
            [
                "audio/x.wav is 32-bit float WAV; telephony audio must be 8- or 16-bit PCM or "
                "μ-law (sox in.wav -e signed-integer -b 16 out.wav)"
            ],
        ),
        (
            {"codec": 6, "bits": 8},
            [
                "audio/x.wav is A-law WAV; telephony audio must be 8- or 16-bit PCM or μ-law "
                "(sox in.wav -e signed-integer -b 16 out.wav)"
            ],
        ),
        ({"frames": 0}, ["audio/x.wav has no sound: its data chunk is missing or empty"]),
        (
            {"channels": 2, "rate": 44100, "bits": 24},
            [
                "audio/x.wav is 24-bit PCM; telephony audio must be 8- or 16-bit PCM or μ-law "
                "(sox in.wav -b 16 out.wav)",
                "audio/x.wav is stereo; telephony audio must be mono (sox in.wav -c 1 -r 8000 "
                "out.wav)",
            ],
        ),
    ],
)
def test_what_is_wrong_with_a_wav(tmp_path: Path, kwargs: dict, problems: list[str]) -> None:
    assert audio_problems(write(tmp_path, "x.wav", wav_bytes(**kwargs)), "audio/x.wav") == problems


def test_a_damaged_wav(tmp_path: Path) -> None:
    path = write(tmp_path, "x.wav", b"RIFF\x04\x00\x00\x00WAVE")
    assert audio_problems(path, "audio/x.wav") == [
        "audio/x.wav is a damaged WAV file: it has no format header; export it again (sox "
        "in.wav -c 1 -r 8000 -b 16 -e signed-integer out.wav)"
    ]


#: An MPEG-1 layer III frame header: 128 kbit/s, 44100 Hz, mono.
MP3_FRAME = bytes([0xFF, 0xFB, 0x90, 0xC4]) + b"\x00" * 100


def id3(size: int = 20) -> bytes:
    return b"ID3\x04\x00\x00" + bytes([0, 0, 0, size]) + b"\x00" * size


@pytest.mark.parametrize("data", [MP3_FRAME, id3() + MP3_FRAME])
def test_mp3s_pass(tmp_path: Path, data: bytes) -> None:
    assert audio_problems(write(tmp_path, "x.mp3", data), "audio/x.mp3") == []


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (
            id3() + b"not audio at all",
            "audio/x.mp3 has no MPEG frame header after its ID3 tag: export it again as MP3",
        ),
        (
            bytes([0xFF, 0xFD, 0x90, 0xC4]) + b"\x00" * 10,  # layer II
            "audio/x.mp3 is MPEG layer II audio, not MP3 (layer III): export it again as MP3",
        ),
        (
            bytes([0xFF, 0xFB, 0xF0, 0xC4]) + b"\x00" * 10,  # bitrate index 15: invalid
            "audio/x.mp3 has a damaged MPEG frame header: export it again as MP3",
        ),
    ],
)
def test_what_is_wrong_with_an_mp3(tmp_path: Path, data: bytes, problem: str) -> None:
    assert audio_problems(write(tmp_path, "x.mp3", data), "audio/x.mp3") == [problem]


def test_a_recording_with_the_wrong_name(tmp_path: Path) -> None:
    assert audio_problems(write(tmp_path, "x.mp3", wav_bytes()), "audio/x.mp3") == [
        "audio/x.mp3 is a WAV file: name it .wav, not .mp3"
    ]
    assert audio_problems(write(tmp_path, "y.wav", MP3_FRAME), "audio/y.wav") == [
        "audio/y.wav is an MP3 file: name it .mp3, not .wav"
    ]


def test_not_audio_at_all(tmp_path: Path) -> None:
    assert audio_problems(write(tmp_path, "x.ogg", b"OggS\x00\x02"), "audio/x.ogg") == [
        "audio/x.ogg is not a WAV or MP3 file; telephony audio must be one (convert it: sox "
        "in.ogg -c 1 -r 8000 -b 16 out.wav)"
    ]
    assert audio_problems(write(tmp_path, "x.wav", b""), "audio/x.wav") == [
        "audio/x.wav is empty: record it again or remove it"
    ]


def test_a_good_recording_in_a_pack(tmp_path: Path) -> None:
    folder = tmp_path / "prueba"
    shutil.copytree(BROKEN / "audio-stereo", folder)
    (folder / "audio" / "contamos.wav").write_bytes(wav_bytes())
    assert load_pack(folder).lessons[0].lesson.segments[0].audio == {"es": "audio/contamos.wav"}


# --- length ------------------------------------------------------------------------------


def test_words_and_digit_groups_are_counted() -> None:
    assert word_count("Hay 12 cuyes y 3 alpacas.") == 6
    assert word_count("1: 15 choclos, 2: dos coma cinco") == 7
    assert word_count("¡Hola! ¿Qué tal?") == 3


def test_speech_time_at_the_documented_rate() -> None:
    assert speech_seconds("uno " * 23) == pytest.approx(10)
    assert speech_seconds("uno " * 23, speed=0.5) == pytest.approx(20)
    assert speech_seconds("huk " * 23, "qu") == pytest.approx(10)  # the Spanish rate for now


def lesson_with(tmp_path: Path, old: str, new: str) -> list[str]:
    folder = tmp_path / "prueba"
    shutil.copytree(BROKEN / "bad-kind", folder)
    lesson = folder / "lessons" / "g1-contar.yaml"
    text = lesson.read_text(encoding="utf-8").replace("kind: story", "kind: lesson")
    assert old in text
    lesson.write_text(text.replace(old, new), encoding="utf-8")
    try:
        load_pack(folder)
    except PackError as exc:
        return [str(problem) for problem in exc.problems]
    return []


#: 132 words: about 57 seconds at the normal rate, over 60 read slowly.
STORY = " ".join(["Rosa camina con su llama por el camino de la chacra."] * 12)


def test_stories_of_listening_lessons_are_read_slower(tmp_path: Path) -> None:
    segment = 'segments:\n  - text: {es: "Contamos hasta tres: uno, dos, tres."}'
    story = f'segments:\n  - text: {{es: "{STORY}"}}'
    assert lesson_with(tmp_path, segment, story) == []
    shutil.rmtree(tmp_path / "prueba")
    assert lesson_with(
        tmp_path,
        "kind: lesson\nskills: [contar]\n" + segment,
        "kind: listening\nskills: [contar]\n" + story,
    ) == [
        "prueba/lessons/g1-contar.yaml:7: segment 1 takes about 68 seconds to hear (132 words "
        "at 1.95 a second); a caller hears it in one go: keep it under 60 seconds"
    ]


def test_a_long_explanation(tmp_path: Path) -> None:
    long = " ".join(["Después del dos viene el tres, como en la chacra."] * 15)
    assert lesson_with(tmp_path, "Después del dos viene el tres.", long) == [
        "prueba/lessons/g1-contar.yaml:15: question g1-contar-q1: explanation takes about 65 "
        "seconds to hear (150 words at 2.3 a second); a caller hears it in one go: keep it "
        f"under {MAX_SECONDS} seconds"
    ]


# --- what a voice reads badly ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "found"),
    [
        (
            "Comemos ¾ del queso.",
            ['the fraction "¾" is read badly on the phone: write "tres cuartos"'],
        ),
        ("El cubo es x³.", ['the power "x³" is read badly on the phone: write "al cubo"']),
        ("Son 3 m³ de agua.", ['the unit "m³" is read badly on the phone: write "metros cúbicos"']),
        (
            "Cuesta $ 5.",
            [
                'the symbol "$" is read badly on the phone: write the currency in '
                'words ("soles", "dólares")'
            ],
        ),
        (
            "Cuesta S/. 5.",
            ['the abbreviation "S/." is read badly on the phone: write "soles" after the amount'],
        ),
        (
            "Es el 3.º puesto.",
            [
                'the ordinal "3.º" is read badly on the phone: write it in words '
                '("primero", "tercera")'
            ],
        ),
        ("Hace 30° de calor.", ['the symbol "°" is read badly on the phone: write "grados"']),
        ("3 x 4 es 12.", ['the sign "3 x 4" is read badly on the phone: write "por"']),
        (
            "Come 3/4 del pan.",
            [
                'the sign "3/4" is read badly on the phone: write the fraction in '
                'words ("tres cuartos")'
            ],
        ),
        ("Si 5 - 2 es 3.", ['the sign "5 - 2" is read badly on the phone: write "menos"']),
        (
            "5 < 7 y 7 > 5.",
            [
                'the sign "<" is read badly on the phone: write "es menor que"',
                'the sign ">" is read badly on the phone: write "es mayor que"',
            ],
        ),
        ("Pesa 3 kg.", ['the abbreviation "kg" is read badly on the phone: write "kilos"']),
        ("Mide 20 cm.", ['the abbreviation "cm" is read badly on the phone: write "centímetros"']),
        ("Mide 20 m.", ['the abbreviation "20 m" is read badly on the phone: write "20 metros"']),
        ("Tarda 2 h.", ['the abbreviation "2 h" is read badly on the phone: write "2 horas"']),
        (
            "La Dra. Flores.",
            ['the abbreviation "Dra." is read badly on the phone: write "doctora"'],
        ),
        ("Sale a las 10:00.", ['the time "10:00" is read badly on the phone: write "las diez"']),
        (
            "Sale a las 1:15.",
            ['the time "1:15" is read badly on the phone: write "la una y cuarto"'],
        ),
        (
            "Sale a las 2:45.",
            ['the time "2:45" is read badly on the phone: write "las tres menos cuarto"'],
        ),
        (
            "Sale a las 14:20.",
            ['the time "14:20" is read badly on the phone: write "las dos y 20"'],
        ),
        ("Pagó 2,50 soles.", ['the decimal "2,50" is read badly on the phone: write "2 coma 5"']),
        # In Peru 1.000 is one thousand: the advice keeps the thousand.
        (
            "Tiene 1.000 ovejas.",
            [
                'the number "1.000" is read badly on the phone: write "1000", without the '
                "point (it reads as a decimal)"
            ],
        ),
        (
            "Son 12.500 soles y 1.250.000 personas.",
            [
                'the number "12.500" is read badly on the phone: write "12500", without the '
                "point (it reads as a decimal)",
                'the number "1.250.000" is read badly on the phone: write "1250000", without '
                "the point (it reads as a decimal)",
            ],
        ),
        ("Pesa 1.5 kilos.", ['the decimal "1.5" is read badly on the phone: write "1 coma 5"']),
        ("Rosa & Luis.", ['the symbol "&" is read badly on the phone: write it in words']),
    ],
)
def test_what_a_voice_reads_badly(text: str, found: list[str]) -> None:
    assert unreadable(text) == found


@pytest.mark.parametrize(
    "text",
    [
        "Hay 12 cuyes en la chacra.",
        "Uno coma cinco soles, las tres y media, el cincuenta por ciento.",
        "Recordemos. Un medio es una de dos partes iguales.",
        "El número 3 y el 15: ¿cuál es mayor?",
        "La señora Mamani vende 2 kilos de papa a 3 soles.",
        "Más o menos, etcétera, kilómetros, mamá, gramos.",
        "Ana-María y el sol. ¡Muy bien!",
    ],
)
def test_what_a_voice_reads_well(text: str) -> None:
    assert unreadable(text) == []


def test_every_entry_of_the_table_says_what_to_write() -> None:
    for entry in UNREADABLE:
        assert entry.what.startswith("the ")
        assert entry.advice


# --- the shipped packs ------------------------------------------------------------------------


def test_the_shipped_packs_validate() -> None:
    """Every pack in content/packs passes every check (content writers: see README)."""
    packs = load_packs(PACKS)
    assert packs
