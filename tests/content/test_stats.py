"""`yachay content stats`: exact numbers on a small pack whose texts are counted by hand."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from yachay.content.cli import content
from yachay.content.loader import load_pack, load_packs
from yachay.content.stats import pack_stats, speech_seconds

HERE = Path(__file__).parent
CONTEO = HERE / "packs_for_stats" / "conteo"
PACKS = HERE.parents[1] / "content" / "packs"

# Word counts, from the comments of the conteo lesson files (at 2.3 words a second, 138
# words are one minute):
# Each choice is read "Si tu respuesta es 3 papas, marca 1.": its words and 6 more.
#   g1-contar       es: segments 10 + 20, question 5 + 3 choices x 8 = 59
#                   qu: segments 6 + 8, question 3 + 3 x 8 = 41
#   g1-cuento       listening: its 17 words are read at 85 %, as 20; question 6 + 2 x 8 = 42
#   g3-multiplicar  segment 46, question 7 + 2 x 8 = 69
EXPECTED = {
    "packs": ["conteo"],
    "lessons": 3,
    "listening_lessons": 1,
    "questions": 7,
    "hand_written_questions": 3,
    "generated_questions": 4,
    "templates": 1,
    "skills": 3,
    "segments": 4,
    "minutes": 1.2,  # (59 + 42 + 69) / 138 = 1.23
    "words_per_second": {"es": 2.3, "qu": 2.3},
    "grades": {
        "1": {
            "lessons": 2,
            "listening_lessons": 1,
            "skills": 2,
            "questions": 2,
            "hand_written_questions": 2,
            "generated_questions": 0,
            "templates": 0,
            "segments": 3,
            "minutes": 0.7,  # 101 / 138 = 0.73
        },
        "3": {
            "lessons": 1,
            "listening_lessons": 0,
            "skills": 1,
            "questions": 5,
            "hand_written_questions": 1,
            "generated_questions": 4,
            "templates": 1,
            "segments": 1,
            "minutes": 0.5,  # 69 / 138 = 0.5
        },
    },
    "languages": {
        "es": {
            "lessons": 3,
            "segments_with_text": 4,
            "segments_with_audio": 0,
            "questions_with_text": 3,
            "minutes": 1.2,
        },
        "qu": {
            "lessons": 1,
            "segments_with_text": 2,
            "segments_with_audio": 1,
            "questions_with_text": 1,
            "minutes": 0.3,  # 41 / 138 = 0.3
        },
    },
}


def stats(*args: str):
    return CliRunner().invoke(content, ["stats", *args])


def test_speech_is_estimated_as_validate_does() -> None:
    assert speech_seconds("uno dos tres", "es") == pytest.approx(3 / 2.3)
    assert speech_seconds("1: 15 choclos", "es") == pytest.approx(3 / 2.3)
    assert speech_seconds("  Runasimipaq,   iskayta ñit'iy. ", "qu") == pytest.approx(3 / 2.3)
    assert speech_seconds("", "es") == 0


def test_the_numbers_are_exact() -> None:
    assert pack_stats([load_pack(CONTEO)]) == EXPECTED


def test_json_prints_one_object() -> None:
    result = stats(str(CONTEO), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == EXPECTED


def test_a_folder_of_packs_adds_up(tmp_path: Path) -> None:
    shutil.copytree(CONTEO, tmp_path / "conteo")
    shutil.copytree(PACKS / "matematica-primaria", tmp_path / "matematica-primaria")
    result = stats(str(tmp_path), "--json")
    assert result.exit_code == 0, result.output
    numbers = json.loads(result.output)
    shipped = pack_stats([load_pack(PACKS / "matematica-primaria")])
    assert numbers["packs"] == ["conteo", "matematica-primaria"]
    for name in ("lessons", "questions", "generated_questions", "skills", "segments"):
        assert numbers[name] == EXPECTED[name] + shipped[name], name
    assert numbers["languages"]["qu"]["segments_with_audio"] == 1


def test_the_shipped_packs_agree_with_the_loader() -> None:
    packs = load_packs(PACKS)
    numbers = pack_stats(packs)
    assert numbers["lessons"] == sum(len(p.lessons) for p in packs)
    assert numbers["hand_written_questions"] == sum(len(p.questions) for p in packs)
    assert numbers["generated_questions"] == sum(len(e.generated) for p in packs for e in p.lessons)
    assert numbers["skills"] == sum(len(p.pack.skills) for p in packs)
    assert numbers["minutes"] > 10
    assert numbers["languages"]["es"]["segments_with_text"] == numbers["segments"]


def test_tables_by_default() -> None:
    result = stats(str(CONTEO))
    assert result.exit_code == 0, result.output
    lines = [line.strip() for line in result.output.splitlines()]
    assert lines[0] == "Content: conteo"
    assert "Per grade" in lines and "Per language" in lines
    rows = {line.split()[0]: line.split()[1:] for line in lines if line}
    assert rows["hand-written"] == ["3"]
    assert rows["minutes"] == ["1.2"]
    assert rows["3"] == ["1", "0", "1", "4", "1", "1", "0.5"]
    assert rows["qu"] == ["1", "2/4", "1", "1", "0.3"]
    assert "2.3 words a second" in result.output


def test_a_broken_pack_prints_its_problems() -> None:
    result = stats(str(HERE / "broken" / "answer-out-of-range"))
    assert result.exit_code == 1
    assert result.output.startswith("answer-out-of-range/lessons/g1-contar.yaml:13: ")
