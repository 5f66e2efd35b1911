"""Which questions to ask next: the adaptive practice policy.

`next_items` builds one practice round (the phone asks five questions a round):

1. **Confirmations, then due reviews.** A skill that crossed the mastery line in its
   last sitting gets one question in a later one (`CONFIRM`, `yachay.tutor.confirm`): the
   evidence of a run of answers is fresh, some of it is forgotten by the next day. Then
   skills whose spaced review is due (`review.due_reviews`, most
   overdue first) get one question each — if the predictor still rates them as known; a
   due skill whose estimate fell below the mastery threshold is taught again from the
   frontier instead. A presumed skill of an earlier grade whose only answers are a passed
   check (below) is not reviewed: it is still presumed, and nothing was taught there (in
   the simulation such reviews took 5% of all questions). Confirmations and reviews take
   at most `max_reviews` (1) questions of a round: more crowd out learning (in the
   simulation, no cap cost 0.05 skills mastered per hour, no reviews at all far more). A
   call placed for the reviews asks every due one first (`decisions.practice_round`).
2. **The frontier.** A skill is on the frontier when it is not yet mastered and all its
   prerequisites are met (`mastery` says what mastered means). A prerequisite is *met*
   when it is mastered, or — for a skill of an earlier grade than the student's — when
   nothing says otherwise: a fourth-grader is not made to prove first-grade counting
   before anything else. Such presumed prerequisites of the skills about to be taught are
   **checked** with one question each (`CHECK`, at most `max_checks` a round): a right
   answer keeps the presumption, a wrong one makes the skill a **gap**, taught to mastery
   before what builds on it (and its own presumed prerequisites are checked in turn).
   Frontier skills are taken in this order: gaps, then skills already started, then new
   ones (lower grades and earlier in the curriculum first), and skills above the
   student's grade last ("ahead"). With nothing left to learn, the least-known skills of
   the student's grade and below are practised (`MAINTAIN`).
3. **The productive band.** Within a skill, the question whose predicted P(right) is
   closest to the centre of the band [0.6, 0.8] — hard enough to teach, easy enough not to
   discourage — or, when no question falls in the band, the nearest to it.
4. **Not the same questions again.** Questions among the last `recent_answers` answers or
   answered within `recent_hours` are skipped while the skill has others.
5. **Variety.** A round interleaves the first `skills_per_round` frontier skills.

Everything is deterministic for the same inputs (ties go to the easier item, then the id).
`questions_after_lesson` picks practice on a lesson's own skills the same way.

The predictor is the serving model (or any `domain.Predictor`); the policy reads only its
predictions, the catalog and the history. `yachay.tutor.simulation` measures the policy on
simulated students.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from yachay.tutor.confirm import crossed_lately
from yachay.tutor.domain import (
    Answered,
    AnswerEvent,
    Catalog,
    History,
    Predictor,
    as_answers,
    as_utc,
)
from yachay.tutor.mastery import MasteryRule, SkillMastery, skill_mastery

__all__ = [
    "AHEAD",
    "CHECK",
    "CONFIRM",
    "CONTINUE",
    "GAP",
    "LESSON",
    "MAINTAIN",
    "NEW",
    "REASONS",
    "REVIEW",
    "ItemChoice",
    "PolicyConfig",
    "frontier",
    "next_items",
    "questions_after_lesson",
]

#: Why a question was chosen (`ItemChoice.reason`).
REVIEW = "review"  # its skill's spaced review is due
CONFIRM = "confirm"  # its skill crossed the mastery line in its last sitting
GAP = "gap"  # a skill below the student's grade that the evidence says is not known
CHECK = "check"  # one question on a presumed prerequisite of what is taught now
CONTINUE = "continue"  # a frontier skill the student has started
NEW = "new"  # a frontier skill the student has not started
AHEAD = "ahead"  # a skill above the student's grade: everything up to it is mastered
LESSON = "lesson"  # practice on the skills of the lesson just heard
MAINTAIN = "maintain"  # nothing left to learn: keep mastered skills fresh

REASONS = {
    REVIEW: "toca repasar",
    CONFIRM: "confirma lo aprendido en la última llamada",
    GAP: "falta una base de un grado anterior",
    CHECK: "comprueba una base antes de seguir",
    CONTINUE: "sigue aprendiendo",
    NEW: "tema nuevo",
    AHEAD: "adelanta un tema del grado siguiente",
    LESSON: "practica la lección",
    MAINTAIN: "mantiene lo aprendido",
}


@dataclass(frozen=True)
class PolicyConfig:
    #: Predicted P(right) of a productive question.
    band: tuple[float, float] = (0.6, 0.8)
    #: Questions among this many latest answers are not asked again (while others remain).
    recent_answers: int = 20
    #: ... nor those answered within this many hours.
    recent_hours: float = 12.0
    #: Frontier skills interleaved in one round.
    skills_per_round: int = 2
    #: At most this many confirmation and review questions in one round (None: as many as
    #: the round holds).
    max_reviews: int | None = 1
    #: Skills that crossed the mastery line in a sitting within this many days are asked
    #: once more in a later sitting (`yachay.tutor.confirm`); 0: never.
    confirm_days: float = 14.0
    mastery: MasteryRule = field(default_factory=MasteryRule)
    #: Skills of earlier grades count as known until the evidence says otherwise.
    presume_below_grade: bool = True
    #: A presumed skill answered at most this many times (a check), every time right,
    #: stays presumed; a wrong answer makes it a gap, taught to mastery.
    check_answers: int = 2
    #: Checks of presumed prerequisites in one round.
    max_checks: int = 2

    @property
    def centre(self) -> float:
        return (self.band[0] + self.band[1]) / 2


@dataclass(frozen=True)
class ItemChoice:
    item_id: str
    #: The skill it practises (for a multi-skill item, the one it was chosen for).
    skill: str
    #: One of `REASONS` (`REVIEW`, `GAP`, `CONTINUE`, `NEW`, `AHEAD`, `LESSON`, `MAINTAIN`).
    reason: str
    #: The predictor's P(right) for it.
    predicted: float

    @property
    def words(self) -> str:
        """The reason in Spanish, for logs and the teacher console."""
        return REASONS[self.reason]


def frontier(
    mastery: Mapping[str, SkillMastery],
    catalog: Catalog,
    grade: int | None = None,
    config: PolicyConfig | None = None,
) -> list[tuple[str, str]]:
    """``(skill, reason)`` for each frontier skill, in the order they should be taught.

    Checks (`CHECK`: one question on a presumed prerequisite never answered) come just
    before the first skills that need them.
    """
    config = config or PolicyConfig()
    rule = config.mastery

    def presumable(skill: str) -> bool:
        g = catalog.skill[skill].grade
        return config.presume_below_grade and grade is not None and g < grade

    def met(skill: str) -> bool:
        m = mastery.get(skill)
        if m is None or m.mastered:  # no items: nothing to practise
            return True
        if not presumable(skill):
            return False
        if m.attempts == 0 or m.estimate >= rule.threshold:
            return True
        # a passed check (every answer right) keeps the presumption; a wrong one makes a gap
        return m.attempts <= config.check_answers and m.right == m.attempts

    out = []
    for node in catalog.skills:
        if met(node.id) or not all(met(p) for p in node.prerequisites):
            continue
        m = mastery[node.id]
        if grade is not None and node.grade > grade:
            reason = AHEAD
        elif grade is not None and node.grade < grade:
            reason = GAP
        else:
            reason = CONTINUE if m.attempts else NEW
        out.append((node.id, reason))
    rank = {GAP: 0, CONTINUE: 1, NEW: 2, AHEAD: 3}
    out.sort(key=lambda sr: (rank[sr[1]], catalog.skill[sr[0]].grade, catalog.order[sr[0]]))

    # unchecked presumed prerequisites of the skills taught first are checked first
    checks: list[tuple[str, str]] = []
    for skill, _ in out[: config.skills_per_round]:
        for p in catalog.skill[skill].prerequisites:
            m = mastery.get(p)
            if m is not None and not m.mastered and m.attempts == 0 and presumable(p):
                checks.append((p, CHECK))
    return list(dict.fromkeys(checks[: config.max_checks])) + out


def _only_checked(
    m: SkillMastery, skill_grade: int, grade: int | None, config: PolicyConfig
) -> bool:
    """A presumed skill whose every answer was a right check: still presumed, not taught."""
    return (
        config.presume_below_grade
        and grade is not None
        and skill_grade < grade
        and 0 < m.attempts <= config.check_answers
        and m.right == m.attempts
    )


def next_items(
    history: History,
    catalog: Catalog,
    predictor: Predictor,
    now: datetime,
    n: int = 5,
    *,
    grade: int | None = None,
    due_reviews: Iterable[str | object] = (),
    exclude: Collection[str] = (),
    config: PolicyConfig | None = None,
) -> list[ItemChoice]:
    """One practice round of up to ``n`` questions (see the module docstring).

    ``history``: the student's answers, oldest first (`AnswerEvent`, or ``(item_id,
    correct[, response_ms])`` tuples — then only the count-based recency rule applies);
    the predictor reads the response times too (`domain.as_answers`). ``grade``: the
    student's grade (None: no grade preference, nothing presumed). ``due_reviews``: skill
    ids, or objects with a ``skill`` attribute such as `review.DueReview`, most urgent
    first. ``exclude``: item ids never to ask in this round.
    """
    config = config or PolicyConfig()
    if n <= 0:
        return []
    answers = as_answers(history)
    max_reviews = n if config.max_reviews is None else min(n, config.max_reviews)
    # before the whole history's predictions, which the picker reuses; none without a slot
    crossed = (
        crossed_lately(events, catalog, predictor, now, config.mastery, config.confirm_days)
        if config.confirm_days > 0 and max_reviews > 0 and (events := _events(history))
        else []
    )
    mastery = skill_mastery(answers, catalog, predictor, config.mastery)
    picker = _Picker(answers, history, catalog, predictor, now, exclude, config)

    confirm = [s for s in crossed if s in mastery and mastery[s].mastered]
    reviews = [*confirm, *(getattr(d, "skill", d) for d in due_reviews)]
    # a due skill no longer estimated as known is taught again from the frontier instead
    threshold = config.mastery.threshold
    reviews = [
        s
        for s in dict.fromkeys(reviews)
        if isinstance(s, str)
        and s in mastery
        and mastery[s].estimate >= threshold
        and not _only_checked(mastery[s], catalog.skill[s].grade, grade, config)
    ]
    picker.predict_for(reviews[:max_reviews])
    for skill in reviews:
        if len(picker.chosen) >= max_reviews:
            break
        picker.take(skill, CONFIRM if skill in confirm else REVIEW)

    skills = frontier(mastery, catalog, grade, config)
    reviewed = {c.skill for c in picker.chosen}
    skills = [sr for sr in skills if sr[0] not in reviewed] + [
        sr for sr in skills if sr[0] in reviewed
    ]
    picker.round_robin(skills, n, config.skills_per_round)
    if len(picker.chosen) < n:  # nothing (more) to learn: keep the least-known fresh
        in_scope = [
            s for s in catalog.skills if s.id in mastery and (grade is None or s.grade <= grade)
        ]
        in_scope.sort(key=lambda s: (mastery[s.id].estimate, catalog.order[s.id]))
        picker.round_robin([(s.id, MAINTAIN) for s in in_scope], n, config.skills_per_round)
    return picker.chosen


def _events(history: History) -> list[AnswerEvent]:
    """The history's answers with their times (tuples carry none: then nothing to confirm)."""
    return [h for h in history if isinstance(h, AnswerEvent)]


def questions_after_lesson(
    lesson_skills: Sequence[str],
    history: History,
    catalog: Catalog,
    predictor: Predictor,
    now: datetime,
    n: int = 3,
    *,
    exclude: Collection[str] = (),
    config: PolicyConfig | None = None,
) -> list[ItemChoice]:
    """Up to ``n`` questions on the skills a lesson just taught, in the productive band.

    Prerequisites are not checked (the lesson taught the skill); the lesson's skills are
    interleaved; ``exclude`` is typically the lesson's own questions.
    """
    config = config or PolicyConfig()
    picker = _Picker(as_answers(history), history, catalog, predictor, now, exclude, config)
    skills = [(s, LESSON) for s in dict.fromkeys(lesson_skills) if s in catalog.skill]
    picker.round_robin(skills, n, max(1, len(skills)))
    return picker.chosen


class _Picker:
    """Chooses items for one round: recency, band, no repeats within the round."""

    def __init__(
        self,
        answers: Sequence[Answered],
        history: History,
        catalog: Catalog,
        predictor: Predictor,
        now: datetime,
        exclude: Collection[str],
        config: PolicyConfig,
    ) -> None:
        self.answers = answers  # what the predictor reads
        self.catalog = catalog
        self.predictor = predictor
        self.config = config
        self.exclude = set(exclude)
        self.chosen: list[ItemChoice] = []
        self.used: set[str] = set()
        self.predicted: dict[str, float] = {}
        self._last_seen: dict[str, int] | None = None
        self._items: dict[str, list[str]] = {}
        n = len(answers)
        start = max(0, n - config.recent_answers) if config.recent_answers else n
        self.recent = {answer[0] for answer in answers[start:]}
        if config.recent_hours > 0:
            since = as_utc(now) - timedelta(hours=config.recent_hours)
            for h in reversed(history):  # oldest first: walk back until the window ends
                if not isinstance(h, AnswerEvent) or as_utc(h.at) < since:
                    break
                self.recent.add(h.item_id)

    @property
    def last_seen(self) -> dict[str, int]:
        """Position of each item's latest answer in the history."""
        if self._last_seen is None:
            self._last_seen = {answer[0]: n for n, answer in enumerate(self.answers)}
        return self._last_seen

    def candidates(self, skill: str) -> list[str]:
        items = self._items.get(skill)
        if items is None:
            items = self._items[skill] = [
                i.id for i in self.catalog.items_of.get(skill, ()) if i.id not in self.exclude
            ]
        fresh = [i for i in items if i not in self.used and i not in self.recent]
        if fresh:
            return fresh
        # all seen lately: the least recently seen half, then the least recent left
        stale = sorted(items, key=lambda i: self.last_seen.get(i, -1))
        window = [i for i in stale[: max(1, len(stale) // 2)] if i not in self.used]
        return window or [i for i in stale if i not in self.used][:1]

    def predict_for(self, skills: Iterable[str]) -> None:
        missing: dict[str, None] = {}
        for skill in skills:
            missing.update(
                dict.fromkeys(i for i in self.candidates(skill) if i not in self.predicted)
            )
        if missing:
            got = self.predictor.predict(self.answers, list(missing))
            self.predicted.update({i: float(got[i]) for i in missing})

    def take(self, skill: str, reason: str) -> bool:
        ids = self.candidates(skill)
        if not ids:
            return False
        self.predict_for([skill])
        low, high = self.config.band
        centre = self.config.centre
        item = self.catalog.item

        def key(i: str) -> tuple:
            p = self.predicted[i]
            return (not low <= p <= high, abs(p - centre), item[i].difficulty, i)

        best = min(ids, key=key)
        self.used.add(best)
        self.chosen.append(ItemChoice(best, skill, reason, self.predicted[best]))
        return True

    def round_robin(self, skills: Sequence[tuple[str, str]], n: int, width: int) -> None:
        queue = list(skills)
        active: list[tuple[str, str]] = []
        while len(self.chosen) < n and (queue or active):
            while len(active) < max(1, width) and queue:
                active.append(queue.pop(0))
            self.predict_for(s for s, _ in active)
            for sr in list(active):
                if len(self.chosen) >= n:
                    break
                if not self.take(*sr) or sr[1] == CHECK:  # a check is one question
                    active.remove(sr)
