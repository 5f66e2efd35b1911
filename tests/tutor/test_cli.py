from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from yachay.tutor.checkpoint import load_checkpoint
from yachay.tutor.cli import tutor
from yachay.tutor.train_config import TrainConfig


def test_evaluate_prints_one_json_object(tiny_dataset: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        tutor,
        [
            "evaluate",
            "--dataset",
            str(tiny_dataset),
            "--json",
            "--model",
            "dkt",
            "--checkpoint-dir",
            str(tmp_path / "ckpt"),
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["dataset"] == "tiny"
    assert set(report["models"]) == {"dkt", "bkt", "pfa"}
    for row in report["models"].values():
        assert {"auc", "acc", "logloss", "ece", "train_seconds"} <= set(row)
        assert 0.5 < row["auc"] <= 1
    assert report["models"]["dkt"]["seeds"] == 1
    assert load_checkpoint(tmp_path / "ckpt" / "dkt-seed0.pt").model_name == "dkt"


def test_evaluate_prints_a_table_by_default(tiny_dataset: Path) -> None:
    # A wide terminal, so the table's cells are not wrapped.
    result = CliRunner(env={"COLUMNS": "200"}).invoke(
        tutor,
        [
            "evaluate",
            "--dataset",
            str(tiny_dataset),
            "--model",
            "dkt",
            "--seeds",
            "2",
            "--quiet",
            "--workers",
            "1",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "dkt (2 seeds)" in result.stdout and "bkt" in result.stdout
    assert "±" in result.stdout


def test_evaluate_explains_missing_or_broken_files(tmp_path: Path) -> None:
    (tmp_path / "train.csv").write_text("2\n1,2\n1,1\n")
    result = CliRunner().invoke(tutor, ["evaluate", "--dataset", str(tmp_path)])
    assert result.exit_code == 2
    assert "has no test.csv" in result.output
    (tmp_path / "test.csv").write_text("2\n1,2\n1,7\n")
    result = CliRunner().invoke(tutor, ["evaluate", "--dataset", str(tmp_path)])
    assert result.exit_code == 1
    assert "test.csv:3: response 7 at field 2" in result.output


def test_a_selection_keeps_the_candidate_with_the_best_validation_auc(
    tiny_dataset: Path,
) -> None:
    from yachay.tutor.evaluate import evaluate_dataset
    from yachay.tutor.models import SELECTIONS

    report = evaluate_dataset(
        tiny_dataset,
        models=["auto"],
        baselines=[],
        workers=1,
        score_first=True,
        progress=False,
        train_config=TrainConfig(max_epochs=3),
    )
    row = report["models"]["auto"]
    assert set(row["candidates"]) == set(SELECTIONS["auto"])
    best = max(row["candidates"], key=lambda c: row["candidates"][c]["best_val_auc"])
    assert row["selected"] == best
    assert row["auc"] == row["candidates"][best]["auc"]
    # The selection costs both trainings; each candidate keeps its own.
    seconds = [c["train_seconds"] for c in row["candidates"].values()]
    assert row["train_seconds"] == pytest.approx(sum(seconds))
    assert all(0 < s < row["train_seconds"] for s in seconds)
    assert report["answers_scored"] == 40 * 20  # every answer of the 40 test students
    assert report["first_answers_scored"] is True


def test_the_command_line_does_not_import_torch() -> None:
    # Every `yachay` command would pay seconds of start-up for it, even `yachay call`.
    import subprocess
    import sys

    code = "import sys, yachay.cli; print(sorted({'torch', 'sklearn'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_names_the_command_line_offers_are_the_registry() -> None:
    from yachay.tutor.defaults import MODEL_NAMES
    from yachay.tutor.models import MODELS

    assert tuple(MODELS) == MODEL_NAMES
