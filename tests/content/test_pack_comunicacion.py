"""The listening pack: a story for every grade, three kinds of question, phone-ready text."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from pathlib import Path
from statistics import mean

import pytest
import yaml

from yachay.content.loader import LoadedPack, load_pack

from .phone_writing import NOT_PERUVIAN, heard, words

PACKS = Path(__file__).resolve().parents[2] / "content" / "packs"
PACK = PACKS / "comunicacion-escucha"

#: What a voice reads badly or wrongly: symbols and abbreviations. Stories write every number
#: in words, so a digit is a mistake too.
UNSPEAKABLE = {
    "a symbol": re.compile(r"[%+=½¼¾²³×÷/*<>#&@$°º_|~^]"),
    "an abbreviation": re.compile(r"\b(?:Sr|Sra|Dr|Dra|Prof|etc|km|kg|cm|hr|min|seg|S)\b"),
    "a digit": re.compile(r"\d"),
    "a dash or straight quote": re.compile(r"[\"—–]|(?:^|\s)-"),
}

#: The kinds of question CURRICULUM.md lists for listening, by the skill a question practises.
LITERAL = {"escuchar-quien-que-donde", "integrar-informacion"}
CRITICAL = {"opinion-sobre-personajes", "justificar-una-posicion"}


@pytest.fixture(scope="module")
def pack() -> LoadedPack:
    return load_pack(PACK)


def kind(skill: str) -> str:
    if skill in LITERAL:
        return "literal"
    if skill in CRITICAL:
        return "critical"
    return "inferential"


def test_it_loads_with_the_expected_size(pack: LoadedPack) -> None:
    assert pack.pack.subject == "comunicacion"
    assert pack.pack.languages == ["es"]
    assert len(pack.lessons) >= 12
    assert 8 <= len(pack.pack.skills) <= 14
    grades = Counter(entry.lesson.grade for entry in pack.lessons)
    assert set(grades) == {1, 2, 3, 4, 5, 6}
    assert all(count >= 2 for count in grades.values()), grades
    assert sorted(unit.grade for unit in pack.pack.units) == [1, 2, 3, 4, 5, 6]
    for entry in pack.lessons:
        assert entry.lesson.grade == entry.unit.grade, entry.lesson.id


def test_every_lesson_is_a_story_to_listen_to(pack: LoadedPack) -> None:
    for entry in pack.lessons:
        lesson = entry.lesson
        assert lesson.kind == "listening", lesson.id
        assert 3 <= len(lesson.segments) <= 5, lesson.id
        assert 4 <= len(lesson.questions) <= 6, lesson.id
        # The story is the lesson: no recap after it.
        assert not lesson.segments[-1].text["es"].startswith("Recordemos"), lesson.id


def test_lessons_go_up_the_grades_and_stories_grow(pack: LoadedPack) -> None:
    grades = [entry.lesson.grade for entry in pack.lessons]
    assert grades == sorted(grades)
    length: dict[int, list[int]] = defaultdict(list)
    for entry in pack.lessons:
        story = sum(words(segment.text["es"]) for segment in entry.lesson.segments)
        length[entry.lesson.grade].append(story)
    means = [mean(length[grade]) for grade in sorted(length)]
    assert means == sorted(means), means


def test_every_lesson_asks_literal_inferential_and_critical_questions(pack: LoadedPack) -> None:
    for entry in pack.lessons:
        kinds = {kind(skill) for question in entry.lesson.questions for skill in question.skills}
        assert kinds == {"literal", "inferential", "critical"}, entry.lesson.id


def test_every_skill_is_asked_and_builds_on_earlier_ones(pack: LoadedPack) -> None:
    asked = {skill for question in pack.questions for skill in question.skills}
    grade = {skill.id: skill.grade for skill in pack.pack.skills}
    assert asked == set(grade)
    assert LITERAL | CRITICAL <= set(grade)
    for skill in pack.pack.skills:
        for prerequisite in skill.prerequisites:
            assert grade[prerequisite] <= skill.grade, (skill.id, prerequisite)
    for entry in pack.lessons:
        lesson = entry.lesson
        assert {s for q in lesson.questions for s in q.skills} == set(lesson.skills), lesson.id
        for question in lesson.questions:
            assert question.grade == lesson.grade, question.id
            assert all(grade[skill] <= lesson.grade for skill in question.skills), question.id


def test_right_answers_are_spread_over_the_keys(pack: LoadedPack) -> None:
    keys = Counter(question.answer for question in pack.questions)
    assert max(keys.values()) <= 0.4 * len(pack.questions), keys
    assert all(keys[key] >= 0.2 * len(pack.questions) for key in (1, 2, 3)), keys
    # Three choices mostly: a fourth is allowed now and then.
    four = sum(len(question.choices) == 4 for question in pack.questions)
    assert four <= 0.1 * len(pack.questions)
    # No habit a child could learn: the first question of a lesson is not always on one key,
    # and every grade uses keys 1 to 3.
    first = Counter(entry.lesson.questions[0].answer for entry in pack.lessons)
    assert max(first.values()) <= 0.5 * len(pack.lessons), first
    by_grade: dict[int, set[int]] = defaultdict(set)
    for entry in pack.lessons:
        by_grade[entry.lesson.grade] |= {question.answer for question in entry.lesson.questions}
    assert all(keys >= {1, 2, 3} for keys in by_grade.values()), by_grade


@pytest.mark.parametrize("problem", sorted(UNSPEAKABLE))
def test_nothing_a_voice_reads_badly(pack: LoadedPack, problem: str) -> None:
    found = [(where, text) for where, text in heard(pack) if UNSPEAKABLE[problem].search(text)]
    assert found == []


def test_peruvian_spanish(pack: LoadedPack) -> None:
    assert [(where, text) for where, text in heard(pack) if NOT_PERUVIAN.search(text)] == []


def test_lengths_fit_a_phone_call(pack: LoadedPack) -> None:
    for entry in pack.lessons:
        for number, segment in enumerate(entry.lesson.segments, start=1):
            # About 40 seconds of speech read slowly: 90 words at most.
            assert words(segment.text["es"]) <= 90, (entry.lesson.id, number)
        for question in entry.lesson.questions:
            assert words(question.stem["es"]) <= 30, question.id
            for choice in question.choices:
                assert words(choice["es"]) <= 6, (question.id, choice["es"])
            sentences = [s for s in re.split(r"[.!?]+", question.explanation["es"]) if s.strip()]
            assert len(sentences) <= 2, question.id


def test_ids_are_not_used_by_another_pack(pack: LoadedPack) -> None:
    """Lessons, skills and questions are stored by id, whatever their pack."""
    ours = {
        "lesson": {entry.lesson.id for entry in pack.lessons},
        "skill": {skill.id for skill in pack.pack.skills},
        "question": {question.id for question in pack.questions},
    }
    theirs: dict[str, set[str]] = defaultdict(set)
    for folder in PACKS.iterdir():
        if folder == PACK or not (folder / "pack.yaml").is_file():
            continue
        data = yaml.safe_load((folder / "pack.yaml").read_text(encoding="utf-8")) or {}
        theirs["skill"] |= {skill.get("id") for skill in data.get("skills") or []}
        for path in (folder / "lessons").glob("*.yaml"):
            lesson = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            theirs["lesson"].add(lesson.get("id"))
            theirs["question"] |= {q.get("id") for q in lesson.get("questions") or []}
    for what, ids in ours.items():
        assert ids.isdisjoint(theirs[what]), (what, sorted(ids & theirs[what]))
