"""`yachay content validate`, run as a teacher would."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from yachay.content.cli import content
from yachay.content.loader import load_pack

ROOT = Path(__file__).resolve().parents[2]
PACKS = ROOT / "content" / "packs"
BROKEN = Path(__file__).parent / "broken"
STATS_PACK = Path(__file__).parent / "packs_for_stats" / "conteo"


def validate(path: Path):
    return CliRunner().invoke(content, ["validate", str(path)])


def test_shipped_pack_is_ok() -> None:
    pack = load_pack(PACKS / "matematica-primaria")
    result = validate(PACKS / "matematica-primaria")
    assert result.exit_code == 0, result.output
    templates = sum(len(entry.lesson.templates) for entry in pack.lessons)
    generated = (
        f" (and {len(pack.generated)} practice items from {templates} template"
        f"{'' if templates == 1 else 's'})"
        if templates
        else ""
    )
    assert result.output == (
        f"ok: {len(pack.lessons)} lessons, {len(pack.questions)} questions{generated}, "
        f"{len(pack.pack.skills)} skills\n"
    )


def test_every_shipped_pack_validates_cleanly() -> None:
    for folder in sorted(p.parent for p in PACKS.glob("*/pack.yaml")):
        result = validate(folder)
        assert result.exit_code == 0, result.output
        assert result.output.startswith("ok: ")


def test_templates_and_their_items_are_counted() -> None:
    result = validate(STATS_PACK)
    assert result.exit_code == 0, result.output
    assert result.output == (
        "ok: 3 lessons, 3 questions (and 4 practice items from 1 template), 3 skills\n"
    )


def test_a_folder_of_packs() -> None:
    result = validate(PACKS)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok: ")


def test_problems_are_printed_one_a_line() -> None:
    result = validate(BROKEN / "answer-out-of-range")
    assert result.exit_code == 1
    assert result.output == (
        "answer-out-of-range/lessons/g1-contar.yaml:13: question g1-contar-q1: answer is 3, "
        "but there are only 2 choices: use a number from 1 to 2\n"
    )


def test_several_packs_with_problems(tmp_path: Path) -> None:
    for name in ("bad-grade", "missing-prerequisite"):
        shutil.copytree(BROKEN / name, tmp_path / name)
    result = validate(tmp_path)
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "bad-grade/lessons/g1-contar.yaml:3: grade must be a whole number from 1 to 6 "
        "(1.º to 6.º grado), not 7",
        "missing-prerequisite/pack.yaml:1: pack id 'prueba' is already used at "
        "bad-grade/pack.yaml:1",
        "missing-prerequisite/pack.yaml:13: skill sumar: prerequisite 'restar' is not a skill "
        "of this pack",
    ]


def test_a_folder_without_packs(tmp_path: Path) -> None:
    result = validate(tmp_path)
    assert result.exit_code == 1
    assert result.output == f"{tmp_path.as_posix()}:1: no pack here: no pack.yaml in a subfolder\n"


def test_a_path_that_does_not_exist(tmp_path: Path) -> None:
    result = validate(tmp_path / "nada")
    assert result.exit_code == 2
    assert "does not exist" in result.output
