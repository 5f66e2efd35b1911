"""One production model, ready to score: its scorer and the mapping from our question ids to
the model's (what :class:`yachay.tutor.serving.TutorService` swaps whole on a promotion)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import TYPE_CHECKING

import numpy as np

from yachay.tutor.db_data import QuestionInfo, Vocabulary
from yachay.tutor.mastery import Answered
from yachay.tutor.prior import DEFAULT_QUESTION
from yachay.tutor.registry import Pointer
from yachay.tutor.timing import known_ms

if TYPE_CHECKING:
    from yachay.tutor.scoring import CandidateScorer

__all__ = ["ServedModel", "question_ids"]


@dataclass(frozen=True)
class ServedModel:
    """One production model, ready to score (immutable: swapped whole)."""

    pointer: Pointer
    scorer: CandidateScorer
    vocabulary: Vocabulary
    #: question id -> the model's item id, for the questions it was trained on
    items: dict[str, int]
    #: item id -> the model's skill id of that item (indexable by any item id)
    item_skills: np.ndarray

    @classmethod
    def build(cls, pointer: Pointer, scorer: CandidateScorer, vocab: Vocabulary) -> ServedModel:
        item_skills = np.full(vocab.unknown_question + 1, vocab.unknown_skill, dtype=np.int64)
        for question, item in vocab.questions.items():
            item_skills[item] = vocab.skill_id(vocab.question_skills[question])
        return cls(pointer, scorer, vocab, dict(vocab.questions), item_skills)

    def history_ids(
        self, history: Sequence[Answered], info: dict[str, QuestionInfo]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """A history as the model's question ids, skill ids, responses and response times
        (-1: unknown; a question new to the model is its "unknown" id, under the skill the
        bank gives it)."""
        vocab = self.vocabulary
        questions = [answer[0] for answer in history]
        correct = [answer[1] for answer in history]
        times = [answer[2] if len(answer) > 2 else None for answer in history]
        items = question_ids(self.items, questions)
        skills = self.item_skills[items]
        for position in np.flatnonzero(items == 0):  # answered, but new to the model
            question = questions[position]
            items[position] = vocab.unknown_question
            skills[position] = vocab.skill_id(info.get(question, DEFAULT_QUESTION).skill)
        responses = np.fromiter(correct, dtype=np.int64, count=len(correct))
        return items, skills, responses, known_ms(times)

    def score(
        self, history: Sequence[Answered], ids: np.ndarray, info: dict[str, QuestionInfo]
    ) -> np.ndarray:
        """P(right) of the questions with the model's ``ids`` after ``history``."""
        q, s, r, ms = self.history_ids(history, info)
        return self.scorer.score(q, s, r, ids, self.item_skills[ids], ms=ms)

    def prepare(self, history: Sequence[Answered], info: dict[str, QuestionInfo]) -> bool:
        """:meth:`CandidateScorer.prepare <yachay.tutor.scoring.CandidateScorer.prepare>`
        the state after ``history``."""
        q, s, r, ms = self.history_ids(history, info)
        return self.scorer.prepare(q, s, r, ms=ms)


def question_ids(items: dict[str, int], questions: Sequence[str]) -> np.ndarray:
    """The model's ids of questions, 0 for those it was not trained on."""
    return np.fromiter(map(items.get, questions, repeat(0)), dtype=np.int64, count=len(questions))
