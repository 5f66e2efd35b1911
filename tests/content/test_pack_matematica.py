"""The shipped starter pack: it loads, it covers primary school, and it sounds right on a phone."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from yachay.content.loader import LoadedPack, load_pack

from .phone_writing import NOT_PERUVIAN, heard, words

PACK = Path(__file__).resolve().parents[2] / "content" / "packs" / "matematica-primaria"

#: What a voice reads badly or wrongly: symbols, abbreviations, digits with separators.
UNSPEAKABLE = {
    "a symbol": re.compile(r"[%+=½¼¾²³×÷/*<>#&@$°º]"),
    "an abbreviation": re.compile(r"\b(?:km|kg|cm|mm|ml|hr|min|seg|S)\b|\d\s*[mgl]\b"),
    "a decimal, thousands or time separator": re.compile(r"\d[.,:]\d"),
    "an x as a number": re.compile(r"\b[xX]\b"),
}
#: Coins are 10, 20 and 50 céntimos: no amount of single céntimos.
SINGLE_CENTIMOS = re.compile(
    r"\b(?:\d*[1-9]|un|uno|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|once|doce|trece|catorce|"
    r"quince|dieci\w+|veinti\w+) céntimos?\b",
    re.IGNORECASE,
)


@pytest.fixture(scope="module")
def pack() -> LoadedPack:
    return load_pack(PACK)


def test_it_loads_with_the_expected_size(pack: LoadedPack) -> None:
    assert pack.pack.languages == ["es"]
    # The starter curriculum's size, as the curriculum issue asks for it.
    assert len(pack.lessons) >= 60
    assert len(pack.pack.skills) >= 40
    assert len(pack.questions) >= 200
    generated = sum(len(entry.generated) for entry in pack.lessons)
    assert len(pack.questions) + generated >= 600
    grades = Counter(entry.lesson.grade for entry in pack.lessons)
    assert set(grades) == {1, 2, 3, 4, 5, 6}
    assert all(grades[grade] >= 10 for grade in grades)
    for entry in pack.lessons:
        assert 3 <= len(entry.lesson.segments) <= 5, entry.lesson.id
        assert 4 <= len(entry.lesson.questions) <= 6, entry.lesson.id
        assert entry.lesson.grade == entry.unit.grade, entry.lesson.id


def test_lessons_go_up_the_grades(pack: LoadedPack) -> None:
    grades = [entry.lesson.grade for entry in pack.lessons]
    assert grades == sorted(grades)


def test_every_skill_is_taught_and_builds_on_earlier_ones(pack: LoadedPack) -> None:
    asked = {skill for question in pack.questions for skill in question.skills}
    grade = {skill.id: skill.grade for skill in pack.pack.skills}
    assert asked == set(grade)
    for skill in pack.pack.skills:
        for prerequisite in skill.prerequisites:
            assert grade[prerequisite] <= skill.grade, (skill.id, prerequisite)
    for entry in pack.lessons:
        for question in entry.lesson.questions:
            assert set(question.skills) <= set(entry.lesson.skills), question.id
            assert question.grade == entry.lesson.grade


def test_right_answers_are_spread_over_the_keys(pack: LoadedPack) -> None:
    keys = Counter(question.answer for question in pack.questions)
    assert max(keys.values()) <= 0.45 * len(pack.questions), keys


@pytest.mark.parametrize("problem", sorted(UNSPEAKABLE))
def test_nothing_a_voice_reads_badly(pack: LoadedPack, problem: str) -> None:
    found = [(where, text) for where, text in heard(pack) if UNSPEAKABLE[problem].search(text)]
    assert found == []


def test_peruvian_spanish(pack: LoadedPack) -> None:
    assert [(where, text) for where, text in heard(pack) if NOT_PERUVIAN.search(text)] == []


def test_money_in_coins_that_exist(pack: LoadedPack) -> None:
    assert [(where, text) for where, text in heard(pack) if SINGLE_CENTIMOS.search(text)] == []


def test_lengths_fit_a_phone_call(pack: LoadedPack) -> None:
    for entry in pack.lessons:
        for number, segment in enumerate(entry.lesson.segments, start=1):
            # About 40 seconds of speech for a child: 90 words at most.
            assert words(segment.text["es"]) <= 90, (entry.lesson.id, number)
        for question in entry.lesson.questions:
            assert words(question.stem["es"]) <= 25, question.id
            for choice in question.choices:
                assert words(choice["es"]) <= 6, question.id
                # "1: 15" is read as two numbers; "1: 15 choclos" or "1: quince" is not.
                assert not choice["es"].isdigit(), question.id
            sentences = [s for s in re.split(r"[.!?]+", question.explanation["es"]) if s.strip()]
            assert len(sentences) <= 2, question.id


def test_each_lesson_ends_with_a_recap(pack: LoadedPack) -> None:
    for entry in pack.lessons:
        assert entry.lesson.segments[-1].text["es"].startswith("Recordemos."), entry.lesson.id
