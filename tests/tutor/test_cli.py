from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from yachay.tutor.checkpoint import load_checkpoint
from yachay.tutor.cli import tutor


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
        ["evaluate", "--dataset", str(tiny_dataset), "--model", "dkt", "--seeds", "2", "--quiet"],
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
