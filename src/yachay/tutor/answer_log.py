"""The answers in our database as knowledge-tracing data (the log a model trains on).

- :func:`read_answer_log` reads every answer, per student, oldest first, with the skill of
  its question (the question's first skill), and a fingerprint of exactly that data.
- :class:`Vocabulary` maps our question ids (strings) and skill ids to the model's 1-based
  integers. It is built from the answered questions, sorted, so the same answers give the
  same mapping, and it travels in the checkpoint's metadata so that serving maps our ids
  the way training did. Ids it does not know map to ``len + 1``, the model's "unknown" id.
- :func:`is_holdout` splits students for the promotion comparison by a hash of the student
  id, not a shuffle: a student stays in (or out of) the holdout as answers accumulate, so a
  production model trained last week never trained on this week's holdout students, and the
  new and the production model are compared on answers neither of them saw.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yachay.db import models as m
from yachay.db.answers import each_answer

if TYPE_CHECKING:  # yachay.tutor.data imports torch; serving imports this module cheaply
    from yachay.tutor.data import StudentSequence

__all__ = [
    "HOLDOUT_FRACTION",
    "AnswerLog",
    "StudentAnswers",
    "Vocabulary",
    "is_holdout",
    "question_skill",
    "read_answer_log",
]

#: Share of students kept out of training to compare a new model with the production one.
HOLDOUT_FRACTION = 0.2
_HOLDOUT_SALT = "yachay-tutor-holdout-v1"
#: The skill of a question that names none.
NO_SKILL = "-"


def question_skill(skills: Sequence[Any] | None) -> str:
    """The skill a question is traced under: its first one."""
    return str(skills[0]) if skills else NO_SKILL


def is_holdout(student_id: int, fraction: float = HOLDOUT_FRACTION) -> bool:
    """Whether a student's answers are held out; stable across runs and data growth."""
    digest = hashlib.sha256(f"{_HOLDOUT_SALT}:{student_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < fraction


@dataclass(frozen=True)
class StudentAnswers:
    """One student's answers, oldest first."""

    student_id: int
    questions: tuple[str, ...]
    skills: tuple[str, ...]
    correct: tuple[bool, ...]
    #: Each answer's response time in milliseconds (None: not measured); empty: none known.
    response_ms: tuple[int | None, ...] = ()

    def __len__(self) -> int:
        return len(self.questions)


@dataclass(frozen=True)
class AnswerLog:
    students: tuple[StudentAnswers, ...]
    #: sha256 of every (student, question, skill, correct, response time, time) in order.
    fingerprint: str

    @property
    def num_answers(self) -> int:
        return sum(len(s) for s in self.students)

    @property
    def questions(self) -> set[str]:
        return {q for s in self.students for q in s.questions}

    def split(self, fraction: float = HOLDOUT_FRACTION) -> tuple[AnswerLog, AnswerLog]:
        """(training students, holdout students), by :func:`is_holdout`."""
        train = tuple(s for s in self.students if not is_holdout(s.student_id, fraction))
        hold = tuple(s for s in self.students if is_holdout(s.student_id, fraction))
        return AnswerLog(train, self.fingerprint), AnswerLog(hold, self.fingerprint)


def read_answer_log(session: Session, batch_size: int = 10_000) -> AnswerLog:
    """Every answer in the database, grouped by student, in the order they were given."""
    skills_of = dict(session.execute(select(m.Question.id, m.Question.skills)).all())
    digest = hashlib.sha256()
    students: list[StudentAnswers] = []
    current: int | None = None
    questions: list[str] = []
    skills: list[str] = []
    correct: list[bool] = []
    times: list[int | None] = []

    def close() -> None:
        if current is not None:
            students.append(
                StudentAnswers(
                    current, tuple(questions), tuple(skills), tuple(correct), tuple(times)
                )
            )

    for student_id, answer in each_answer(session, batch_size):
        if answer.question_id not in skills_of:
            continue  # a question no longer in the bank has no skill to train
        if student_id != current:
            close()
            current, questions, skills, correct, times = student_id, [], [], [], []
        skill = question_skill(skills_of[answer.question_id])
        questions.append(answer.question_id)
        skills.append(skill)
        correct.append(answer.correct)
        times.append(answer.response_ms)
        digest.update(
            f"{student_id}\t{answer.question_id}\t{skill}\t{int(answer.correct)}\t"
            f"{answer.response_ms}\t{answer.answered_at.isoformat()}\n".encode()
        )
    close()
    return AnswerLog(tuple(students), digest.hexdigest())


@dataclass(frozen=True)
class Vocabulary:
    """Our ids -> the model's 1-based ids; unknown ids map to ``len + 1``."""

    questions: dict[str, int] = field(default_factory=dict)
    skills: dict[str, int] = field(default_factory=dict)
    #: The skill each known question was trained under.
    question_skills: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, log: AnswerLog) -> Vocabulary:
        question_skills: dict[str, str] = {}
        for student in log.students:
            question_skills.update(zip(student.questions, student.skills, strict=True))
        questions = {q: i for i, q in enumerate(sorted(question_skills), start=1)}
        skills = {s: i for i, s in enumerate(sorted(set(question_skills.values())), start=1)}
        return cls(questions, skills, question_skills)

    @property
    def unknown_question(self) -> int:
        return len(self.questions) + 1

    @property
    def unknown_skill(self) -> int:
        return len(self.skills) + 1

    def question_id(self, question: str) -> int:
        return self.questions.get(question, self.unknown_question)

    def skill_id(self, skill: str) -> int:
        return self.skills.get(skill, self.unknown_skill)

    def sequence(self, answers: StudentAnswers) -> StudentSequence:
        """A student's answers as model ids, with their response times: our answers are
        timed data (an answer without a time reads as an unknown one)."""
        from yachay.tutor.data import StudentSequence

        return StudentSequence.from_lists(
            [self.question_id(q) for q in answers.questions],
            [int(c) for c in answers.correct],
            [self.skill_id(s) for s in answers.skills],
            answers.response_ms or [None] * len(answers),
        )

    def sequences(self, log: AnswerLog) -> list[StudentSequence]:
        return [self.sequence(s) for s in log.students]

    def to_metadata(self) -> dict[str, Any]:
        """Plain dicts for the checkpoint (loadable with ``weights_only=True``)."""
        return {
            "questions": dict(self.questions),
            "skills": dict(self.skills),
            "question_skills": dict(self.question_skills),
        }

    @classmethod
    def from_metadata(cls, metadata: dict[str, Any]) -> Vocabulary:
        try:
            return cls(
                {str(k): int(v) for k, v in metadata["questions"].items()},
                {str(k): int(v) for k, v in metadata["skills"].items()},
                {str(k): str(v) for k, v in metadata["question_skills"].items()},
            )
        except (KeyError, AttributeError, TypeError, ValueError) as exc:
            raise ValueError(
                "the checkpoint has no question mapping (it was not trained on our "
                "database's answers)"
            ) from exc
