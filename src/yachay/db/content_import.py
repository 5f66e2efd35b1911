"""Content packs -> the database. Idempotent: ids are stable, rows are updated in place, and
an item that left the pack is retired, never deleted, so answers keep pointing at it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from yachay.content.loader import LoadedPack
from yachay.db import models as m


@dataclass
class ImportReport:
    pack_id: str
    added: dict[str, int] = field(
        default_factory=lambda: {"skills": 0, "lessons": 0, "questions": 0}
    )
    updated: dict[str, int] = field(
        default_factory=lambda: {"skills": 0, "lessons": 0, "questions": 0}
    )
    retired: dict[str, int] = field(
        default_factory=lambda: {"skills": 0, "lessons": 0, "questions": 0}
    )

    def summary(self) -> str:
        parts = [
            f"{kind}: +{self.added[kind]} ~{self.updated[kind]} -{self.retired[kind]}"
            for kind in ("skills", "lessons", "questions")
        ]
        return f"{self.pack_id}: " + ", ".join(parts)


def fingerprint(loaded: LoadedPack) -> str:
    blob = json.dumps(
        [
            loaded.pack.model_dump(mode="json"),
            [e.lesson.model_dump(mode="json") for e in loaded.lessons],
        ],
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(blob.encode()).hexdigest()


def _upsert(
    session: Session, model: type, key: str, values: dict, report: ImportReport, kind: str
) -> None:
    row = session.get(model, key)
    if row is None:
        session.add(model(id=key, **values))
        report.added[kind] += 1
        return
    changed = any(getattr(row, name) != value for name, value in values.items())
    if changed:
        for name, value in values.items():
            setattr(row, name, value)
        report.updated[kind] += 1


def _retire(
    session: Session,
    model: type,
    pack_filter,
    keep: set[str],
    report: ImportReport,  # noqa: ANN001
    kind: str,
) -> None:
    for row in session.scalars(select(model).where(pack_filter, model.retired.is_(False))):
        if row.id not in keep:
            row.retired = True
            report.retired[kind] += 1


def import_pack(session: Session, loaded: LoadedPack) -> ImportReport:
    pack = loaded.pack
    report = ImportReport(pack.id)
    pack_row = session.get(m.ContentPack, pack.id)
    values = {
        "title": dict(pack.title),
        "languages": list(pack.languages),
        "fingerprint": fingerprint(loaded),
    }
    if pack_row is None:
        session.add(m.ContentPack(id=pack.id, **values))
    else:
        for name, value in values.items():
            setattr(pack_row, name, value)
    session.flush()

    for skill in pack.skills:
        _upsert(
            session,
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
    question_ids: set[str] = set()
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
            },
            report,
            "lessons",
        )
        session.flush()
        for q_position, q in enumerate(lesson.questions):
            question_ids.add(q.id)
            _upsert(
                session,
                m.Question,
                q.id,
                {
                    "lesson_id": lesson.id,
                    "position": q_position,
                    "stem": dict(q.stem),
                    "choices": [dict(c) for c in q.choices],
                    "answer": q.answer,
                    "explanation": dict(q.explanation),
                    "skills": list(q.skills),
                    "difficulty": q.difficulty,
                    "grade": q.grade or lesson.grade,
                    "retired": False,
                },
                report,
                "questions",
            )
    session.flush()

    lesson_ids = {e.lesson.id for e in loaded.lessons}
    _retire(
        session, m.Skill, m.Skill.pack_id == pack.id, {s.id for s in pack.skills}, report, "skills"
    )
    _retire(session, m.Lesson, m.Lesson.pack_id == pack.id, lesson_ids, report, "lessons")
    pack_lessons = select(m.Lesson.id).where(m.Lesson.pack_id == pack.id)
    _retire(
        session,
        m.Question,
        m.Question.lesson_id.in_(pack_lessons),
        question_ids,
        report,
        "questions",
    )
    return report
