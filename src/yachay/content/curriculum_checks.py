"""Hold each lesson's ``competency:`` and ``desempenos:`` to the curriculum registry
(`yachay.content.curriculum`): ids that exist, of the pack's subject and the lesson's grade.

A lesson without them is valid (``yachay content coverage`` lists it); a lesson that names
them must name real ones, so the coverage report can be trusted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from yachay.content.curriculum import Curriculum, find_curriculum, load_curriculum
from yachay.content.problems import PackError, did_you_mean, place
from yachay.content.schema import Pack

if TYPE_CHECKING:
    from yachay.content.pack_reader import PackReader, ReadLesson

__all__ = ["check_curriculum"]


def check_curriculum(reader: PackReader, pack: Pack | None, lessons: list[ReadLesson]) -> None:
    declaring = [e for e in lessons if e.lesson.competency or e.lesson.desempenos]
    if pack is None or not declaring:
        return
    path = find_curriculum(reader.folder)
    if not path.is_file():
        first = declaring[0]
        reader.at(
            first.file,
            ("competency",),
            f"no curriculum.yaml in the pack folder or above it (nor {path}) to check "
            "competency and desempenos against",
        )
        return
    try:
        curriculum = load_curriculum(path)
    except PackError as exc:
        reader.problems.extend(exc.problems)
        return
    for entry in declaring:
        _check_lesson(reader, pack, entry, curriculum)


def _check_lesson(
    reader: PackReader, pack: Pack, entry: ReadLesson, curriculum: Curriculum
) -> None:
    lesson, file = entry.lesson, entry.file
    own = [c.id for c in curriculum.competencies_of(pack.subject)]
    competency = lesson.competency
    if competency is None:
        reader.at(
            file,
            ("desempenos",),
            "competency is missing: a lesson that lists desempenos names its competency too"
            f" ({', '.join(own) or 'none for subject ' + pack.subject})",
        )
    elif competency not in curriculum.competencies:
        reader.at(
            file,
            ("competency",),
            f"competency {competency!r} is not in {curriculum.path.name}: use one of "
            f"{', '.join(own)}{did_you_mean(competency, own)}",
        )
        competency = None
    elif competency not in own:
        subject = curriculum.competencies[competency].subject
        reader.at(
            file,
            ("competency",),
            f"competency {competency!r} belongs to {subject}, but this pack's subject is "
            f"{pack.subject}: use one of {', '.join(own)}",
        )
        competency = None
    seen: dict[str, int] = {}
    matches_competency = False
    valid = 0
    for index, desempeno_id in enumerate(lesson.desempenos):
        loc = ("desempenos", index)
        if desempeno_id in seen:
            reader.at(file, loc, f"desempeño {desempeno_id!r} is listed twice; keep one")
            continue
        seen[desempeno_id] = index
        desempeno = curriculum.desempenos.get(desempeno_id)
        if desempeno is None:
            of_grade = [d.id for d in curriculum.desempenos.values() if d.grade == lesson.grade]
            reader.at(
                file,
                loc,
                f"desempeño {desempeno_id!r} is not in {curriculum.path.name}"
                f"{did_you_mean(desempeno_id, of_grade)}",
            )
            continue
        if desempeno.grade != lesson.grade:
            reader.at(
                file,
                loc,
                f"desempeño {desempeno_id!r} is of grade {desempeno.grade}, this lesson of "
                f"grade {lesson.grade}: name the desempeño of grade {lesson.grade} it teaches",
            )
            continue
        valid += 1
        matches_competency = matches_competency or desempeno.competency == competency
    if competency is not None and valid and not matches_competency:
        where = place(reader.position(file, ("competency",)))
        reader.at(
            file,
            ("desempenos",),
            f"no desempeño listed is of the lesson's competency {competency!r} ({where}): "
            "list at least one of it, or change the competency",
        )
