"""Data versions: each training run logs the exact answers it trained on (a content-addressed
snapshot, an MLflow dataset input and artifact), and `yachay tutor train --data-from RUN_ID`
retrains on them, reproducing the run's holdout metrics, whatever the database holds now."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.tutor.tutor_db import add_students
from yachay.app import create_app
from yachay.config import Settings
from yachay.tutor.answer_log import read_answer_log
from yachay.tutor.cli import tutor
from yachay.tutor.registry import Registry
from yachay.tutor.retrain import train_from_db
from yachay.tutor.snapshot import (
    SNAPSHOT_ARTIFACT,
    SNAPSHOT_FILE,
    parse_snapshot,
    snapshot_bytes,
)
from yachay.tutor.train_config import TrainConfig

FAST = TrainConfig(max_epochs=3, batch_size=16)
SMALL = {"embed_dim": 16, "hidden_dim": 16, "mlp_dim": 16, "concepts": 4}


def test_the_snapshot_is_the_answer_log_byte_for_byte(database) -> None:  # noqa: ANN001
    _, db = database
    add_students(db, 6, 9)
    with db.session() as session:
        log = read_answer_log(session)
    data = snapshot_bytes(log)
    assert data == snapshot_bytes(log)  # the same answers, the same bytes, the same digest
    assert parse_snapshot(data, log.fingerprint) == log
    assert data.count(b"\n") == 1 + 54


def test_train_from_a_runs_snapshot_reproduces_its_holdout_metrics(database, var_dir) -> None:  # noqa: ANN001
    url, db = database
    add_students(db, 50, 30)
    settings = Settings(var_dir=var_dir)
    first = train_from_db(
        settings, db, train_config=FAST, model_options=SMALL, progress=False, min_answers=100
    )

    # The run records its data: a dataset input whose digest is the file's SHA-256.
    client = Registry(settings).client
    run = client.get_run(first.run_id)
    [dataset_input] = run.inputs.dataset_inputs
    assert dataset_input.dataset.digest == first.data_digest[:32]
    assert json.loads(dataset_input.dataset.profile)["sha256"] == first.data_digest
    assert {t.key: t.value for t in dataset_input.tags} == {"mlflow.data.context": "training"}
    assert json.loads(dataset_input.dataset.profile)["answers"] == 1500
    artifacts = {a.path for a in client.list_artifacts(first.run_id)}
    assert artifacts == {"checkpoint", SNAPSHOT_ARTIFACT}
    local = client.download_artifacts(first.run_id, f"{SNAPSHOT_ARTIFACT}/{SNAPSHOT_FILE}")
    assert hashlib.sha256(Path(local).read_bytes()).hexdigest() == first.data_digest

    # The database moves on: more children, more answers ...
    add_students(db, 20, 30, seed=5, first_phone=500)
    # ... and a retrain from the run's snapshot sees none of them.
    app = create_app({"var_dir": var_dir, "database_url": url})
    result = app.test_cli_runner().invoke(
        tutor, ["train", "--data-from", first.run_id, "--no-promote", "--quiet", "--json"]
    )
    assert result.exit_code == 0, result.output
    again = json.loads(result.output)
    assert again["data_digest"] == first.data_digest
    assert again["fingerprint"] == first.fingerprint
    assert again["answers"] == 1500 and again["model"] == first.model_name
    assert again["holdout"] == {
        "students": first.holdout_students,
        "answers": first.holdout_answers,
    }
    assert again["new"] == pytest.approx(first.new, abs=1e-6)
    assert again["prior"] == pytest.approx(first.prior, abs=1e-9)
    rerun = client.get_run(again["mlflow_run"])
    assert rerun.data.tags["data_from"] == first.run_id
    assert rerun.inputs.dataset_inputs[0].dataset.digest == first.data_digest[:32]


def test_a_changed_or_missing_snapshot_is_a_clear_error(database, var_dir) -> None:  # noqa: ANN001
    url, db = database
    add_students(db, 30, 20)
    settings = Settings(var_dir=var_dir)
    first = train_from_db(
        settings,
        db,
        train_config=TrainConfig(max_epochs=1, batch_size=16),
        model_options=SMALL,
        progress=False,
        min_answers=100,
    )
    app = create_app({"var_dir": var_dir, "database_url": url})
    runner = app.test_cli_runner()

    result = runner.invoke(tutor, ["train", "--data-from", "no-such-run", "--quiet"])
    assert result.exit_code == 1
    assert "there is no MLflow run 'no-such-run'" in result.output

    # Someone edits the stored file in the artifact store.
    uri = Registry(settings).client.get_run(first.run_id).info.artifact_uri
    stored = Path(urlparse(uri).path) / SNAPSHOT_ARTIFACT / SNAPSHOT_FILE
    stored.write_bytes(stored.read_bytes().replace(b",1,", b",0,", 1))
    result = runner.invoke(tutor, ["train", "--data-from", first.run_id, "--quiet"])
    assert result.exit_code == 1
    assert "does not match its digest" in result.output and "changed after the run" in result.output
    assert len(Registry(settings).versions()) == 1, "nothing was registered"
