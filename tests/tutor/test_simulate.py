"""The simulated students and the policy comparison built on them."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from yachay.tutor.simulate_cli import simulate as simulate_command
from yachay.tutor.simulation import (
    FILTER_GRID,
    POLICIES,
    QuickRule,
    SimConfig,
    SkillFilter,
    Student,
    World,
    call_schedule,
    fit_quick_rule,
    fit_skill_filter,
    pack_curriculum,
    run_student,
    simulate,
    synthetic_curriculum,
    warmup_histories,
)

ROOT = Path(__file__).resolve().parents[2]
PACK = ROOT / "content" / "packs" / "matematica-primaria"
SMALL = SimConfig(students=6, days=8, warmup_students=8, warmup_days=5)


@pytest.fixture(scope="module")
def world() -> World:
    return World(synthetic_curriculum(0), SimConfig().model, 0)


def student(world: World, n: int = 0) -> Student:
    return Student.draw(world, random.Random(f"test-{n}"), (3, 3))


def item_of(world: World, skill: int, level: int) -> str:
    skill_id = world.skill_ids[skill]
    return next(i.id for i in world.catalog.items_of[skill_id] if i.difficulty == level)


def test_knowledge_stays_between_zero_and_one_whatever_the_policy(world):
    config = replace(SimConfig(), days=12)
    for n in range(3):
        base = student(world, n)
        calls = call_schedule(config, random.Random(n))
        for name, make in POLICIES.items():
            s = base.copy()
            outcome = run_student(
                world, s, calls, make(world, s, config, random.Random(n)), config, random.Random(n)
            )
            assert all(0.0 <= k <= 1.0 for k in s.k), name
            assert all(k <= p + 1e-12 for k, p in zip(s.k, s.peak, strict=True))
            assert outcome.questions == sum(c.questions for c in calls)


def test_answers_follow_knowledge_and_difficulty(world):
    s = student(world)
    easy, hard = item_of(world, 0, 1), item_of(world, 0, 5)
    s.k[0] = 0.1
    low_easy, low_hard = s.p_correct(easy), s.p_correct(hard)
    s.k[0] = 0.9
    assert s.p_correct(easy) > low_easy and s.p_correct(hard) > low_hard
    assert low_easy > low_hard
    m = world.model
    for p in (low_easy, low_hard, s.p_correct(easy)):
        assert m.guess <= p <= 1 - m.slip


def test_practice_makes_knowledge_grow_most_in_the_zone_of_proximal_development(world):
    s = student(world)
    skill = next(n for n, prereqs in enumerate(world.prereqs) if world.grade[n] == 3)
    gains = {}
    for label, level in (("near", 1), ("far above", 5)):
        t = s.copy()
        t.k[skill] = 0.1
        before = t.k[skill]
        t.learn(item_of(world, skill, level), day=0)
        gains[label] = t.k[skill] - before
    assert gains["near"] > gains["far above"] > 0

    # without the prerequisites, the same question teaches less
    with_prereqs, without = s.copy(), s.copy()
    for t, k in ((with_prereqs, 0.9), (without, 0.0)):
        for p in world.prereqs[skill]:
            t.k[p] = k
        t.k[skill] = 0.1
        t.learn(item_of(world, skill, 1), day=0)
    assert world.prereqs[skill]
    assert with_prereqs.k[skill] > without.k[skill]


def test_knowledge_fades_without_practice_and_spaced_practice_slows_forgetting(world):
    s = student(world)
    skill = 0
    s.k[skill] = s.peak[skill] = 0.9
    s.tau[skill] = world.model.forget_days
    spaced = s.copy()
    spaced.learn(item_of(world, skill, 3), day=0)
    spaced.learn(item_of(world, skill, 3), day=2)  # a second day of practice
    spaced.k[skill] = s.k[skill]
    s.forget_until(10)
    spaced.forget_until(10)
    assert world.model.savings * 0.9 < s.k[skill] < 0.9
    assert spaced.k[skill] > s.k[skill]
    before = s.k[skill]
    s.forget_until(5)  # the clock never runs back
    assert s.k[skill] == before


def test_the_skill_filter_reads_answers_and_difficulty(world):
    catalog = world.catalog
    skill = world.skill_ids[0]
    easy, hard = item_of(world, 0, 1), item_of(world, 0, 5)
    f = SkillFilter(catalog)
    start = f.predict([], [easy, hard])
    assert start[easy] > start[hard]
    right = f.predict([(easy, True), (hard, True)], [easy])[easy]
    assert right > start[easy]
    wrong = SkillFilter(catalog).predict([(easy, False), (hard, False)], [easy])[easy]
    assert wrong < start[easy]
    # replaying a growing history gives what a fresh filter gives; a rewritten one resets
    assert f.predict([(easy, False)], [hard]) == SkillFilter(catalog).predict(
        [(easy, False)], [hard]
    )
    # skills are traced apart: answers on one leave another's predictions alone
    other = next(i.id for i in catalog.items if skill not in i.skills)
    assert f.predict([(easy, False)], [other]) == SkillFilter(catalog).predict([], [other])


def test_the_filter_is_fitted_on_a_warm_up_cohort(world):
    config = replace(SimConfig(), warmup_students=6, warmup_days=4)
    histories = warmup_histories(world, config)
    assert len(histories) == 6 and all(grade in range(1, 7) for grade, _ in histories)
    fitted = fit_skill_filter(histories, world.catalog)
    assert set(fitted) == {"step", "learn", "jump", "prior_below", "prior_at", "prior_above"}
    for key in ("step", "learn", "jump"):
        assert fitted[key] in FILTER_GRID[key]


def test_the_filter_can_read_response_times(world):
    catalog = world.catalog
    item, other = item_of(world, 0, 3), item_of(world, 0, 4)
    rule = QuickRule(ms=6000, slope=2.0, offset=-1.0)
    quick = SkillFilter(catalog, quick=rule).predict([(item, True, 4000)], [other])[other]
    slow = SkillFilter(catalog, quick=rule).predict([(item, True, 15000)], [other])[other]
    plain = SkillFilter(catalog).predict([(item, True)], [other])[other]
    assert quick > plain > slow, "a quick right answer is more evidence of knowing"
    # wrong answers, and answers without a time, are read as before
    for history in ([(item, False, 4000)], [(item, True, None)], [(item, True)]):
        without = [answer[:2] for answer in history]
        assert SkillFilter(catalog, quick=rule).predict(history, [other]) == SkillFilter(
            catalog
        ).predict(without, [other])
    # with wrong_too, a wrong answer's time counts as well
    both = QuickRule(ms=6000, slope=2.0, offset=-1.0, wrong_too=True)
    quick = SkillFilter(catalog, quick=both).predict([(item, False, 4000)], [other])[other]
    slow = SkillFilter(catalog, quick=both).predict([(item, False, 15000)], [other])[other]
    assert quick > slow
    # a growing timed history is replayed, not re-read, and gives what a fresh filter gives
    f = SkillFilter(catalog, quick=rule)
    f.predict([(item, True, 4000)], [other])
    grown = [(item, True, 4000), (other, False, 9000)]
    assert f.predict(grown, [item]) == SkillFilter(catalog, quick=rule).predict(grown, [item])


def test_the_response_time_rule_is_fitted_on_the_warm_up_cohort(world):
    config = replace(SimConfig(), warmup_students=10, warmup_days=6)
    histories = warmup_histories(world, config)
    assert all(len(answer) == 3 for _, h in histories for answer in h)
    fitted = fit_skill_filter(histories, world.catalog)
    rule = fit_quick_rule(histories, world.catalog, fitted)
    assert rule is not None
    times = [ms for _, h in histories for _, _, ms in h]
    assert min(times) <= rule.ms <= max(times)
    assert rule.slope > 0, "quick right answers come from abler students"
    pairs = [(grade, [answer[:2] for answer in h]) for grade, h in histories]
    assert fit_quick_rule(pairs, world.catalog, fitted) is None  # no times, no rule


def test_a_refit_can_keep_the_served_filters_dynamics_and_refit_its_priors(world):
    from yachay.tutor.filter_fit import DYNAMICS, fit_filter

    config = replace(SimConfig(), warmup_students=10, warmup_days=6)
    histories = warmup_histories(world, config)
    served = {"step": 0.7, "learn": 0.1, "jump": 1.0, "prior_below": 3.0, "prior_at": 3.0,
              "prior_above": 3.0, "quick_ms": 5000.0, "quick_slope": 2.0, "quick_offset": -1.0,
              "quick_wrong_too": 0.0}  # fmt: skip
    kept = fit_filter(histories, world.catalog, keep=served)
    assert {k: kept[k] for k in DYNAMICS} == {k: served[k] for k in DYNAMICS}
    # the priors are fitted for those dynamics, as a grid with them alone would fit them
    grid = {"step": (0.7,), "learn": (0.1,), "jump": (1,), "prior": FILTER_GRID["prior"]}
    alone = fit_skill_filter(histories, world.catalog, grid)
    assert {k: kept[k] for k in alone if k.startswith("prior")} == {
        k: v for k, v in alone.items() if k.startswith("prior")
    }
    assert kept["prior_at"] != served["prior_at"]  # these children start far below 3
    # without ``keep`` (or with a served filter that has none), everything is fitted
    fresh = fit_filter(histories, world.catalog)
    assert fit_filter(histories, world.catalog, keep={"prior_at": 0.0}) == fresh
    assert (fresh["step"], fresh["learn"], fresh["jump"]) != (0.7, 0.1, 1.0)


def test_runs_are_deterministic_by_seed():
    one = simulate(SMALL).to_dict()
    two = simulate(SMALL).to_dict()
    other = simulate(replace(SMALL, seed=1)).to_dict()
    for d in (one, two, other):
        d.pop("seconds")
    assert one == two
    assert one["policies"] != other["policies"]


def test_sharing_the_students_between_processes_changes_nothing():
    config = replace(SMALL, students=12, policies=("adaptive", "fixed"))
    alone, shared = simulate(config).to_dict(), simulate(config, workers=2).to_dict()
    alone.pop("seconds")
    shared.pop("seconds")
    assert alone == shared


def test_the_oracle_beats_random_and_every_policy_gets_the_same_hours():
    report = simulate(replace(SimConfig(), students=15, days=20, policies=("random", "oracle")))
    oracle, rnd = report.results["oracle"], report.results["random"]
    assert oracle.hours == rnd.hours > 0
    assert oracle.skills_mastered_per_hour > rnd.skills_mastered_per_hour
    assert oracle.final_mastery > rnd.final_mastery
    assert report.ratios == {}  # no adaptive run, no ratios
    assert report.fitted == {}


def test_the_synthetic_curriculum_is_a_graph_of_graded_skills():
    curriculum = synthetic_curriculum(3)
    skills = curriculum.catalog.skills
    position = {s.id: n for n, s in enumerate(skills)}
    for s in skills:
        assert all(position[p] < position[s.id] for p in s.prerequisites)
        assert {i.difficulty for i in curriculum.catalog.items_of[s.id]} == {1, 2, 3, 4, 5}
    assert synthetic_curriculum(3) == curriculum


def test_a_real_pack_can_be_the_curriculum():
    curriculum = pack_curriculum(PACK)
    catalog = curriculum.catalog
    assert curriculum.name == "matematica-primaria"
    assert catalog.skill["sumar-hasta-20"].prerequisites == ("contar-hasta-20",)
    assert catalog.skill["sumar-hasta-20"].name == "Sumar hasta 20"
    report = simulate(replace(SMALL, students=3, days=4), curriculum)
    assert report.items == len(catalog.items) > 100


def test_the_command_prints_one_json_object_and_the_filter_row_beats_fixed():
    result = CliRunner().invoke(
        simulate_command,
        ["--students", "20", "--days", "30", "--json"]
        + ["--policy", "fixed", "--policy", "adaptive-filter"],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert set(report) == {"settings", "policies", "ratios", "predictor", "production", "seconds"}
    assert list(report["policies"]) == ["fixed", "adaptive-filter"]
    assert report["settings"]["students"] == 20 and report["settings"]["days"] == 30
    adaptive, fixed = report["policies"]["adaptive-filter"], report["policies"]["fixed"]
    for row in (adaptive, fixed):
        assert {"skills_mastered_per_hour", "final_mastery", "hours"} <= set(row)
    assert adaptive["skills_mastered_per_hour"] > fixed["skills_mastered_per_hour"]
    assert adaptive["final_mastery"] > fixed["final_mastery"]
    ratio = report["ratios"]["adaptive-filter/fixed"]
    assert ratio["skills_mastered_per_hour"] > 1


def test_the_filter_reads_response_times_and_the_untimed_row_runs_when_asked():
    result = CliRunner().invoke(
        simulate_command,
        ["--students", "4", "--days", "5", "--json"]
        + ["--policy", "adaptive-filter", "--policy", "adaptive-untimed", "--policy", "oracle"],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert list(report["policies"]) == ["oracle", "adaptive-filter", "adaptive-untimed"]
    # the filter reads times with a rule fitted on the warm-up cohort
    assert {"quick_ms", "quick_slope", "quick_offset", "quick_wrong_too"} <= set(
        report["predictor"]
    )
    assert {"adaptive-filter/adaptive-untimed", "adaptive-untimed/oracle"} <= set(report["ratios"])
    # the default compares production with the others; the filters are opt-in
    assert SimConfig().policies == ("adaptive", "fixed", "random", "oracle")


def test_adaptive_filters_read_times_and_the_untimed_one_does_not():
    world = World(synthetic_curriculum(0), SimConfig().model, 0)
    rule = QuickRule(ms=6000, slope=2.0, offset=-1.0, wrong_too=True)
    world.fitted = rule.as_fitted()
    s = student(world)
    made = {n: POLICIES[n](world, s, SMALL, random.Random(0)) for n in POLICIES}
    assert made["adaptive-filter"].predictor.quick == rule
    assert made["adaptive-untimed"].predictor.quick is None


def test_the_command_prints_a_table_by_default():
    result = CliRunner().invoke(
        simulate_command,
        ["--students", "2", "--days", "3"]
        + [f"--policy={p}" for p in ("fixed", "random", "oracle", "adaptive-filter")],
    )
    assert result.exit_code == 0, result.output
    for word in ("adaptive-filter", "fixed", "random", "oracle", "adaptive-filter/fixed"):
        assert word in result.output


def test_the_command_reports_a_broken_pack(tmp_path):
    (tmp_path / "pack.yaml").write_text("id: [\n")
    result = CliRunner().invoke(simulate_command, ["--pack", str(tmp_path), "--students", "1"])
    assert result.exit_code == 1
    assert "is not a valid pack" in result.output
