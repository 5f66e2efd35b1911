"""What the lessons of a set of packs cover of the curriculum registry
(`yachay.content.curriculum`): ``yachay content coverage PATH [--json]``.

`coverage` returns one JSON-ready object::

    {
      "curriculum": "content/curriculum.yaml",
      "grades": [1, 2, 3, 4, 5, 6],
      "competencies": [{"id": "cantidad", "subject": "matematica", "name": "..."}, ...],
      "cells": {"1": {"cantidad": {"lessons": 4, "listening_lessons": 0, "questions": 20,
                                   "templates": 3, "minutes": 6.5,
                                   "desempenos": 6, "desempenos_taught": 5}, ...}, ...},
      "desempenos": [{"id": "g1-cantidad-contar-50", "grade": 1, "competency": "cantidad",
                      "text": "...", "lessons": ["g1-contamos-hasta-cincuenta"]}, ...],
      "untaught": ["g1-cantidad-ordinales-10", ...],     # no lesson teaches them
      "undeclared": ["matematica-primaria/lessons/g1-x.yaml", ...],  # no competency
      "without_templates": [...]   # teaching (not listening) lessons with no templates
    }

A cell is a grade and a competency: the lessons that declare that competency (and the
lesson's grade), their hand-written questions, their templates, and the minutes of their
segments (what is taught or told, in each pack's first language, estimated as by
``yachay content stats``). Only the competencies of the packs' subjects are shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from yachay.content.curriculum import Curriculum
from yachay.content.loader import LoadedPack
from yachay.content.stats import segment_seconds

__all__ = ["coverage"]


def _shown(path: Path) -> str:
    """A path relative to the working folder when it is under it (as a writer typed it)."""
    try:
        return path.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def coverage(packs: Sequence[LoadedPack], curriculum: Curriculum) -> dict[str, Any]:
    """The coverage of `curriculum` by the lessons of `packs`, as in the module docstring."""
    subjects = {loaded.pack.subject for loaded in packs}
    competencies = [c for c in curriculum.competencies.values() if c.subject in subjects]
    shown = {c.id for c in competencies}
    grades = curriculum.grades
    cells: dict[int, dict[str, dict[str, Any]]] = {
        grade: {
            c.id: {
                "lessons": 0,
                "listening_lessons": 0,
                "questions": 0,
                "templates": 0,
                "seconds": 0.0,
                "desempenos": len(curriculum.desempenos_of(grade, c.id)),
                "desempenos_taught": 0,
            }
            for c in competencies
        }
        for grade in grades
    }
    taught_by: dict[str, list[str]] = {
        d.id: [] for d in curriculum.desempenos.values() if d.competency in shown
    }
    undeclared: list[str] = []
    without_templates: list[str] = []
    for loaded in packs:
        base = loaded.pack.languages[0]
        for entry in loaded.lessons:
            lesson = entry.lesson
            if lesson.kind == "lesson" and not lesson.templates:
                without_templates.append(f"{loaded.folder.name}/{entry.file}")
            for desempeno_id in lesson.desempenos:
                if desempeno_id in taught_by and lesson.id not in taught_by[desempeno_id]:
                    taught_by[desempeno_id].append(lesson.id)
            cell = cells.get(lesson.grade, {}).get(lesson.competency or "")
            if cell is None:
                undeclared.append(f"{loaded.folder.name}/{entry.file}")
                continue
            cell["lessons"] += 1
            cell["listening_lessons"] += lesson.kind == "listening"
            cell["questions"] += len(lesson.questions)
            cell["templates"] += len(lesson.templates)
            cell["seconds"] += sum(
                segment_seconds(s.text[base], base, lesson.kind)
                for s in lesson.segments
                if base in s.text
            )
    for desempeno_id, lessons in taught_by.items():
        if lessons:
            desempeno = curriculum.desempenos[desempeno_id]
            cells[desempeno.grade][desempeno.competency]["desempenos_taught"] += 1

    def finish(cell: dict[str, Any]) -> dict[str, Any]:
        out = {name: value for name, value in cell.items() if name != "seconds"}
        out["minutes"] = round(cell["seconds"] / 60, 1)
        return out

    return {
        "curriculum": _shown(curriculum.path),
        "grades": grades,
        "competencies": [{"id": c.id, "subject": c.subject, "name": c.name} for c in competencies],
        "cells": {
            str(grade): {cid: finish(cell) for cid, cell in row.items()}
            for grade, row in cells.items()
        },
        "desempenos": [
            {
                "id": d.id,
                "grade": d.grade,
                "competency": d.competency,
                "text": d.text,
                "lessons": taught_by[d.id],
            }
            for d in curriculum.desempenos.values()
            if d.id in taught_by
        ],
        "untaught": [d for d, lessons in taught_by.items() if not lessons],
        "undeclared": undeclared,
        "without_templates": without_templates,
    }


def coverage_text(report: dict[str, Any]) -> str:
    """The report as plain text: one row per grade and competency, then the desempeños
    no lesson teaches (and those only one teaches), then the lessons that declare none."""
    names = [c["id"] for c in report["competencies"]]
    width = max([len("competency"), *(len(name) for name in names)])
    header = (
        f"{'grade':<6}{'competency':<{width}}  {'lessons':>7}  {'stories':>7}  "
        f"{'questions':>9}  {'templates':>9}  {'minutes':>7}  {'desempeños taught':>17}"
    )
    lines = [f"Coverage of {report['curriculum']}", "", header]
    empty = 0
    for grade, row in report["cells"].items():
        for name in names:
            cell = row[name]
            mark = "  <- empty" if not cell["lessons"] else ""
            empty += not cell["lessons"]
            taught = f"{cell['desempenos_taught']}/{cell['desempenos']}"
            lines.append(
                f"{grade + '.º':<6}{name:<{width}}  {cell['lessons']:>7}  "
                f"{cell['listening_lessons']:>7}  {cell['questions']:>9}  "
                f"{cell['templates']:>9}  {cell['minutes']:>7.1f}  {taught:>17}{mark}"
            )
    lines.append("")
    total = len(report["desempenos"])
    untaught = set(report["untaught"])
    lines.append(f"{len(untaught)} of {total} desempeños are taught by no lesson:")
    lines.extend(f"  {d['id']}: {d['text']}" for d in report["desempenos"] if d["id"] in untaught)
    once = [d for d in report["desempenos"] if len(d["lessons"]) == 1]
    lines.append(f"{len(once)} desempeños are taught by one lesson only (aim for two or three):")
    lines.extend(f"  {d['id']} ({d['lessons'][0]})" for d in once)
    undeclared = report["undeclared"]
    lines.append(
        f"{len(undeclared)} lessons declare no competency of their grade "
        "(add competency: and desempenos:):"
    )
    lines.extend(f"  {file}" for file in undeclared)
    bare = report["without_templates"]
    lines.append(f"{len(bare)} teaching lessons have no question templates (practice items):")
    lines.extend(f"  {file}" for file in bare)
    lines.append(f"{empty} empty cells (grade and competency with no lesson).")
    return "\n".join(lines)
