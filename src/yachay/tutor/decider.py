"""What decides a child's practice: the skill filter a version carries.

`yachay tutor train` trains the knowledge-tracing model *and* fits the skill filter
(:mod:`yachay.tutor.skill_filter`) on the same training students' answers, with each
student's grade and each question's difficulty level from the question bank. The fitted
numbers travel in the version's checkpoint (``metadata["skill_filter"]``), so the filter
is registered, versioned, promoted and rolled back with the model.

Why the filter decides: in the simulation (`yachay tutor simulate`) a policy driven by
it masters far more skills per hour than the same policy driven by the knowledge-tracing
model, whose next-answer AUC is higher. The filter pools all of a skill's evidence into
one ability that every question of the skill reads, so "is this skill mastered" is a
statement about the skill, not a mean of per-question guesses; and it knows each
question's difficulty level and where the skill stands for the child's grade.

The promotion gate compares what decides: the new version's filter against production's
filter (or production's model, for a version without one) on the same holdout answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from yachay.db import models as m
from yachay.tutor import model_quality
from yachay.tutor.answer_log import AnswerLog
from yachay.tutor.domain import Catalog
from yachay.tutor.filter_fit import GradedHistory, filter_predictions, fit_filter

__all__ = [
    "FILTER_KEY",
    "filter_metrics",
    "fit_version_filter",
    "graded_histories",
    "student_grades",
    "version_filter",
]

#: Where a checkpoint's metadata holds the fitted filter.
FILTER_KEY = "skill_filter"


def student_grades(session: Session) -> dict[int, int]:
    """Every student's grade, by id."""
    return {sid: grade for sid, grade in session.execute(select(m.Student.id, m.Student.grade))}


def graded_histories(log: AnswerLog, grades: Mapping[int, int]) -> list[GradedHistory]:
    """The log's answers as the filter reads them: ``(grade, [(question, right, ms)])``."""
    return [
        (
            grades.get(s.student_id),
            list(zip(s.questions, s.correct, s.response_ms or [None] * len(s), strict=True)),
        )
        for s in log.students
    ]


def fit_version_filter(
    train: AnswerLog,
    grades: Mapping[int, int],
    catalog: Catalog,
    keep: Mapping[str, float] | None = None,
) -> dict[str, float] | None:
    """The filter's numbers fitted on ``train``; None when no answer is on a question of
    the bank (nothing to fit). ``keep``: the served filter's numbers, whose dynamics a new
    version keeps (`filter_fit.fit_filter`)."""
    histories = graded_histories(train, grades)
    if not any(a[0] in catalog.item for _grade, h in histories for a in h):
        return None
    return {k: float(v) for k, v in fit_filter(histories, catalog, keep).items()}


def filter_metrics(
    holdout: AnswerLog,
    grades: Mapping[int, int],
    catalog: Catalog,
    fitted: Mapping[str, float],
) -> dict[str, float] | None:
    """The filter's next-answer metrics on ``holdout`` (None: nothing to score, or one
    class only)."""
    y, p = filter_predictions(graded_histories(holdout, grades), catalog, fitted)
    if len(set(y.tolist())) < 2:
        return None
    return model_quality.all_metrics(y.astype(np.int64), p)


def version_filter(metadata: Mapping[str, Any]) -> dict[str, float] | None:
    """The fitted filter a checkpoint carries (None: a version from before filters)."""
    fitted = metadata.get(FILTER_KEY)
    return {k: float(v) for k, v in fitted.items()} if fitted else None
