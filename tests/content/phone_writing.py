"""What the style tests of the shipped packs share: every text a caller hears, and Peru's "tú"."""

from __future__ import annotations

import re
from collections.abc import Iterator

from yachay.content.loader import LoadedPack

#: Peru says "tú": none of the Río de la Plata "vos" or Spain's "vosotros".
NOT_PERUVIAN = re.compile(
    r"\b(?:vos|vosotros|vosotras|os|tenés|sabés|podés|querés|contá|mirá|escuchá|sumá|restá|"
    r"marcá|decí|vení)\b|\b(?!dieci|veinti)\w+(?:áis|éis)\b",
    re.IGNORECASE,
)


def heard(pack: LoadedPack) -> Iterator[tuple[str, str]]:
    """(where, text) for every Spanish text a caller hears."""
    yield "pack title", pack.pack.title["es"]
    for skill in pack.pack.skills:
        yield f"skill {skill.id}", skill.name["es"]
    for unit in pack.pack.units:
        yield f"unit {unit.id}", unit.title["es"]
    for entry in pack.lessons:
        lesson = entry.lesson
        yield f"{lesson.id} title", lesson.title["es"]
        for number, segment in enumerate(lesson.segments, start=1):
            yield f"{lesson.id} segment {number}", segment.text["es"]
        for question in lesson.questions:
            yield f"{question.id} stem", question.stem["es"]
            for number, choice in enumerate(question.choices, start=1):
                yield f"{question.id} choice {number}", choice["es"]
            yield f"{question.id} explanation", question.explanation["es"]


def words(text: str) -> int:
    return len(text.split())
