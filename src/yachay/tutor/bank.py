"""The question bank as the tutor sees it, read once per version of the content.

:func:`question_bank` is the one cache of the bank: it is rebuilt only when the imported
content changes (its key is every pack's fingerprint, one small query), so every worker
thread of a process shares one copy, and a re-import is seen by the next turn.

- ``catalog``: the items (questions still in use, hand-written and generated) and the skill
  graph, in curriculum order: what the policies choose among.
- ``info``: skill, difficulty and number of choices of every question, retired ones
  included (a history may hold them): what the cold-start prior reads.
- ``needs_story``: the questions of listening lessons. They ask about a story, so they are
  asked only by their lesson, right after the story; practice never draws them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from yachay.db import models as m
from yachay.tutor.answer_log import question_skill
from yachay.tutor.domain import Catalog, Item, SkillNode

__all__ = ["LISTENING", "QuestionBank", "QuestionInfo", "question_bank", "read_questions"]

#: The lesson kind whose segments are a story its questions ask about.
LISTENING = "listening"


@dataclass(frozen=True)
class QuestionBank:
    catalog: Catalog
    info: dict[str, QuestionInfo]
    #: Ids of questions that depend on a story (their lesson is a listening lesson).
    needs_story: frozenset[str]


_Key = tuple[tuple[str, str], ...]
_bank: tuple[_Key, QuestionBank] | None = None
_lock = threading.Lock()


def question_bank(session: Session) -> QuestionBank:
    """The bank of the content in ``session``'s database, built once per content version."""
    global _bank
    key: _Key = tuple(
        (pack_id, fingerprint)
        for pack_id, fingerprint in session.execute(
            select(m.ContentPack.id, m.ContentPack.fingerprint).order_by(m.ContentPack.id)
        )
    )
    cached = _bank
    if cached is not None and cached[0] == key:
        return cached[1]
    with _lock:
        if _bank is None or _bank[0] != key:
            _bank = (key, _read(session))
        return _bank[1]


def _read(session: Session) -> QuestionBank:
    rows = session.execute(
        select(
            m.Question.id, m.Question.skills, m.Question.difficulty, m.Question.grade, m.Lesson.kind
        )
        .join(m.Lesson, m.Lesson.id == m.Question.lesson_id)
        .where(m.Question.retired.is_(False))
        # A total order, the same on every database: the policies break ties by it.
        .order_by(
            m.Lesson.grade, m.Lesson.pack_id, m.Lesson.position, m.Question.position, m.Question.id
        )
    ).all()
    items = [
        Item(qid, tuple(skills), difficulty, grade) for qid, skills, difficulty, grade, _ in rows
    ]
    skills = [
        SkillNode(s.id, tuple(s.prerequisites), s.grade, s.name.get("es", s.id))
        for s in session.scalars(
            select(m.Skill)
            .where(m.Skill.retired.is_(False))
            .order_by(m.Skill.grade, m.Skill.pack_id, m.Skill.id)
        )
    ]
    return QuestionBank(
        catalog=Catalog.build(items, skills),
        info=read_questions(session),
        needs_story=frozenset(row[0] for row in rows if row[4] == LISTENING),
    )


@dataclass(frozen=True)
class QuestionInfo:
    """What the cold-start prior knows about a question."""

    skill: str
    difficulty: int  # 1 (easiest) .. 5
    choices: int


def read_questions(session: Session, ids: Iterable[str] | None = None) -> dict[str, QuestionInfo]:
    """Skill, difficulty and number of choices of every question (or of ``ids``)."""
    query = select(m.Question.id, m.Question.skills, m.Question.difficulty, m.Question.choices)
    if ids is not None:
        query = query.where(m.Question.id.in_(list(ids)))
    return {
        qid: QuestionInfo(question_skill(skills), int(difficulty), max(1, len(choices or ())))
        for qid, skills, difficulty, choices in session.execute(query)
    }
