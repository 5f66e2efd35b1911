"""The curriculum registry, the lesson fields competency/desempenos checked against it, and
`yachay content coverage`, on the shipped files and on crafted packs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from yachay.content.cli import content
from yachay.content.coverage import coverage
from yachay.content.curriculum import (
    SHIPPED_CURRICULUM,
    find_curriculum,
    load_curriculum,
)
from yachay.content.loader import PackError, load_pack, load_packs

ROOT = Path(__file__).resolve().parents[2]
PACKS = ROOT / "content" / "packs"

REGISTRY = """\
competencies:
  cantidad: {subject: matematica, name: "Resuelve problemas de cantidad"}
  forma: {subject: matematica, name: "Resuelve problemas de forma"}
  oral: {subject: comunicacion, name: "Se comunica oralmente"}
grades:
  1:
    cantidad:
      g1-cantidad-contar: "Cuenta hasta 10."
      g1-cantidad-sumar: "Suma hasta 10."
    forma:
      g1-forma-posicion: "Dice dónde está algo."
  2:
    cantidad:
      g2-cantidad-contar: "Cuenta hasta 100."
"""

PACK = """\
id: prueba
title: {es: "Paquete de prueba"}
subject: matematica
languages: [es]
skills:
  - id: contar
    name: {es: "Contar hasta 10"}
    grade: 1
units:
  - id: numeros
    title: {es: "Números"}
    grade: 1
    lessons: [LESSONS]
"""


def lesson(lesson_id: str, header: str = "") -> str:
    return f"""\
id: {lesson_id}
title: {{es: "Contamos"}}
grade: 1
{header}skills: [contar]
segments:
  - text: {{es: "Contamos hasta tres: uno, dos, tres."}}
questions:
  - id: {lesson_id}-q1
    stem: {{es: "¿Qué número sigue al dos?"}}
    choices:
      - {{es: "el tres"}}
      - {{es: "el cuatro"}}
    answer: 1
    explanation: {{es: "Después del dos viene el tres."}}
    skills: [contar]
    difficulty: 1
"""


def make_pack(tmp_path: Path, lessons: dict[str, str], registry: str | None = REGISTRY) -> Path:
    """A pack in tmp_path/packs/prueba, with the registry in tmp_path (two folders up)."""
    folder = tmp_path / "packs" / "prueba"
    (folder / "lessons").mkdir(parents=True)
    listed = ", ".join(f"lessons/{name}.yaml" for name in lessons)
    (folder / "pack.yaml").write_text(PACK.replace("LESSONS", listed), encoding="utf-8")
    for name, text in lessons.items():
        (folder / "lessons" / f"{name}.yaml").write_text(text, encoding="utf-8")
    if registry is not None:
        (tmp_path / "curriculum.yaml").write_text(registry, encoding="utf-8")
    return folder


def problems_of(folder: Path) -> list[str]:
    with pytest.raises(PackError) as caught:
        load_pack(folder)
    return [str(problem) for problem in caught.value.problems]


# --- the shipped registry and lessons ------------------------------------------------------


def test_shipped_registry_has_every_competency_in_every_grade() -> None:
    curriculum = load_curriculum(SHIPPED_CURRICULUM)
    assert list(curriculum.competencies) == ["cantidad", "regularidad", "forma", "datos", "oral"]
    assert curriculum.grades == [1, 2, 3, 4, 5, 6]
    for grade in curriculum.grades:
        for competency in curriculum.competencies:
            found = curriculum.desempenos_of(grade, competency)
            assert found, (grade, competency)
            for desempeno in found:
                assert re.fullmatch(rf"g{grade}-{competency}-[a-z0-9-]+", desempeno.id)
                assert desempeno.text


def test_shipped_packs_use_the_shipped_registry() -> None:
    for folder in PACKS.glob("*/pack.yaml"):
        assert find_curriculum(folder.parent) == SHIPPED_CURRICULUM


def test_every_shipped_lesson_declares_its_competency_and_desempenos() -> None:
    undeclared = [
        f"{loaded.id}/{entry.file}"
        for loaded in load_packs(PACKS)
        for entry in loaded.lessons
        if not entry.lesson.competency or not entry.lesson.desempenos
    ]
    assert undeclared == []


# --- lesson fields ------------------------------------------------------------------------


def test_declared_fields_are_read(tmp_path: Path) -> None:
    header = "competency: cantidad\ndesempenos: [g1-cantidad-contar, g1-forma-posicion]\n"
    loaded = load_pack(make_pack(tmp_path, {"g1-a": lesson("g1-a", header)}))
    assert loaded.lessons[0].lesson.competency == "cantidad"
    assert loaded.lessons[0].lesson.desempenos == ["g1-cantidad-contar", "g1-forma-posicion"]


def test_a_lesson_without_the_fields_is_valid(tmp_path: Path) -> None:
    loaded = load_pack(make_pack(tmp_path, {"g1-a": lesson("g1-a")}, registry=None))
    assert loaded.lessons[0].lesson.competency is None


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            "competency: cantdad\ndesempenos: [g1-cantidad-contar]\n",
            [
                "4: competency 'cantdad' is not in curriculum.yaml: use one of cantidad, forma "
                "(did you mean 'cantidad'?)"
            ],
        ),
        (
            "competency: oral\n",
            [
                "4: competency 'oral' belongs to comunicacion, but this pack's subject is "
                "matematica: use one of cantidad, forma"
            ],
        ),
        (
            "competency: cantidad\ndesempenos: [g1-cantidad-contr]\n",
            [
                "5: desempeño 'g1-cantidad-contr' is not in curriculum.yaml (did you mean "
                "'g1-cantidad-contar'?)"
            ],
        ),
        (
            "competency: cantidad\ndesempenos:\n  - g1-cantidad-contar\n  - g2-cantidad-contar\n",
            [
                "7: desempeño 'g2-cantidad-contar' is of grade 2, this lesson of grade 1: name "
                "the desempeño of grade 1 it teaches"
            ],
        ),
        (
            "competency: cantidad\ndesempenos:\n  - g1-cantidad-contar\n  - g1-cantidad-contar\n",
            ["7: desempeño 'g1-cantidad-contar' is listed twice; keep one"],
        ),
        (
            "desempenos: [g1-cantidad-contar]\n",
            [
                "4: competency is missing: a lesson that lists desempenos names its competency "
                "too (cantidad, forma)"
            ],
        ),
        (
            "competency: cantidad\ndesempenos: [g1-forma-posicion]\n",
            [
                "5: no desempeño listed is of the lesson's competency 'cantidad' "
                "(prueba/lessons/g1-a.yaml:4): list at least one of it, or change the competency"
            ],
        ),
        (
            "competency: Cantidad\n",
            ["4: competency must use lowercase letters without accents, digits and hyphens"],
        ),
    ],
    ids=[
        "unknown-competency",
        "competency-of-another-subject",
        "unknown-desempeno",
        "desempeno-of-another-grade",
        "desempeno-twice",
        "desempenos-without-competency",
        "no-desempeno-of-the-competency",
        "competency-not-an-id",
    ],
)
def test_broken_lesson_fields(tmp_path: Path, header: str, expected: list[str]) -> None:
    folder = make_pack(tmp_path, {"g1-a": lesson("g1-a", header)})
    found = problems_of(folder)
    prefix = "prueba/lessons/g1-a.yaml:"
    if expected[0].startswith("4: competency must"):
        # The id format error comes from the schema; its wording is the schema's own.
        assert len(found) == 1 and found[0].startswith(prefix + "4: competency ")
        assert "is not a valid id" in found[0]
        return
    assert found == [prefix + message for message in expected]


# --- the registry itself ------------------------------------------------------------------


def test_broken_registry_is_reported_at_its_lines(tmp_path: Path) -> None:
    broken = """\
competencies:
  cantidad: {subject: matematica, name: "Cantidad"}
  forma: {subject: matematica}
grades:
  1:
    cantidad:
      g1-cantidad-contar: "Cuenta."
      g1-contar: "Cuenta."
      g1-cantidad-vacio: ""
    datos:
      g1-datos-x: "Datos."
  9:
    cantidad:
      g9-cantidad-x: "Nada."
"""
    header = "competency: cantidad\ndesempenos: [g1-cantidad-contar]\n"
    folder = make_pack(tmp_path, {"g1-a": lesson("g1-a", header)}, registry=broken)
    assert problems_of(folder) == [
        "curriculum.yaml:3: competency forma: needs a subject and a name, and nothing else",
        "curriculum.yaml:8: desempeño id 'g1-contar' must be g1-cantidad-<slug>, the slug in "
        "lowercase letters, digits and hyphens",
        "curriculum.yaml:9: desempeño g1-cantidad-vacio: needs a description in Spanish",
        "curriculum.yaml:10: grade 1: 'datos' is not one of the competencies",
        "curriculum.yaml:12: grade 9 must be a whole number from 1 to 6",
    ]


def test_registry_problems_are_reported_once_for_several_packs(tmp_path: Path) -> None:
    header = "competency: cantidad\ndesempenos: [g1-cantidad-contar]\n"
    registry = REGISTRY + "      g2-cantidad-contar: 'again'\n"
    make_pack(tmp_path, {"g1-a": lesson("g1-a", header)}, registry=registry)
    other = tmp_path / "packs" / "otro"
    other.mkdir()
    (other / "lessons").mkdir()
    pack = (tmp_path / "packs" / "prueba" / "pack.yaml").read_text(encoding="utf-8")
    (other / "lessons" / "g1-b.yaml").write_text(lesson("g1-b", header), encoding="utf-8")
    (other / "pack.yaml").write_text(
        pack.replace("id: prueba", "id: otro").replace("g1-a", "g1-b"), encoding="utf-8"
    )
    with pytest.raises(PackError) as caught:
        load_packs(tmp_path / "packs")
    assert [str(p) for p in caught.value.problems] == [
        "curriculum.yaml:15: 'g2-cantidad-contar' appears twice (also on line 14); keep one"
    ]


# --- coverage -----------------------------------------------------------------------------


def coverage_pack(tmp_path: Path) -> Path:
    return make_pack(
        tmp_path,
        {
            "g1-a": lesson("g1-a", "competency: cantidad\ndesempenos: [g1-cantidad-contar]\n"),
            "g1-b": lesson(
                "g1-b",
                "competency: cantidad\ndesempenos: [g1-cantidad-contar, g1-forma-posicion]\n",
            ),
            "g1-c": lesson("g1-c"),
        },
    )


def test_coverage_counts_each_cell(tmp_path: Path) -> None:
    folder = coverage_pack(tmp_path)
    report = coverage([load_pack(folder)], load_curriculum(find_curriculum(folder)))
    assert [c["id"] for c in report["competencies"]] == ["cantidad", "forma"]
    cell = report["cells"]["1"]["cantidad"]
    assert {k: v for k, v in cell.items() if k != "minutes"} == {
        "lessons": 2,
        "listening_lessons": 0,
        "questions": 2,
        "templates": 0,
        "desempenos": 2,
        "desempenos_taught": 1,
    }
    assert cell["minutes"] > 0
    # g1-b teaches a forma desempeño as well, though its cell is cantidad's.
    assert report["cells"]["1"]["forma"]["lessons"] == 0
    assert report["cells"]["1"]["forma"]["desempenos_taught"] == 1
    assert report["cells"]["2"]["cantidad"]["lessons"] == 0
    assert report["untaught"] == ["g1-cantidad-sumar", "g2-cantidad-contar"]
    assert report["undeclared"] == ["prueba/lessons/g1-c.yaml"]
    assert report["without_templates"] == [f"prueba/lessons/g1-{x}.yaml" for x in "abc"]
    taught = {d["id"]: d["lessons"] for d in report["desempenos"]}
    assert taught["g1-cantidad-contar"] == ["g1-a", "g1-b"]


def test_coverage_command_text_and_json(tmp_path: Path) -> None:
    folder = coverage_pack(tmp_path)
    runner = CliRunner()
    result = runner.invoke(content, ["coverage", str(folder)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert re.fullmatch(r"1\.º\s+cantidad\s+2\s+0\s+2\s+0\s+\d+\.\d\s+1/2", lines[3])
    assert re.fullmatch(r"2\.º\s+forma\s+0\s+0\s+0\s+0\s+0\.0\s+0/0\s+<- empty", lines[6])
    assert "2 of 4 desempeños are taught by no lesson:" in lines
    assert "  g1-cantidad-sumar: Suma hasta 10." in lines
    assert "  prueba/lessons/g1-c.yaml" in lines
    assert "3 teaching lessons have no question templates (practice items):" in lines
    assert lines[-1] == "3 empty cells (grade and competency with no lesson)."

    result = runner.invoke(content, ["coverage", "--json", str(folder)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["untaught"] == ["g1-cantidad-sumar", "g2-cantidad-contar"]


def test_coverage_of_the_shipped_packs_shows_every_competency() -> None:
    result = CliRunner().invoke(content, ["coverage", "--json", str(PACKS)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert set(report["cells"]) == {"1", "2", "3", "4", "5", "6"}
    for row in report["cells"].values():
        assert list(row) == ["cantidad", "regularidad", "forma", "datos", "oral"]
    assert report["undeclared"] == []


def test_coverage_of_a_broken_pack_prints_its_problems(tmp_path: Path) -> None:
    folder = make_pack(tmp_path, {"g1-a": lesson("g1-a", "competency: nada\n")})
    result = CliRunner().invoke(content, ["coverage", str(folder)])
    assert result.exit_code == 1
    assert result.output.startswith("prueba/lessons/g1-a.yaml:4: competency 'nada'")


def test_strict_coverage_fails_on_gaps(tmp_path: Path) -> None:
    folder = coverage_pack(tmp_path)
    runner = CliRunner()
    assert runner.invoke(content, ["coverage", str(folder)]).exit_code == 0
    result = runner.invoke(content, ["coverage", "--strict", "--json", str(folder)])
    assert result.exit_code == 1
    assert json.loads(result.output)["untaught"] == ["g1-cantidad-sumar", "g2-cantidad-contar"]
    full = (
        REGISTRY.split("  2:")[0]
        .replace('      g1-cantidad-sumar: "Suma hasta 10."\n', "")
        .replace('    forma:\n      g1-forma-posicion: "Dice dónde está algo."\n', "")
        .replace('  forma: {subject: matematica, name: "Resuelve problemas de forma"}\n', "")
    )
    complete = make_pack(
        tmp_path / "complete",
        {"g1-a": lesson("g1-a", "competency: cantidad\ndesempenos: [g1-cantidad-contar]\n")},
        registry=full,
    )
    result = runner.invoke(content, ["coverage", "--strict", str(complete)])
    assert result.exit_code == 0, result.output
