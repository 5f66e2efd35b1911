"""The curriculum registry: the CNEB desempeños per grade and competency that lessons say
they teach.

The registry is one YAML file, ``curriculum.yaml``::

    competencies:
      cantidad: {subject: matematica, name: "Resuelve problemas de cantidad"}
    grades:
      1:
        cantidad:
          g1-cantidad-contar-50: "Cuenta hasta 50 objetos de su entorno..."

A pack finds it by looking in its own folder and then upwards (``content/packs/<pack>/``
finds ``content/curriculum.yaml``); a pack with none above it uses the one shipped with the
code. A lesson names one competency (``competency: cantidad``) and the desempeños it teaches
(``desempenos: [g1-cantidad-contar-50]``); `yachay.content.curriculum_checks` holds them to
this registry, `yachay.content.coverage` reports what the lessons cover.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from yachay.content.problems import PackError, Problem
from yachay.content.yaml_lines import parse_yaml, yaml_error_message

__all__ = [
    "CURRICULUM_FILE",
    "SHIPPED_CURRICULUM",
    "Competency",
    "Curriculum",
    "Desempeno",
    "find_curriculum",
    "load_curriculum",
]

CURRICULUM_FILE = "curriculum.yaml"
#: The registry shipped with the code (``content/curriculum.yaml`` of the checkout).
SHIPPED_CURRICULUM = Path(__file__).resolve().parents[3] / "content" / CURRICULUM_FILE
#: How many folders above a pack are searched for a registry (the pack's own folder,
#: ``packs/``, ``content/``).
_SEARCH_DEPTH = 3
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
GRADES = range(1, 7)


@dataclass(frozen=True)
class Competency:
    id: str
    #: The pack subject it belongs to (``matematica``, ``comunicacion``).
    subject: str
    name: str


@dataclass(frozen=True)
class Desempeno:
    id: str
    grade: int
    competency: str
    text: str


@dataclass(frozen=True)
class Curriculum:
    path: Path
    #: Competencies in the order of the file.
    competencies: Mapping[str, Competency]
    #: Desempeños in the order of the file (grade by grade, competency by competency).
    desempenos: Mapping[str, Desempeno]

    def competencies_of(self, subject: str) -> list[Competency]:
        return [c for c in self.competencies.values() if c.subject == subject]

    def desempenos_of(self, grade: int, competency: str) -> list[Desempeno]:
        return [
            d for d in self.desempenos.values() if d.grade == grade and d.competency == competency
        ]

    @property
    def grades(self) -> list[int]:
        return sorted({d.grade for d in self.desempenos.values()})


def find_curriculum(pack_folder: Path) -> Path:
    """The registry a pack uses: the nearest ``curriculum.yaml`` in its folder or above,
    else the shipped one."""
    folder = Path(pack_folder).resolve()
    for candidate in [folder, *folder.parents][:_SEARCH_DEPTH]:
        path = candidate / CURRICULUM_FILE
        if path.is_file():
            return path
    return SHIPPED_CURRICULUM


def load_curriculum(path: Path) -> Curriculum:
    """Read and check a registry; `PackError` with every problem as ``file:line:``."""
    return _load(Path(path).resolve(), Path(path).stat().st_mtime_ns)


@lru_cache(maxsize=8)
def _load(path: Path, _mtime: int) -> Curriculum:
    # Cached per modification time: validating several packs reads the registry once.
    shown = Path(path.name) if path != SHIPPED_CURRICULUM else Path("content") / path.name
    problems: list[Problem] = []

    def problem(line: int, message: str) -> None:
        problems.append(Problem(shown, line, message))

    try:
        document = parse_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise PackError([Problem(shown, *yaml_error_message(exc))]) from None
    data = document.data
    if not isinstance(data, Mapping) or set(data) != {"competencies", "grades"}:
        raise PackError([Problem(shown, 1, "must have exactly two fields: competencies, grades")])
    for loc, line, first in document.duplicate_keys:
        problem(line, f"{loc[-1]!r} appears twice (also on line {first}); keep one")

    competencies: dict[str, Competency] = {}
    raw = data["competencies"]
    for key, value in raw.items() if isinstance(raw, Mapping) else ():
        line = document.line(("competencies", key))
        if not isinstance(key, str) or not _SLUG.fullmatch(key) or "-" in key:
            problem(line, f"competency id {key!r} must be one lowercase word, like cantidad")
            continue
        if (
            not isinstance(value, Mapping)
            or set(value) != {"subject", "name"}
            or not all(isinstance(v, str) and v.strip() for v in value.values())
        ):
            problem(line, f"competency {key}: needs a subject and a name, and nothing else")
            continue
        competencies[key] = Competency(key, value["subject"], value["name"].strip())
    if not competencies:
        problem(document.line(("competencies",)), "competencies: lists no competency")

    desempenos: dict[str, Desempeno] = {}
    grades = data["grades"]
    for grade, by_competency in grades.items() if isinstance(grades, Mapping) else ():
        line = document.line(("grades", grade))
        if not isinstance(grade, int) or grade not in GRADES:
            problem(line, f"grade {grade!r} must be a whole number from 1 to 6")
            continue
        for competency, items in (
            by_competency.items() if isinstance(by_competency, Mapping) else ()
        ):
            line = document.line(("grades", grade, competency))
            if competency not in competencies:
                problem(line, f"grade {grade}: {competency!r} is not one of the competencies")
                continue
            if not isinstance(items, Mapping) or not items:
                problem(line, f"grade {grade}: {competency}: needs desempeños, id: text")
                continue
            for desempeno_id, text in items.items():
                line = document.line(("grades", grade, competency, desempeno_id))
                prefix = f"g{grade}-{competency}-"
                slug = str(desempeno_id).removeprefix(prefix)
                if (
                    not isinstance(desempeno_id, str)
                    or not desempeno_id.startswith(prefix)
                    or not _SLUG.fullmatch(slug)
                ):
                    problem(
                        line,
                        f"desempeño id {desempeno_id!r} must be {prefix}<slug>, the slug in "
                        "lowercase letters, digits and hyphens",
                    )
                    continue
                if not isinstance(text, str) or not text.strip():
                    problem(line, f"desempeño {desempeno_id}: needs a description in Spanish")
                    continue
                desempenos[desempeno_id] = Desempeno(
                    desempeno_id, grade, competency, " ".join(text.split())
                )
    if problems:
        raise PackError(problems)
    return Curriculum(path, competencies, desempenos)
