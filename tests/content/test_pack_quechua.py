"""The Quechua (Collao) drafts of the shipped packs: which grades have them, and that every
text of those lessons (templates included) is there, marked unreviewed, numbers in words."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from yachay.content.loader import LoadedPack, load_pack
from yachay.content.schema import iter_texts

PACKS = Path(__file__).resolve().parents[2] / "content" / "packs"
#: Grades whose every lesson has a Quechua text, per pack (issue 21: mother tongue).
QUECHUA_GRADES = {"matematica-primaria": {1, 2, 3, 4}, "comunicacion-escucha": {1, 2, 3, 4, 5, 6}}
DRAFT_HEADER = "# UNREVIEWED DRAFT (qu):"
DIGIT = re.compile(r"\d")


@pytest.fixture(scope="module", params=sorted(QUECHUA_GRADES))
def pack(request: pytest.FixtureRequest) -> tuple[str, LoadedPack]:
    return request.param, load_pack(PACKS / request.param)


def _lessons_in_quechua_grades(pack: tuple[str, LoadedPack]) -> list:
    name, loaded = pack
    chosen = [e for e in loaded.lessons if e.lesson.grade in QUECHUA_GRADES[name]]
    assert {e.lesson.grade for e in chosen} == QUECHUA_GRADES[name]
    return chosen


def test_every_lesson_of_those_grades_is_in_collao_quechua_marked_unreviewed(
    pack: tuple[str, LoadedPack],
) -> None:
    for entry in _lessons_in_quechua_grades(pack):
        lesson = entry.lesson
        translation = lesson.translations.get("qu")
        assert translation is not None, lesson.id
        assert translation.variety == "collao", lesson.id
        assert not translation.reviewed_by_native_speaker, lesson.id
        assert translation.doubts, lesson.id
        source = (PACKS / pack[0] / "lessons" / f"{lesson.id}.yaml").read_text(encoding="utf-8")
        head = source.split("\nid:", 1)[0]  # the comments above the lesson
        assert DRAFT_HEADER in head, lesson.id


def test_every_text_has_quechua_with_numbers_in_words(pack: tuple[str, LoadedPack]) -> None:
    for entry in _lessons_in_quechua_grades(pack):
        for loc, texts in iter_texts(entry.lesson):
            assert texts.get("qu"), (entry.lesson.id, loc)
            # The Quechua voice does not read digits: a number is written (or filled) in words.
            assert not DIGIT.search(texts["qu"]), (entry.lesson.id, loc, texts["qu"])


def test_templates_of_those_grades_generate_quechua_items(pack: tuple[str, LoadedPack]) -> None:
    for entry in _lessons_in_quechua_grades(pack):
        for item in entry.generated:
            assert item.stem.get("qu") and not DIGIT.search(item.stem["qu"]), item.id
            for choice in item.choices:
                assert choice.get("qu") and not DIGIT.search(choice["qu"]), item.id
