"""Is the teacher's list right? The needs-a-tutor ranking against the truly stuck children.

Classes of simulated children are taught for `SimConfig.days` by the filter-driven
adaptive policy (the production row retrains a model per week, too slow for many classes;
the ranking reads only predictions and answers, whatever the predictor). Then, on the
morning after the last day:

- **truly stuck**: a child with a skill they answered at least `STUCK_ANSWERS` questions of
  whose hidden mastery (mean true P(right) over its questions) is still below
  `STUCK_BELOW` — practice that did not work, which a teacher's call could fix;
- **the ranking**: `needs_tutor.signals_for` with the predictor that taught the child, the
  score summed as `rank_students` sums it;
- **the baseline**: the lowest share of right answers among the child's last
  `RECENT` answers.

Precision and recall of each list's top `TOP` against the truly stuck, per class, averaged
over the classes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import timedelta

from yachay.tutor.domain import AnswerEvent
from yachay.tutor.filter_fit import fit_quick_rule, fit_skill_filter
from yachay.tutor.needs_tutor import signals_for
from yachay.tutor.simulation.policies import POLICIES, Policy
from yachay.tutor.simulation.run import warmup_histories
from yachay.tutor.simulation.teaching import call_schedule, run_student
from yachay.tutor.simulation.world import (
    START,
    Curriculum,
    SimConfig,
    Student,
    World,
    synthetic_curriculum,
)

__all__ = ["ListCheck", "check_teacher_list"]

STUCK_ANSWERS = 15
STUCK_BELOW = 0.7
RECENT = 20
TOP = 5


@dataclass(frozen=True)
class ListCheck:
    classes: int
    class_size: int
    #: Mean number of truly stuck children in a class.
    stuck_per_class: float
    ranking_precision: float
    ranking_recall: float
    baseline_precision: float
    baseline_recall: float

    def to_dict(self) -> dict[str, float]:
        return {k: round(v, 3) if isinstance(v, float) else v for k, v in vars(self).items()}


class _Recorder(Policy):
    def __init__(self, inner: Policy) -> None:
        self.inner = inner
        self.events: list[AnswerEvent] = []

    def choose(self, now, n):  # noqa: ANN001, ANN201
        return self.inner.choose(now, n)

    def observe(self, event: AnswerEvent) -> None:
        self.events.append(event)
        self.inner.observe(event)


def check_teacher_list(
    config: SimConfig | None = None,
    classes: int = 4,
    class_size: int = 30,
    curriculum: Curriculum | None = None,
) -> ListCheck:
    config = config or SimConfig()
    curriculum = curriculum or synthetic_curriculum(config.seed)
    world = World(curriculum, config.model, config.seed)
    histories = warmup_histories(world, config)
    fitted = fit_skill_filter(histories, curriculum.catalog)
    quick = fit_quick_rule(histories, curriculum.catalog, fitted)
    world.fitted = fitted | (quick.as_fitted() if quick else {})
    now = START + timedelta(days=config.days)
    totals = {"stuck": 0.0, "rp": 0.0, "rr": 0.0, "bp": 0.0, "br": 0.0}
    for c in range(classes):
        scores, baseline, stuck = {}, {}, set()
        for n in range(class_size):
            seed = f"{config.seed}-class{c}-{n}"
            student = Student.draw(world, random.Random(f"student-{seed}"), config.grades)
            calls = call_schedule(config, random.Random(f"calls-{seed}"))
            policy = POLICIES["adaptive-filter"](
                world, student, config, random.Random(f"policy-{seed}")
            )
            recorder = _Recorder(policy)
            run_student(world, student, calls, recorder, config, random.Random(f"answers-{seed}"))
            answers = recorder.events
            per_skill: dict[int, int] = {}
            for e in answers:
                for s in world.item_skills[e.item_id]:
                    per_skill[s] = per_skill.get(s, 0) + 1
            if any(
                count >= STUCK_ANSWERS and student.true_mastery(s) < STUCK_BELOW
                for s, count in per_skill.items()
            ):
                stuck.add(n)
            signals = signals_for(_activity(n, answers), curriculum.catalog, policy.predictor, now)
            scores[n] = sum(s.score for s in signals)
            recent = answers[-RECENT:]
            baseline[n] = sum(e.correct for e in recent) / len(recent) if recent else 1.0
        ranked = sorted((n for n in scores if scores[n] > 0), key=lambda n: (-scores[n], n))
        top_ranking = set(ranked[:TOP])
        top_baseline = set(sorted(baseline, key=lambda n: (baseline[n], n))[:TOP])
        totals["stuck"] += len(stuck)
        for key, top in (("r", top_ranking), ("b", top_baseline)):
            hits = len(top & stuck)
            totals[key + "p"] += hits / TOP
            totals[key + "r"] += hits / len(stuck) if stuck else 1.0
    return ListCheck(
        classes,
        class_size,
        totals["stuck"] / classes,
        totals["rp"] / classes,
        totals["rr"] / classes,
        totals["bp"] / classes,
        totals["br"] / classes,
    )


def _activity(n: int, answers: list[AnswerEvent]):  # noqa: ANN202
    from yachay.tutor.needs_tutor import StudentActivity

    return StudentActivity(n, answers)


if __name__ == "__main__":  # python -m yachay.tutor.simulation.teacher_list [seed]
    import json
    import sys

    seed = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    print(json.dumps(check_teacher_list(replace(SimConfig(), seed=seed)).to_dict()))
