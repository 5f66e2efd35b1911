"""The loader on crafted broken packs: each problem is reported once, at the line to edit."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from yachay.content.loader import LoadedPack, PackError, Problem, load_pack, load_packs
from yachay.content.schema import Question

BROKEN = Path(__file__).parent / "broken"

#: Each folder under broken/ has one kind of mistake; the exact problems it must produce.
EXPECTED = {
    "yaml-syntax": [
        "yaml-syntax/lessons/g1-contar.yaml:3: YAML syntax error: mapping values are not "
        'allowed here; a text with ": " in it must be in quotes, like es: "Uno: el tres"',
    ],
    "unknown-field": [
        "unknown-field/lessons/g1-contar.yaml:9: question g1-contar-q1: unknown field 'stm' "
        "(did you mean 'stem'?)",
    ],
    "missing-language": [
        "missing-language/lessons/g1-contar.yaml:9: question g1-contar-q1: stem has no text "
        "in 'es'",
    ],
    "duplicate-question-id": [
        "duplicate-question-id/lessons/g1-sumar.yaml:8: question id 'g1-contar-q1' is already "
        "used at duplicate-question-id/lessons/g1-contar.yaml:8",
    ],
    "answer-out-of-range": [
        "answer-out-of-range/lessons/g1-contar.yaml:13: question g1-contar-q1: answer is 3, "
        "but there are only 2 choices: use a number from 1 to 2",
    ],
    "too-few-choices": [
        "too-few-choices/lessons/g1-contar.yaml:10: question g1-contar-q1: a question needs "
        "2 to 4 choices, this one has 1",
    ],
    "unknown-skill": [
        "unknown-skill/lessons/g1-contar.yaml:15: question g1-contar-q1: unknown skill "
        "'contr': pack.yaml declares no such skill (did you mean 'contar'?)",
    ],
    "missing-prerequisite": [
        "missing-prerequisite/pack.yaml:13: skill sumar: prerequisite 'restar' is not a skill "
        "of this pack",
    ],
    "missing-lesson-file": [
        "missing-lesson-file/pack.yaml:20: unit numeros: lesson file 'lessons/g1-restar.yaml' "
        "does not exist",
    ],
    "bad-grade": [
        "bad-grade/lessons/g1-contar.yaml:3: grade must be a whole number from 1 to 6 "
        "(1.º to 6.º grado), not 7",
    ],
    "duplicate-key": [
        "duplicate-key/lessons/g1-contar.yaml:17: question g1-contar-q1: 'difficulty' appears "
        "twice (also on line 16); keep one",
    ],
    "prerequisite-cycle": [
        "prerequisite-cycle/pack.yaml:9: skill contar: prerequisites go round in a circle: "
        "contar -> sumar -> contar",
    ],
    "missing-audio": [
        "missing-audio/lessons/g1-contar.yaml:7: segment 1: audio file "
        "'audio/g1-contar-1.wav' for 'qu' does not exist",
    ],
    "unlisted-lesson": [
        "unlisted-lesson/lessons/g1-sumar.yaml:1: this lesson is not in any unit of pack.yaml: "
        "add it to a unit's lessons, or move it out of the pack",
    ],
    # Problems in several files are all collected, pack.yaml first, each file by line.
    "several-problems": [
        "several-problems/pack.yaml:12: skill sumar: grade must be a whole number from 1 to 6 "
        "(1.º to 6.º grado), not 9",
        "several-problems/lessons/g1-contar.yaml:6: segment 1: unknown field 'txt' "
        "(did you mean 'text'?)",
        "several-problems/lessons/g1-contar.yaml:13: question g1-contar-q1: answer must be a "
        "whole number, not 'dos'",
        "several-problems/lessons/g1-contar.yaml:16: question g1-contar-q1: difficulty must "
        "be a whole number from 1 to 5, not 6",
    ],
}


def problems_of(folder: Path) -> list[str]:
    with pytest.raises(PackError) as caught:
        load_pack(folder)
    return [str(problem) for problem in caught.value.problems]


def test_every_broken_pack_has_a_test() -> None:
    assert sorted(p.name for p in BROKEN.iterdir() if p.is_dir()) == sorted(EXPECTED)


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_broken_pack(case: str) -> None:
    assert problems_of(BROKEN / case) == EXPECTED[case]


def test_pack_error_lists_every_problem() -> None:
    with pytest.raises(PackError) as caught:
        load_pack(BROKEN / "several-problems")
    error = caught.value
    assert str(error) == "\n".join(EXPECTED["several-problems"])
    first = error.problems[0]
    assert first == Problem(Path("several-problems/pack.yaml"), 12, first.message)


def write_pack(folder: Path, pack: str, lessons: dict[str, str]) -> Path:
    (folder / "lessons").mkdir(parents=True)
    (folder / "pack.yaml").write_text(pack, encoding="utf-8")
    for name, text in lessons.items():
        (folder / "lessons" / name).write_text(text, encoding="utf-8")
    return folder


GOOD = BROKEN / "answer-out-of-range"


def good_pack(tmp_path: Path, name: str = "prueba") -> Path:
    """A valid copy of a crafted pack, in tmp_path/name."""
    folder = tmp_path / name
    shutil.copytree(GOOD, folder)
    lesson = folder / "lessons" / "g1-contar.yaml"
    lesson.write_text(lesson.read_text(encoding="utf-8").replace("answer: 3", "answer: 1"))
    return folder


def test_loaded_pack(tmp_path: Path) -> None:
    loaded = load_pack(good_pack(tmp_path))
    assert isinstance(loaded, LoadedPack)
    assert loaded.id == "prueba"
    assert loaded.folder == tmp_path / "prueba"
    [entry] = loaded.lessons
    assert entry.unit.id == "numeros"
    assert entry.file == "lessons/g1-contar.yaml"
    question = loaded.question("g1-contar-q1")
    assert isinstance(question, Question)
    assert question.grade == 1  # the lesson's grade, as none is given
    assert question.right_choice == {"es": "el 3"}
    assert loaded.lesson("g1-contar") is entry.lesson
    assert loaded.skill("sumar").prerequisites == ["contar"]
    assert loaded.path("lessons/g1-contar.yaml").is_file()


def test_pack_yaml_path_also_works(tmp_path: Path) -> None:
    assert load_pack(good_pack(tmp_path) / "pack.yaml").id == "prueba"


def test_texts_lose_line_breaks_and_extra_spaces(tmp_path: Path) -> None:
    folder = good_pack(tmp_path)
    lesson = folder / "lessons" / "g1-contar.yaml"
    text = lesson.read_text(encoding="utf-8").replace(
        '  - text: {es: "Contamos hasta tres: uno, dos, tres."}',
        "  - text:\n      es: >\n        Contamos hasta tres:\n        uno,   dos, tres.\n",
    )
    lesson.write_text(text, encoding="utf-8")
    segment = load_pack(folder).lessons[0].lesson.segments[0]
    assert segment.text == {"es": "Contamos hasta tres: uno, dos, tres."}


def test_missing_pack_yaml(tmp_path: Path) -> None:
    (tmp_path / "vacio").mkdir()
    assert problems_of(tmp_path / "vacio") == [
        "vacio/pack.yaml:1: the pack folder has no pack.yaml"
    ]


def test_empty_lesson_file(tmp_path: Path) -> None:
    folder = good_pack(tmp_path)
    (folder / "lessons" / "g1-contar.yaml").write_text("")
    assert problems_of(folder) == ["prueba/lessons/g1-contar.yaml:1: the file is empty"]


def test_wrong_types_are_named(tmp_path: Path) -> None:
    folder = write_pack(
        tmp_path / "tipos",
        """\
id: tipos
title: Tipos
subject: matematica
languages: es
units:
  - id: Numeros
    title: {es: "Números", EN: "Numbers"}
    grade: "1"
    lessons: [../fuera.yaml]
""",
        {},
    )
    assert problems_of(folder) == [
        "tipos/pack.yaml:2: title must have a text per language, like es: \"...\", not 'Tipos'",
        "tipos/pack.yaml:4: languages must be a list, not 'es'",
        "tipos/pack.yaml:6: unit Numeros: id 'Numeros' is not a valid id: use lowercase "
        "letters without accents, digits and hyphens, like 'g1-contamos-q1'",
        "tipos/pack.yaml:7: unit Numeros: title uses 'EN', which is not a language code like "
        "es, qu or ay",
        "tipos/pack.yaml:8: unit Numeros: grade must be a whole number, not '1'",
        "tipos/pack.yaml:9: unit Numeros: lesson 1 '../fuera.yaml' must be a path inside the "
        "pack folder, like 'lessons/g1-x.yaml'",
    ]


def test_load_packs_checks_ids_across_packs(tmp_path: Path) -> None:
    good_pack(tmp_path, "uno")
    good_pack(tmp_path, "dos")
    with pytest.raises(PackError) as caught:
        load_packs(tmp_path)
    assert [str(p) for p in caught.value.problems] == [
        "uno/pack.yaml:1: pack id 'prueba' is already used at dos/pack.yaml:1",
        "uno/lessons/g1-contar.yaml:8: question id 'g1-contar-q1' is already used at "
        "dos/lessons/g1-contar.yaml:8",
    ]


def test_load_packs(tmp_path: Path) -> None:
    good_pack(tmp_path, "uno")
    assert [pack.id for pack in load_packs(tmp_path)] == ["prueba"]


LESSON_MISTAKES = {
    "choices written as plain texts": (
        'id: g1-contar\ntitle: {es: "Contamos"}\ngrade: 1\nskills: [contar]\n'
        'segments:\n  - text: {es: "Uno, dos, tres."}\n'
        'questions:\n  - id: g1-contar-q1\n    stem: {es: "¿Qué sigue al dos?"}\n'
        '    choices: ["el 3", {es: "el 4"}]\n    answer: 1\n'
        '    explanation: {es: "Después del dos viene el tres."}\n'
        "    skills: [contar]\n    difficulty: 1\n",
        [
            "prueba/lessons/g1-contar.yaml:10: question g1-contar-q1: choice 1 must have a "
            "text per language, like es: \"...\", not 'el 3'"
        ],
    ),
    "a list left empty": (
        'id: g1-contar\ntitle: {es: "Contamos"}\ngrade: 1\nskills: [contar]\nsegments:\n',
        ["prueba/lessons/g1-contar.yaml:5: segments has nothing after the colon"],
    ),
    "a tab": (
        'id: g1-contar\ntitle:\n\tes: "Contamos"\n',
        [
            "prueba/lessons/g1-contar.yaml:3: YAML syntax error: found character '\\t' that "
            "cannot start any token (while scanning for the next token); indent with spaces, "
            "not tabs"
        ],
    ),
    "not UTF-8": (
        b'id: g1-contar\ntitle: {es: "Ni\xf1os"}\n',
        ["prueba/lessons/g1-contar.yaml:2: the file is not UTF-8 text: save it as UTF-8"],
    ),
}


@pytest.mark.parametrize("mistake", sorted(LESSON_MISTAKES))
def test_common_lesson_mistakes(tmp_path: Path, mistake: str) -> None:
    text, expected = LESSON_MISTAKES[mistake]
    folder = good_pack(tmp_path)
    lesson = folder / "lessons" / "g1-contar.yaml"
    if isinstance(text, bytes):
        lesson.write_bytes(text)
    else:
        lesson.write_text(text, encoding="utf-8")
    assert problems_of(folder) == expected
