"""The simulation's production row: the served model, trained as `yachay tutor train` trains
it, deciding through the server's `TutorService`."""

from __future__ import annotations

from dataclasses import replace

import pytest

from yachay.tutor.answer_log import Vocabulary
from yachay.tutor.simulation import SimConfig, World, simulate, synthetic_curriculum
from yachay.tutor.simulation.production import WARMUP_ID, ModelLine, answer_log, warmup_log
from yachay.tutor.simulation.run import warmup_histories

TOO_FEW = SimConfig(students=3, days=8, warmup_students=4, warmup_days=3)


def test_too_few_logged_answers_and_the_cold_start_prior_decides():
    report = simulate(replace(TOO_FEW, policies=("adaptive", "fixed")))
    assert report.results["adaptive"].questions == report.results["fixed"].questions > 0
    retrainings = report.production["retrainings"]
    assert [r["day"] for r in retrainings] == [0, 7]  # before the first call, after a week
    assert not any(r["promoted"] for r in retrainings)
    assert "training needs at least 1000" in retrainings[0]["reason"]
    assert report.production["model"] == "dkt+f" and report.production["retrain_days"] == 7


def test_the_answer_log_is_what_training_reads_from_the_database():
    world = World(synthetic_curriculum(0), TOO_FEW.model, 0)
    histories = warmup_histories(world, TOO_FEW)
    log = answer_log(warmup_log(histories), world.catalog)
    assert log.num_answers == sum(len(h) for _, h in histories)
    first = log.students[0]
    item, correct, ms = histories[0][1][0]
    assert (first.questions[0], first.correct[0], first.response_ms[0]) == (item, correct, ms)
    assert first.skills[0] == world.catalog.item[item].skills[0]
    assert answer_log(warmup_log(histories), world.catalog).fingerprint == log.fingerprint
    assert Vocabulary.build(log).questions  # the model's ids are built from it


@pytest.mark.slow
def test_the_served_model_is_trained_gated_and_published_as_production_does(tmp_path):
    config = SimConfig(students=4, days=8, warmup_students=16, warmup_days=10, production_epochs=2)
    world = World(synthetic_curriculum(0), config.model, 0)
    log = answer_log(warmup_log(warmup_histories(world, config)), world.catalog)
    assert log.num_answers >= 1000
    line = ModelLine(world.catalog, max_epochs=2, folder=tmp_path)
    assert line.service.version is None  # nothing trained yet: the prior serves
    grades = {WARMUP_ID + n: grade for n, (grade, _) in enumerate(warmup_histories(world, config))}
    first = line.retrain(log, day=0, grades=grades)
    assert first.promoted and first.version == 1 and line.service.version == 1
    assert (tmp_path / "tutor" / "production.json").is_file()
    assert 0 <= first.holdout_auc <= 1 and first.holdout_answers > 0  # two epochs: no quality
    # the skill filter is fitted with the version, and it is what the gate compared
    assert first.filter_auc > 0.6
    served = line.service.served()
    assert served is not None and served.skill_filter["prior_at"] is not None
    again = line.retrain(log, day=7, grades=grades)  # the same data: within tolerance or not
    assert again.production_auc is not None and again.production_filter_auc == first.filter_auc
    assert line.service.version == (2 if again.promoted else 1)
    some = [i.id for i in world.catalog.items[:3]]
    history = [(some[0], True, 4000)]
    predictor = line.predictor(grade=3)
    predicted = predictor.predict(history, some)
    assert all(0 < p < 1 for p in predicted.values())
    assert {predictor.version_of(q) for q in some} == {line.service.version}
    # those are the filter's numbers, not the knowledge-tracing model's
    from yachay.tutor.skill_filter import filter_from_fitted

    expected = filter_from_fitted(world.catalog, 3, served.skill_filter).predict(history, some)
    assert predicted == pytest.approx(expected)
    by_model = line.service.predict(history, some, line.info)
    assert by_model != pytest.approx(expected)

    report = simulate(replace(config, policies=("adaptive", "fixed")))
    days = [r["day"] for r in report.production["retrainings"]]
    assert days == [0, 7] and report.production["retrainings"][0]["promoted"]
    assert report.results["adaptive"].hours == report.results["fixed"].hours


def test_the_refitted_filter_row_takes_the_production_path_and_schedule():
    config = replace(
        TOO_FEW,
        students=4,
        days=10,
        warmup_students=8,
        warmup_days=5,
        policies=("fixed", "adaptive-refit"),
    )
    report = simulate(config)
    refit, fixed = report.results["adaptive-refit"], report.results["fixed"]
    assert refit.hours == fixed.hours > 0
    assert 0 < refit.final_mastery < 1
    assert "adaptive-refit/fixed" in report.ratios
    assert report.production == {}  # the served model's row did not run
