"""The cold-start prior: P(right) without a model, from the question and the student's own
recent answers. It serves a fresh install until a model is trained, and questions added
since the model was trained (see :class:`yachay.tutor.serving.TutorService`)."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable

from yachay.tutor.answer_log import NO_SKILL
from yachay.tutor.bank import QuestionInfo

__all__ = ["DEFAULT_QUESTION", "RecentAnswers", "prior_probability"]

#: What the prior assumes about a question it knows nothing of.
DEFAULT_QUESTION = QuestionInfo(skill=NO_SKILL, difficulty=3, choices=4)

#: Logit of an average student on a middle (3) question: P = 0.25 + 0.75 * 0.62 = 0.72 with
#: four choices, inside the productive band (0.6-0.8) the next-item policy aims for.
PRIOR_INTERCEPT = 0.5
#: Each step of difficulty (1..5) lowers the logit this much: 1 -> 0.88, 5 -> 0.50 (4 choices).
PRIOR_DIFFICULTY_SLOPE = 0.6
#: The student's own answers: the last this many on the question's skill ...
PRIOR_RECENT = 10
#: ... or, when the skill is new to them, on any skill, at this weight.
PRIOR_OVERALL_WEIGHT = 0.5


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def prior_probability(
    question: QuestionInfo, skill_right: int, skill_answers: int, all_right: int, all_answers: int
) -> float:
    """P(right) without a model, from the question and the student's recent answers.

    ``p = g + (1 - g) * sigmoid(z)``, with ``g = 1 / choices`` (a guess on the keypad) and
    ``z = 0.5 - 0.6 * (difficulty - 3) + evidence``. The evidence is the logit of the
    student's smoothed success rate, ``(right + 1) / (answers + 2)``, over their last 10
    answers on the question's skill; with none on that skill, half the logit over their
    last 10 answers on any skill; with no answers at all, 0. So a new student on a middle
    question gets 0.72, easier questions more, harder less, and a student who got the last
    ten on the skill right gets about 0.95 on it. The constants are a judgement, not fitted:
    the prior serves until a model is trained, and for questions added since.
    """
    if skill_answers:
        evidence = _logit((skill_right + 1) / (skill_answers + 2))
    elif all_answers:
        evidence = PRIOR_OVERALL_WEIGHT * _logit((all_right + 1) / (all_answers + 2))
    else:
        evidence = 0.0
    z = PRIOR_INTERCEPT - PRIOR_DIFFICULTY_SLOPE * (question.difficulty - 3) + evidence
    guess = 1.0 / max(question.choices, 1)
    return guess + (1 - guess) * (1 / (1 + math.exp(-z)))


class RecentAnswers:
    """The student's last answers per skill and overall, for the prior."""

    def __init__(self, answers: Iterable[tuple[str, bool]] = ()) -> None:
        self.by_skill: dict[str, deque[bool]] = {}
        self.overall: deque[bool] = deque(maxlen=PRIOR_RECENT)
        for skill, correct in answers:
            self.add(skill, correct)

    def add(self, skill: str, correct: bool) -> None:
        self.by_skill.setdefault(skill, deque(maxlen=PRIOR_RECENT)).append(correct)
        self.overall.append(correct)

    def prior(self, question: QuestionInfo) -> float:
        on_skill = self.by_skill.get(question.skill, ())
        return prior_probability(
            question, sum(on_skill), len(on_skill), sum(self.overall), len(self.overall)
        )
