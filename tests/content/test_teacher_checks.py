"""The checks found reading the packs as a teacher would (issue 21), each on a crafted
broken pack: equal amounts among choices, generated items left with two choices, hours
said with digits, "cero coma dos soles" without the céntimos, and the warnings about
wording only the eyes can follow."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner

from yachay.content.amounts import amount
from yachay.content.cli import content
from yachay.content.loader import PackError, load_pack
from yachay.content.numbers import spoken_hour

PACK = """\
id: prueba
title: {es: "Paquete de prueba"}
subject: matematica
languages: [es]
skills:
  - id: medir
    name: {es: "Medir"}
    grade: 4
units:
  - id: medidas
    title: {es: "Medidas"}
    grade: 4
    lessons: [lessons/g4-a.yaml]
"""

LESSON = """\
id: g4-a
title: {es: "Medimos"}
grade: 4
skills: [medir]
segments:
  - text: {es: "SEGMENT"}
questions:
  - id: g4-a-q1
    stem: {es: "STEM"}
    choices:
      - {es: "CHOICE1"}
      - {es: "CHOICE2"}
      - {es: "CHOICE3"}
    answer: 1
    explanation: {es: "EXPLANATION"}
    skills: [medir]
    difficulty: 2
"""

DEFAULTS = {
    "SEGMENT": "Un litro de leche llena cuatro vasos.",
    "STEM": "Tienes tres cuartos de litro y agregas un cuarto. ¿Cuánto tienes?",
    "CHOICE1": "un litro",
    "CHOICE2": "cuatro octavos de litro",
    "CHOICE3": "tres cuartos de litro",
    "EXPLANATION": "Tres cuartos más un cuarto son cuatro cuartos: un litro.",
}


def make_pack(tmp_path: Path, templates: str = "", kind: str = "", **texts: str) -> Path:
    folder = tmp_path / "prueba"
    (folder / "lessons").mkdir(parents=True)
    (folder / "pack.yaml").write_text(PACK, encoding="utf-8")
    lesson = LESSON
    for key, value in {**DEFAULTS, **texts}.items():
        lesson = lesson.replace(key, value)
    if kind:
        lesson = lesson.replace("grade: 4\n", f"grade: 4\nkind: {kind}\n")
    (folder / "lessons" / "g4-a.yaml").write_text(lesson + templates, encoding="utf-8")
    return folder


def problems_of(folder: Path) -> list[str]:
    with pytest.raises(PackError) as caught:
        load_pack(folder)
    return [str(problem) for problem in caught.value.problems]


def test_the_crafted_pack_is_valid_as_it_is(tmp_path: Path) -> None:
    loaded = load_pack(make_pack(tmp_path))
    assert loaded.warnings == ()


# --- equal amounts among choices ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("medio litro", (Fraction(500), "mililitro")),
        ("cuatro octavos de litro", (Fraction(500), "mililitro")),
        ("2 litros y medio", (Fraction(2500), "mililitro")),
        ("2 kilos", (Fraction(2000), "gramo")),
        ("2000 gramos", (Fraction(2000), "gramo")),
        ("dos coma cinco soles", (Fraction(250), "centimo")),
        ("tres novenos", (Fraction(1, 3), "")),
        ("treinta y cuatro ovejas", (Fraction(34), "oveja")),
        ("1 hora y media", (Fraction(90), "minuto")),
        ("5 más 3", None),  # two numbers: not one amount
        ("más de 6 cuartas", None),  # a comparison, not an amount
        ("un kilo de papas", None),  # an amount of something: the something matters
        ("camino 5 cuadritos", None),
        ("Porque llovió", None),
    ],
)
def test_amounts_are_read_from_words(text: str, expected: object) -> None:
    assert amount(text) == expected


def test_two_choices_with_the_same_amount_are_refused(tmp_path: Path) -> None:
    folder = make_pack(tmp_path, CHOICE3="medio litro")
    assert problems_of(folder) == [
        "prueba/lessons/g4-a.yaml:13: question g4-a-q1: choices 2 and 3 are the same amount "
        "in other words: make each wrong choice a different amount",
    ]


def test_the_same_amount_in_other_units_is_refused(tmp_path: Path) -> None:
    folder = make_pack(tmp_path, CHOICE1="2 kilos", CHOICE2="2000 gramos", CHOICE3="20 kilos")
    assert problems_of(folder) == [
        "prueba/lessons/g4-a.yaml:12: question g4-a-q1: choices 1 and 2 are the same amount "
        "in other words: make each wrong choice a different amount",
    ]


TEMPLATE = """\
templates:
  - id: g4-a-t1
    stem: {es: "STEM"}
    params:
      a: {values: [2, 3, 4]}
      b: {values: [2, 4]}
    answer: "ANSWER"
    distractors: [DISTRACTORS]
    choice: {es: "CHOICE"}
    explanation: {es: "EXPLANATION"}
    skills: [medir]
    difficulty: 2
    count: COUNT
"""


def template(**fields: str) -> str:
    values = {
        "STEM": "Tienes {a} kilos y compras {b} kilos más. ¿Cuántos kilos tienes?",
        "ANSWER": "a + b",
        "DISTRACTORS": '"a * b", "a + b + 1"',
        "CHOICE": "{value} kilos",
        "EXPLANATION": "{a} más {b} es {answer}.",
        "COUNT": "6",
        **fields,
    }
    text = TEMPLATE
    for key, value in values.items():
        text = text.replace(key, value)
    return text


def test_a_generated_item_left_with_two_choices_is_refused(tmp_path: Path) -> None:
    # a + b == a * b when a = b = 2, and a * b == a + b + 1 when a = 3, b = 2.
    folder = make_pack(tmp_path, templates=template())
    assert problems_of(folder) == [
        "prueba/lessons/g4-a.yaml:25: template g4-a-t1: 2 of 6 items fall to two choices "
        "because a distractor equals the answer or another distractor (item g4-a-t1-2-2): "
        "change the distractors, or leave those values out with where",
    ]
    fixed = make_pack(
        tmp_path / "fixed",
        templates=template(COUNT="4").replace(
            '    answer: "a + b"',
            '    where: "a * b != a + b and a * b != a + b + 1"\n    answer: "a + b"',
        ),
    )
    assert len(load_pack(fixed).generated) == 4


def test_a_count_of_zero_in_a_generated_item_is_refused(tmp_path: Path) -> None:
    stem = "Tienes {a} billetes de diez soles y {b} monedas de un sol. ¿Cuánto tienes?"
    broken = template(
        STEM=stem,
        ANSWER="a * 10 + b",
        DISTRACTORS='"a * 10 + b + 10"',
        CHOICE="{value} soles",
        EXPLANATION="Son {answer} soles.",
    ).replace("a: {values: [2, 3, 4]}", "a: {values: [0, 3, 4]}")
    assert problems_of(make_pack(tmp_path, templates=broken)) == [
        'prueba/lessons/g4-a.yaml:21: template g4-a-t1: item g4-a-t1-0-2 says "0 billetes", '
        'where a child hears "ningún": leave 0 out of the values (or its count out of the text)'
    ]


# --- hours ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "said"),
    [
        (6, "las seis"),
        (1, "la una"),
        (12, "las doce"),
        (13, "la una"),
        (6.5, "las seis y media"),
        (6.25, "las seis y cuarto"),
        (6.75, "las siete menos cuarto"),
    ],
)
def test_hours_are_said_in_words(value: float, said: str) -> None:
    assert spoken_hour(value) == said


def test_an_hour_said_with_digits_in_a_template_is_refused(tmp_path: Path) -> None:
    stem = "Sales a las {a} y vuelves a las {b}. ¿Cuántas horas pasaron?"
    folder = make_pack(
        tmp_path,
        templates=template(
            STEM=stem,
            ANSWER="b + a",
            DISTRACTORS='"b + a + 1"',
            CHOICE="{value} horas",
            EXPLANATION="Son {answer} horas.",
        ),
    )
    assert problems_of(folder) == [
        f'prueba/lessons/g4-a.yaml:20: template g4-a-t1: stem: says the hour "las {{{name}}}" '
        f'with a number: write {{{name}:hora}} in its place (it says "las seis", "la una")'
        for name in ("a", "b")
    ]


def test_an_hour_placeholder_reads_the_hour_in_words(tmp_path: Path) -> None:
    stem = "Sales a {a:hora} y vuelves {b} horas después. ¿A qué hora vuelves?"
    folder = make_pack(
        tmp_path,
        templates=template(
            STEM=stem,
            ANSWER="a + b",
            DISTRACTORS='"a + b + 1"',
            CHOICE="{value:hora}",
            EXPLANATION="Desde {a:hora}, cuenta {b} horas.",
        ),
    )
    item = load_pack(folder).question("g4-a-t1-2-4")
    assert item.stem["es"] == "Sales a las dos y vuelves 4 horas después. ¿A qué hora vuelves?"
    assert item.explanation["es"] == "Desde las dos, cuenta 4 horas."


# --- céntimos ---------------------------------------------------------------------------


def test_cero_coma_soles_without_the_centimos_is_refused(tmp_path: Path) -> None:
    folder = make_pack(
        tmp_path,
        STEM="Un pan cuesta cero coma dos soles y un huevo cero coma cinco soles. ¿Cuánto pagas?",
        CHOICE1="cero coma siete soles",
        CHOICE2="siete soles",
        CHOICE3="cero coma tres soles",
        EXPLANATION="Dos décimos más cinco décimos son siete décimos.",
    )
    assert problems_of(folder) == [
        'prueba/lessons/g4-a.yaml:8: question g4-a-q1: says "cero coma dos soles", which a '
        'child hears as céntimos: say the céntimos too (like "cero coma dos soles, o sea, '
        'veinte céntimos")',
    ]
    taught = make_pack(
        tmp_path / "taught",
        STEM="Un pan cuesta cero coma dos soles y un huevo cero coma cinco soles. ¿Cuánto pagas?",
        CHOICE1="cero coma siete soles",
        CHOICE2="siete soles",
        CHOICE3="cero coma tres soles",
        EXPLANATION="Siete décimos de sol: cero coma siete soles, o sea, setenta céntimos.",
    )
    load_pack(taught)


# --- visual-only wording (warnings) -----------------------------------------------------


def test_visual_only_wording_is_a_warning_not_an_error(tmp_path: Path) -> None:
    folder = make_pack(
        tmp_path,
        SEGMENT=(
            "Mira el reloj. Al lado izquierdo de la hoja hay una escala. "
            "La barra verde es de los Quispe. Con la tabla resuelves problemas."
        ),
    )
    loaded = load_pack(folder)
    advice = (
        "the child only hears the lesson; teach with what a child can hold, count or move "
        "(stones, beans, a string, fingers)"
    )
    assert [str(w) for w in loaded.warnings] == [
        f"prueba/lessons/g4-a.yaml:6: segment 1: {what}: {advice}"
        for what in (
            'asks the child to look ("Mira")',
            'describes a picture ("de la hoja")',
            'describes a table to read ("la tabla")',
            'uses a colour as data ("barra verde")',
        )
    ]
    result = CliRunner().invoke(content, ["validate", str(folder)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("prueba/lessons/g4-a.yaml:6: warning: segment 1: asks the child")
    assert lines[-1].endswith("; 4 warnings")


def test_a_character_who_looks_in_a_story_is_not_a_warning(tmp_path: Path) -> None:
    folder = make_pack(
        tmp_path, kind="listening", SEGMENT="Sisa mira el río. Mira hacia el cerro y sonríe."
    )
    assert load_pack(folder).warnings == ()
    assert load_pack(make_pack(tmp_path / "b", SEGMENT="Rosa mira hacia adelante.")).warnings == ()


def test_the_shipped_packs_have_no_warnings() -> None:
    packs = Path(__file__).resolve().parents[2] / "content" / "packs"
    for folder in packs.glob("*/pack.yaml"):
        assert [str(w) for w in load_pack(folder.parent).warnings] == []


# --- mother tongue ----------------------------------------------------------------------

QU_LESSON = """\
id: g4-a
title: {es: "Los días", qu: "P'unchawkuna"}
grade: 4
translations:
  qu:
    reviewed_by_native_speaker: false
    note: "borrador"
TRANSLATION
skills: [medir]
segments:
  - text: {es: "El lunes vamos a la chacra.", qu: "QUECHUA"}
"""


def quechua_pack(tmp_path: Path, translation: str, text: str = "Lunespi chakraman risun.") -> Path:
    folder = tmp_path / "prueba"
    (folder / "lessons").mkdir(parents=True)
    (folder / "pack.yaml").write_text(PACK, encoding="utf-8")
    lesson = QU_LESSON.replace("TRANSLATION", translation).replace("QUECHUA", text)
    (folder / "lessons" / "g4-a.yaml").write_text(lesson, encoding="utf-8")
    return folder


GOOD_TRANSLATION = "    variety: collao\n    loans: [lunes]\n    doubts: [lunes kept as a loan]"


def test_a_quechua_translation_that_names_its_variety_and_doubts_is_valid(tmp_path) -> None:
    load_pack(quechua_pack(tmp_path, GOOD_TRANSLATION))


def test_a_quechua_translation_names_its_variety_and_its_doubts(tmp_path: Path) -> None:
    folder = quechua_pack(tmp_path, "    loans: [lunes]")
    assert problems_of(folder) == [
        "prueba/lessons/g4-a.yaml:5: translation 'qu' must name its Quechua variety: "
        "variety: collao or variety: chanka (a text keeps to one; both means two "
        "translations)",
        "prueba/lessons/g4-a.yaml:5: translation 'qu' is not reviewed by a native speaker: "
        "list the doubts the reviewer should check first (doubts: [...])",
    ]


def test_a_chanka_text_with_collao_spellings_is_refused(tmp_path: Path) -> None:
    translation = GOOD_TRANSLATION.replace("collao", "chanka")
    folder = quechua_pack(tmp_path, translation, text="Lunespi t'antata mikhusun.")
    assert problems_of(folder) == [
        'prueba/lessons/g4-a.yaml:2: title: "P\'unchawkuna" is a Collao spelling in a Chanka '
        "text: write it without the aspirated or glottalised stop",
        'prueba/lessons/g4-a.yaml:13: segment 1: text: "t\'antata" is a Collao spelling in a '
        "Chanka text: write it without the aspirated or glottalised stop",
        'prueba/lessons/g4-a.yaml:13: segment 1: text: "mikhusun" is a Collao spelling in a '
        "Chanka text: write it without the aspirated or glottalised stop",
    ]


def test_an_unlisted_or_half_adapted_loan_is_refused(tmp_path: Path) -> None:
    translation = "    variety: collao\n    loans: [mierkoles]\n    doubts: [x]"
    folder = quechua_pack(tmp_path, translation, text="Mierkolespi, lunespiwan risun.")
    assert problems_of(folder) == [
        "prueba/lessons/g4-a.yaml:9: translation 'qu': loan \"mierkoles\" is half adapted (a "
        "Quechua k or w, but an e or an o): adapt it to three vowels or keep the Spanish "
        "spelling",
        'prueba/lessons/g4-a.yaml:13: segment 1: text: "lunespiwan" has an e or an o, which '
        "Quechua writes with a, i, u: adapt it, or list the Spanish word under loans",
    ]


def test_names_and_adapted_loans_need_no_listing(tmp_path: Path) -> None:
    translation = "    variety: collao\n    doubts: [x]"
    load_pack(quechua_pack(tmp_path, translation, text="Rosa simanapi chakraman rin."))


AY_LESSON = """\
id: g4-a
title: {es: "La pelota", ay: "TITLE"}
grade: 4
translations:
  ay:
    reviewed_by_native_speaker: false
    note: "borrador"
    loans: [LOANS]
    doubts: [x]
skills: [medir]
segments:
  - text: {es: "La pelota rueda el lunes.", ay: "AYMARA"}
"""


def aymara_pack(tmp_path: Path, title: str, text: str, loans: str = "") -> Path:
    folder = tmp_path / "prueba"
    (folder / "lessons").mkdir(parents=True)
    (folder / "pack.yaml").write_text(PACK, encoding="utf-8")
    lesson = AY_LESSON.replace("TITLE", title).replace("AYMARA", text).replace("LOANS", loans)
    (folder / "lessons" / "g4-a.yaml").write_text(lesson, encoding="utf-8")
    return folder


def test_an_aymara_translation_keeps_to_three_vowels_with_listed_loans(tmp_path: Path) -> None:
    load_pack(aymara_pack(tmp_path, "Piluta", "Pilutax lunesan muyu.", loans="lunes"))


def test_an_aymara_word_half_adapted_or_not_listed_is_refused(tmp_path: Path) -> None:
    folder = aymara_pack(tmp_path, "Piluta", "Mä pilotax lunesan muyu.", loans="kosa")
    assert problems_of(folder) == [
        "prueba/lessons/g4-a.yaml:8: translation 'ay': loan \"kosa\" is half adapted (an "
        "Aymara k or w, but an e or an o): adapt it to three vowels or keep the Spanish "
        "spelling",
        'prueba/lessons/g4-a.yaml:12: segment 1: text: "pilotax" has an e or an o, which '
        "Aymara writes with a, i, u: adapt it, or list the Spanish word under loans",
        'prueba/lessons/g4-a.yaml:12: segment 1: text: "lunesan" has an e or an o, which '
        "Aymara writes with a, i, u: adapt it, or list the Spanish word under loans",
    ]
