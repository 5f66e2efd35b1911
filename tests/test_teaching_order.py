from __future__ import annotations

from yachay.calls.sql_catalog import teaching_order
from yachay.db import models as m


def lesson(pack: str, grade: int, position: int) -> m.Lesson:
    return m.Lesson(id=f"{pack}-{grade}-{position}", pack_id=pack, grade=grade, position=position)


def test_grades_in_order_and_subjects_interleaved():
    math = [lesson("matematica", g, p) for g in (3, 4) for p in range(10 * g, 10 * g + 5)]
    stories = [lesson("comunicacion", g, p) for g in (3, 4) for p in (g, g + 1)]
    ordered = [x.id for x in teaching_order(stories + math)]
    assert ordered[:7] == [
        "matematica-3-30",
        "comunicacion-3-3",
        "matematica-3-31",
        "matematica-3-32",
        "matematica-3-33",
        "comunicacion-3-4",
        "matematica-3-34",
    ]
    assert all(x.startswith(("matematica-4", "comunicacion-4")) for x in ordered[7:])
