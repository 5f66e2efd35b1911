"""Content packs -> the database. Idempotent: ids are stable, rows are updated in place, and
an item that left the pack is retired, never deleted, so answers keep pointing at it.

Besides a lesson's hand-written questions, the practice items its templates generate are
stored as questions too, with ``template_id`` set: the lesson asks only the hand-written
ones (``template_id IS NULL``), practice and the tutor use them all.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from yachay.content.loader import LoadedLesson, LoadedPack
from yachay.content.schema import Lesson, Question
from yachay.db import models as m

#: What an import counts, in the order the summary says it: ``generated`` are the practice
#: items of question templates, ``questions`` the hand-written ones.
KINDS = ("skills", "lessons", "questions", "generated")

#: Rows fetched per query when the rows an import touches are read up front.
_CHUNK = 500


def _counts() -> dict[str, int]:
    return dict.fromkeys(KINDS, 0)


@dataclass
class ImportReport:
    pack_id: str
    added: dict[str, int] = field(default_factory=_counts)
    updated: dict[str, int] = field(default_factory=_counts)
    retired: dict[str, int] = field(default_factory=_counts)

    @property
    def changed(self) -> bool:
        return any(
            counts[kind] for counts in (self.added, self.updated, self.retired) for kind in KINDS
        )

    def summary(self) -> str:
        """``pack: skills: +added ~updated -retired, lessons: …, questions: …, generated: …``

        (``generated``: the practice items of question templates)."""
        parts = [
            f"{kind}: +{self.added[kind]} ~{self.updated[kind]} -{self.retired[kind]}"
            for kind in KINDS
        ]
        return f"{self.pack_id}: " + ", ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        return {
            "pack": self.pack_id,
            "added": dict(self.added),
            "updated": dict(self.updated),
            "retired": dict(self.retired),
        }


def generated_questions(entry: LoadedLesson) -> tuple[Question, ...]:
    """The practice items the lesson's templates generate (each with its ``template_id``)."""
    return tuple(entry.generated)


def lesson_languages(loaded: LoadedPack, lesson: Lesson) -> list[str]:
    """Every language all of the lesson's texts are in: the pack's, then its translations."""
    return list(dict.fromkeys([*loaded.pack.languages, *lesson.translations]))


def _plain(value: object) -> object:
    return value.model_dump(mode="json") if isinstance(value, BaseModel) else value


def fingerprint(loaded: LoadedPack) -> str:
    blob = json.dumps(
        [
            loaded.pack.model_dump(mode="json"),
            [e.lesson.model_dump(mode="json") for e in loaded.lessons],
            [[q.model_dump(mode="json") for q in generated_questions(e)] for e in loaded.lessons],
        ],
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(blob.encode()).hexdigest()


def _upsert(
    session: Session,
    existing: dict[str, Any],
    model: type,
    key: str,
    values: dict[str, Any],
    report: ImportReport,
    kind: str,
) -> None:
    row = existing.get(key)
    if row is None:
        row = model(id=key, **values)
        session.add(row)
        existing[key] = row
        report.added[kind] += 1
        return
    changed = any(getattr(row, name) != value for name, value in values.items())
    if changed:
        for name, value in values.items():
            setattr(row, name, value)
        report.updated[kind] += 1


def _existing(session: Session, model: type, ids: Iterable[str]) -> dict[str, Any]:
    """The rows with these ids, read in a few queries rather than one per row."""
    ids = list(ids)
    rows: dict[str, Any] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        rows.update(
            (row.id, row) for row in session.scalars(select(model).where(model.id.in_(chunk)))
        )
    return rows


def _question_values(q: Question, lesson: Lesson, position: int) -> dict[str, Any]:
    return {
        "lesson_id": lesson.id,
        "position": position,
        "stem": dict(q.stem),
        "choices": [dict(c) for c in q.choices],
        "answer": q.answer,
        "explanation": dict(q.explanation),
        "skills": list(q.skills),
        "difficulty": q.difficulty,
        "grade": q.grade or lesson.grade,
        "retired": False,
        "template_id": q.template_id,
    }


def conflicts(session: Session, packs: Sequence[LoadedPack]) -> list[str]:
    """Ids these packs use that belong to another pack already in the database.

    Importing them would move another pack's skill, lesson or question (and the answers
    given to it) into this one, so an import refuses while there is any.
    """
    found: list[str] = []
    for loaded in packs:
        pack_id = loaded.pack.id
        skills = [s.id for s in loaded.pack.skills]
        lessons = [e.lesson.id for e in loaded.lessons]
        questions = [
            q.id for e in loaded.lessons for q in (*e.lesson.questions, *generated_questions(e))
        ]
        for kind, model, ids in (
            ("skill", m.Skill, skills),
            ("lesson", m.Lesson, lessons),
        ):
            for start in range(0, len(ids), _CHUNK):
                rows = session.execute(
                    select(model.id, model.pack_id).where(
                        model.id.in_(ids[start : start + _CHUNK]), model.pack_id != pack_id
                    )
                )
                for item_id, owner in rows:
                    found.append(
                        f"{pack_id}: {kind} id {item_id!r} belongs to pack {owner!r} in the "
                        "database; give it another id"
                    )
        for start in range(0, len(questions), _CHUNK):
            rows = session.execute(
                select(m.Question.id, m.Lesson.pack_id)
                .join(m.Lesson, m.Lesson.id == m.Question.lesson_id)
                .where(
                    m.Question.id.in_(questions[start : start + _CHUNK]),
                    m.Lesson.pack_id != pack_id,
                )
            )
            for item_id, owner in rows:
                found.append(
                    f"{pack_id}: question id {item_id!r} belongs to pack {owner!r} in the "
                    "database; give it another id"
                )
    return found


def import_pack(session: Session, loaded: LoadedPack) -> ImportReport:
    """Add, update and retire the pack's rows so the database says what the pack says."""
    pack = loaded.pack
    report = ImportReport(pack.id)
    values: dict[str, Any] = {
        "title": dict(pack.title),
        "languages": list(pack.languages),
        "fingerprint": fingerprint(loaded),
    }
    pack_row = session.get(m.ContentPack, pack.id)
    if pack_row is None:
        session.add(m.ContentPack(id=pack.id, **values))
    elif any(getattr(pack_row, name) != value for name, value in values.items()):
        for name, value in values.items():
            setattr(pack_row, name, value)
        pack_row.imported_at = m.utcnow()
    session.flush()

    generated = {e.lesson.id: generated_questions(e) for e in loaded.lessons}
    skills = _existing(session, m.Skill, [s.id for s in pack.skills])
    lessons = _existing(session, m.Lesson, [e.lesson.id for e in loaded.lessons])
    questions = _existing(
        session,
        m.Question,
        [q.id for e in loaded.lessons for q in (*e.lesson.questions, *generated[e.lesson.id])],
    )

    for skill in pack.skills:
        _upsert(
            session,
            skills,
            m.Skill,
            skill.id,
            {
                "pack_id": pack.id,
                "name": dict(skill.name),
                "grade": skill.grade,
                "prerequisites": list(skill.prerequisites),
                "retired": False,
            },
            report,
            "skills",
        )

    folder = loaded.folder.name
    for position, entry in enumerate(loaded.lessons):
        lesson = entry.lesson
        segments = [
            {
                "text": dict(s.text),
                "audio": {lang: f"{folder}/{path}" for lang, path in s.audio.items()},
            }
            for s in lesson.segments
        ]
        _upsert(
            session,
            lessons,
            m.Lesson,
            lesson.id,
            {
                "pack_id": pack.id,
                "unit_id": entry.unit.id,
                "position": position,
                "grade": lesson.grade,
                "title": dict(lesson.title),
                "skills": list(lesson.skills),
                "segments": segments,
                "retired": False,
                "kind": lesson.kind,
                "languages": lesson_languages(loaded, lesson),
                "translations": {
                    lang: _plain(value) for lang, value in lesson.translations.items()
                },
            },
            report,
            "lessons",
        )
    session.flush()  # the lessons exist before their questions point at them

    keep: set[str] = set()
    for entry in loaded.lessons:
        lesson = entry.lesson
        # Generated items come after the hand-written questions, in the order generated.
        items = [(q, "questions") for q in lesson.questions]
        items += [(q, "generated") for q in generated[lesson.id]]
        for q_position, (q, kind) in enumerate(items):
            keep.add(q.id)
            values = _question_values(q, lesson, q_position)
            _upsert(session, questions, m.Question, q.id, values, report, kind)
    session.flush()

    for model, kind, ids in (
        (m.Skill, "skills", {s.id for s in pack.skills}),
        (m.Lesson, "lessons", {e.lesson.id for e in loaded.lessons}),
    ):
        for row in session.scalars(
            select(model).where(model.pack_id == pack.id, model.retired.is_(False))
        ):
            if row.id not in ids:
                row.retired = True
                report.retired[kind] += 1
    pack_lessons = select(m.Lesson.id).where(m.Lesson.pack_id == pack.id)
    for row in session.scalars(
        select(m.Question).where(
            m.Question.lesson_id.in_(pack_lessons), m.Question.retired.is_(False)
        )
    ):
        if row.id not in keep:
            row.retired = True
            report.retired["generated" if row.template_id else "questions"] += 1
    session.flush()
    return report


def import_packs(session: Session, packs: Sequence[LoadedPack]) -> list[ImportReport]:
    """Import several packs in one unit of work (the caller's session)."""
    return [import_pack(session, loaded) for loaded in packs]
