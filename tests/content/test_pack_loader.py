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
        "missing-language/lessons/g1-contar.yaml:10: question g1-contar-q1: stem has a text in "
        "'qu', a language this pack does not have: add it to translations: of this lesson, or "
        "remove it",
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
    "bad-kind": [
        "bad-kind/lessons/g1-contar.yaml:4: kind must be 'lesson' or 'listening', not 'story'",
    ],
    # Question templates: each problem at the line of the template's field.
    "template-syntax": [
        "template-syntax/lessons/g1-sumar.yaml:13: template g1-sumar-choclos: answer "
        "'a + (b' is not a valid expression: '(' was never closed at character 5",
    ],
    "template-unknown-name": [
        "template-unknown-name/lessons/g1-sumar.yaml:14: template g1-sumar-choclos: "
        "distractor 2 uses 'c', which is not a parameter; the parameters are a and b",
    ],
    "template-disallowed": [
        "template-disallowed/lessons/g1-sumar.yaml:13: template g1-sumar-choclos: answer uses "
        "a power (**), which is not allowed: use numbers, + - * / // %, parentheses, min(), "
        "max(), abs() and round()",
    ],
    "template-division-by-zero": [
        "template-division-by-zero/lessons/g1-sumar.yaml:14: template g1-sumar-choclos: "
        "distractor 2 divides by zero when a = 0, b = 1 (leave such values out with a where "
        'like "a != 0")',
    ],
    "template-too-few-items": [
        "template-too-few-items/lessons/g1-sumar.yaml:20: template g1-sumar-choclos: only 7 "
        "distinct items are possible, count asks for 10",
    ],
    "template-placeholder": [
        "template-placeholder/lessons/g1-sumar.yaml:16: template g1-sumar-choclos: explanation "
        "uses {total}, which is not a parameter; use {a}, {b} or {answer}",
    ],
    "template-duplicate-id": [
        "template-duplicate-id/lessons/g1-sumar.yaml:18: template g1-sumar-choclos: generates "
        "item 'g1-sumar-choclos-2-3', whose id is already used at "
        "template-duplicate-id/lessons/g1-sumar.yaml:8",
    ],
    "template-unknown-skill": [
        "template-unknown-skill/lessons/g1-sumar.yaml:17: template g1-sumar-choclos: unknown "
        "skill 'sumr': pack.yaml declares no such skill (did you mean 'sumar'?)",
    ],
    # A generated item's text is checked like any other, reported at the template's line.
    "template-unreadable": [
        "template-unreadable/lessons/g1-sumar.yaml:9: template g1-sumar-choclos: stem: the sign "
        '"+" is read badly on the phone: write "más" (item g1-sumar-choclos-1-3)',
    ],
    # Translations.
    "translation-undeclared": [
        "translation-undeclared/lessons/g1-contar.yaml:8: segment 1 has a text in 'qu', a "
        "language this pack does not have: add it to translations: of this lesson, or remove it",
    ],
    "translation-incomplete": [
        "translation-incomplete/lessons/g1-contar.yaml:16: question g1-contar-q1: choice 2 has "
        "no text in 'qu', which this lesson's translations declare (line 5)",
        "translation-incomplete/lessons/g1-contar.yaml:18: question g1-contar-q1: explanation "
        "has no text in 'qu', which this lesson's translations declare (line 5)",
    ],
    # What a caller hears (yachay.content.checks).
    "audio-not-wav": [
        "audio-not-wav/lessons/g1-contar.yaml:7: segment 1: audio/contamos.wav is not a WAV "
        "or MP3 file; telephony audio must be one (convert it: sox in.ogg -c 1 -r 8000 -b 16 "
        "out.wav)",
    ],
    "audio-stereo": [
        "audio-stereo/lessons/g1-contar.yaml:7: segment 1: audio/contamos.wav is stereo; "
        "telephony audio must be mono (sox in.wav -c 1 -r 8000 out.wav)",
    ],
    "audio-wrong-rate": [
        "audio-wrong-rate/lessons/g1-contar.yaml:7: segment 1: audio/contamos.wav is sampled "
        "at 96000 Hz; telephony audio must be 8000 to 48000 Hz (sox in.wav -r 8000 out.wav)",
    ],
    "too-long-segment": [
        "too-long-segment/lessons/g1-contar.yaml:8: segment 2 takes about 67 seconds to hear "
        "(154 words at 2.3 a second); a caller hears it in one go: keep it under 60 seconds",
    ],
    "too-long-question": [
        "too-long-question/lessons/g1-contar.yaml:8: question g1-contar-q1 takes about 70 "
        "seconds to hear, stem and choices read in full (161 words at 2.3 a second); a "
        "caller hears it in one go: keep it under 60 seconds",
    ],
    "bare-number-choice": [
        "bare-number-choice/lessons/g1-contar.yaml:12: question g1-contar-q1: choice 2 is only "
        'a number ("4"): read as "…es 4, marca 2" two bare numbers come close together; give '
        'it its noun ("4 choclos") or write it in words',
    ],
    "unreadable-text": [
        f"unreadable-text/lessons/g1-contar.yaml:{line}: segment {line - 5}: {message} is read "
        f"badly on the phone: write {advice}"
        for line, message, advice in [
            (6, 'the fraction "½"', '"un medio"'),
            (7, 'the power "x²"', '"al cuadrado"'),
            (8, 'the symbol "%"', '"por ciento"'),
            (9, 'the abbreviation "S/"', '"soles" after the amount'),
            (10, 'the sign "+"', '"más"'),
            (10, 'the sign "="', '"es igual a"'),
            (11, 'the sign "×"', '"por"'),
            (11, 'the sign "÷"', '"entre"'),
            (12, 'the abbreviation "km"', '"kilómetros"'),
            (13, 'the unit "m²"', '"metros cuadrados"'),
            (14, 'the abbreviation "Sr."', '"señor"'),
            (14, 'the abbreviation "Sra."', '"señora"'),
            (14, 'the abbreviation "etc."', '"y otros más"'),
            (15, 'the abbreviation "p. ej."', '"por ejemplo"'),
            (15, 'the abbreviation "aprox."', '"aproximadamente"'),
            (16, 'the decimal "2,5"', '"2 coma 5"'),
            (16, 'the decimal "1.5"', '"1 coma 5"'),
            (17, 'the time "3:30"', '"las tres y media"'),
            (18, 'the abbreviation "N°"', '"número"'),
        ]
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


# --- templates, listening lessons, translations ---------------------------------------

TEMPLATE_LESSON = """\
id: g1-contar
title: {es: "Contamos", qu: "Yupasun"}
grade: 1
kind: listening
translations:
  qu: {reviewed_by_native_speaker: false, note: "borrador", variety: collao, doubts: [todo]}
skills: [contar]
segments:
  - text: {es: "Contamos hasta tres.", qu: "Kimsakama yupasun."}
questions:
  - id: g1-contar-q1
    stem: {es: "¿Qué número sigue al dos?", qu: "¿Iskaymanta qhipaqa mayqin yupay?"}
    choices:
      - {es: "el 3", qu: "kimsa"}
      - {es: "el 4", qu: "tawa"}
    answer: 1
    explanation: {es: "Después del dos viene el tres.", qu: "Iskaymanta kimsa."}
    skills: [contar]
    difficulty: 1
templates:
  - id: g1-sigue
    stem: {es: "¿Qué número sigue al {a}?"}
    params:
      a: {from: 1, to: 8}
    answer: "a + 1"
    distractors: ["a + 2", "a - 1"]
    choice: {es: "el número {value}"}
    explanation: {es: "Después del {a} viene el {answer}."}
    skills: [sumar]
    difficulty: 2
    count: 5
"""


def template_pack(tmp_path: Path, lesson: str = TEMPLATE_LESSON, name: str = "prueba") -> Path:
    folder = good_pack(tmp_path, name)
    (folder / "lessons" / "g1-contar.yaml").write_text(lesson, encoding="utf-8")
    return folder


def test_generated_items_are_loaded(tmp_path: Path) -> None:
    loaded = load_pack(template_pack(tmp_path))
    [entry] = loaded.lessons
    assert entry.lesson.kind == "listening"
    assert entry.lesson.translations["qu"].reviewed_by_native_speaker is False
    assert entry.lesson.translations["qu"].note == "borrador"
    assert len(entry.generated) == 5
    assert loaded.generated == entry.generated == entry.generated_by("g1-sigue")
    assert loaded.questions == tuple(entry.lesson.questions)  # what the lesson asks
    assert loaded.items == (*loaded.questions, *loaded.generated)
    item = entry.generated[0]
    assert item.template_id == "g1-sigue"
    assert item.id.startswith("g1-sigue-")
    assert (item.grade, item.difficulty, item.skills) == (1, 2, ["sumar"])
    assert loaded.question(item.id) is item
    assert loaded.question("g1-contar-q1").template_id is None
    assert loaded.template("g1-sigue").count == 5
    # The same items, every time the pack is loaded.
    assert load_pack(template_pack(tmp_path, name="otra")).generated == loaded.generated


def test_a_lesson_is_a_lesson_by_default(tmp_path: Path) -> None:
    [entry] = load_pack(good_pack(tmp_path)).lessons
    assert entry.lesson.kind == "lesson"
    assert entry.lesson.translations == {}
    assert entry.lesson.templates == [] and entry.generated == ()


def lesson_problems(tmp_path: Path, old: str, new: str) -> list[str]:
    assert old in TEMPLATE_LESSON
    return problems_of(template_pack(tmp_path, TEMPLATE_LESSON.replace(old, new)))


TEMPLATE_MISTAKES = {
    "template_id written by hand": (
        "    difficulty: 1\ntemplates:",
        "    difficulty: 1\n    template_id: g1-sigue\ntemplates:",
        [
            "prueba/lessons/g1-contar.yaml:20: question g1-contar-q1: template_id is set on the "
            "items a template generates, never by hand: remove it"
        ],
    ),
    "a parameter with both shapes": (
        "a: {from: 1, to: 8}",
        "a: {from: 1, to: 8, values: [1, 2]}",
        [
            "prueba/lessons/g1-contar.yaml:24: template g1-sigue: parameter a gives both "
            "from/to and values: use one or the other"
        ],
    ),
    "a parameter with neither": (
        "a: {from: 1, to: 8}",
        "a: {to: 8}",
        [
            "prueba/lessons/g1-contar.yaml:24: template g1-sigue: parameter a needs from and to "
            "(like {from: 2, to: 9}) or values (like {values: [3, 5]})"
        ],
    ),
    "a range upside down": (
        "a: {from: 1, to: 8}",
        "a: {from: 8, to: 1}",
        [
            "prueba/lessons/g1-contar.yaml:24: template g1-sigue: parameter a: to must not be "
            "below from (8), it is 1"
        ],
    ),
    "a misspelt range": (
        "a: {from: 1, to: 8}",
        "a: {form: 1, to: 8}",
        [
            "prueba/lessons/g1-contar.yaml:24: template g1-sigue: parameter a: unknown field "
            "'form' (did you mean 'from'?)"
        ],
    ),
    "a value twice": (
        "a: {from: 1, to: 8}",
        "a: {values: [1, 2, 2]}",
        ["prueba/lessons/g1-contar.yaml:24: template g1-sigue: parameter a: values lists 2 twice"],
    ),
    "a value that is not a number": (
        "a: {from: 1, to: 8}",
        'a: {values: [1, "dos"]}',
        [
            "prueba/lessons/g1-contar.yaml:24: template g1-sigue: parameter a: values: item 2 "
            "must be a number, like 3 or 2.5, not 'dos'"
        ],
    ),
    "a reserved parameter name": (
        "a: {from: 1, to: 8}",
        "value: {from: 1, to: 8}",
        [
            "prueba/lessons/g1-contar.yaml:24: template g1-sigue: params uses 'value', which "
            "cannot name a parameter: use lowercase letters without accents (and digits or _ "
            "after the first), like a or precio, and none of answer, value, min, max, abs, "
            "round, and, or, not",
        ],
    ),
    "too many distractors": (
        '["a + 2", "a - 1"]',
        '["a + 2", "a - 1", "a + 3", "a + 4"]',
        [
            "prueba/lessons/g1-contar.yaml:26: template g1-sigue: distractors must have at most 3 "
            "items"
        ],
    ),
    "a distractor that is not text": (
        '["a + 2", "a - 1"]',
        '["a + 2", [1]]',
        [
            "prueba/lessons/g1-contar.yaml:26: template g1-sigue: distractor 2 must be an "
            'expression in quotes, like "a * b", not a list'
        ],
    ),
    "a count too large": (
        "count: 5",
        "count: 501",
        [
            "prueba/lessons/g1-contar.yaml:31: template g1-sigue: count must be a whole number "
            "from 1 to 500, not 501"
        ],
    ),
    "a comparison as the answer": (
        'answer: "a + 1"',
        'answer: "a > 1"',
        [
            "prueba/lessons/g1-contar.yaml:25: template g1-sigue: answer uses a comparison, "
            "which only where can use: an answer or a distractor is a number"
        ],
    ),
    "a choice without its value": (
        '{es: "el número {value}"}',
        '{es: "el número"}',
        [
            "prueba/lessons/g1-contar.yaml:27: template g1-sigue: choice must say the choice's "
            "value with {value}"
        ],
    ),
    "{value} outside a choice": (
        'stem: {es: "¿Qué número sigue al {a}?"}',
        'stem: {es: "¿Qué número sigue al {a}? ¿{value}?"}',
        [
            "prueba/lessons/g1-contar.yaml:22: template g1-sigue: stem uses {value}, which only "
            "choice can use (it is the value of each choice); use {a} or {answer}"
        ],
    ),
    "a parameter left out of the stem": (
        "a: {from: 1, to: 8}",
        "a: {from: 1, to: 8}\n      b: {values: [1, 2]}",
        [
            "prueba/lessons/g1-contar.yaml:25: template g1-sigue: parameter b is not in the "
            "stem, so items that differ only in b sound the same: use {b} in the stem or "
            "remove it"
        ],
    ),
    "a template id used twice": (
        "templates:\n",
        'templates:\n  - id: g1-sigue\n    stem: {es: "¿Y después del {a}?"}\n'
        '    params: {a: {from: 20, to: 30}}\n    answer: "a + 1"\n'
        '    distractors: ["a + 2"]\n    choice: {es: "el número {value}"}\n'
        '    explanation: {es: "Es el {answer}."}\n    skills: [sumar]\n'
        "    difficulty: 1\n    count: 3\n",
        [
            "prueba/lessons/g1-contar.yaml:31: template id 'g1-sigue' is already used at "
            "prueba/lessons/g1-contar.yaml:21"
        ],
    ),
    "a translation the pack already has": (
        "  qu: {reviewed_by_native_speaker: false",
        "  es: {reviewed_by_native_speaker: true}\n  qu: {reviewed_by_native_speaker: false",
        [
            "prueba/lessons/g1-contar.yaml:6: translations: 'es' is already a language of the "
            "pack (see pack.yaml): remove it here"
        ],
    ),
    "a translation without its review flag": (
        '{reviewed_by_native_speaker: false, note: "borrador", variety: collao, doubts: [todo]}',
        '{note: "borrador", variety: collao, doubts: [todo]}',
        [
            "prueba/lessons/g1-contar.yaml:6: translations: qu: reviewed_by_native_speaker is "
            "missing"
        ],
    ),
}


@pytest.mark.parametrize("mistake", sorted(TEMPLATE_MISTAKES))
def test_template_and_translation_mistakes(tmp_path: Path, mistake: str) -> None:
    old, new, expected = TEMPLATE_MISTAKES[mistake]
    assert lesson_problems(tmp_path, old, new) == expected


def test_load_packs_checks_generated_ids_across_packs(tmp_path: Path) -> None:
    template_pack(tmp_path, name="uno")
    other = template_pack(tmp_path, name="dos")
    for path in (other / "pack.yaml", other / "lessons" / "g1-contar.yaml"):
        text = path.read_text(encoding="utf-8")
        text = text.replace("id: prueba", "id: otra").replace("g1-contar", "g1-otra")
        path.write_text(text, encoding="utf-8")
    (other / "lessons" / "g1-contar.yaml").rename(other / "lessons" / "g1-otra.yaml")
    with pytest.raises(PackError) as caught:
        load_packs(tmp_path)
    messages = {str(p) for p in caught.value.problems}
    generated = load_pack(tmp_path / "dos").generated
    assert messages == {
        f"uno/lessons/g1-contar.yaml:21: question id {item.id!r} is already used at "
        "dos/lessons/g1-otra.yaml:21"
        for item in generated
    }


def test_two_templates_generating_the_same_id(tmp_path: Path) -> None:
    lesson = TEMPLATE_LESSON.replace(
        "a: {from: 1, to: 8}", "a: {from: 1, to: 8}\n      b: {values: [5]}"
    ).replace('"¿Qué número sigue al {a}?"', '"¿Qué número sigue al {a}, y al {b}?"')
    lesson += (
        "  - id: g1-sigue-1\n"
        '    stem: {es: "¿Qué número sigue al {b}?"}\n'
        "    params: {b: {values: [5]}}\n"
        '    answer: "b + 1"\n'
        '    distractors: ["b + 2"]\n'
        '    choice: {es: "el número {value}"}\n'
        '    explanation: {es: "Es el {answer}."}\n'
        "    skills: [sumar]\n"
        "    difficulty: 1\n"
        "    count: 1\n"
    )
    lesson = lesson.replace("count: 5", "count: 8")
    assert problems_of(template_pack(tmp_path, lesson)) == [
        "prueba/lessons/g1-contar.yaml:33: template g1-sigue-1: generates item 'g1-sigue-1-5', "
        "whose id is already used at prueba/lessons/g1-contar.yaml:21"
    ]
