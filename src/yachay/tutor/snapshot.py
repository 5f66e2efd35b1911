"""The exact answers a training run learned from, as a content-addressed snapshot.

Each run of :func:`yachay.tutor.retrain.train_from_db` writes the answer log it read as
one CSV (a student's answers in order, students by id; the columns below) and logs it
with the run: the file as the artifact ``data/answers.csv``, and an MLflow dataset input
(context ``training``) whose digest is the SHA-256 of the file's bytes (its first 32 hex
digits: MLflow keeps 36 characters; the whole hash is in the dataset's profile). The same
answers always give the same bytes, so the digest names the data: two runs on the same
answers share it, and a file that changed no longer matches it.

:func:`load_snapshot` reads a run's snapshot back, checks its digest, and returns the
answer log, so ``yachay tutor train --data-from RUN_ID`` trains on exactly those answers
however the database has changed since.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from yachay.tutor.answer_log import AnswerLog, StudentAnswers
from yachay.tutor.registry import CHECKPOINT_ARTIFACT, CHECKPOINT_FILE

if TYPE_CHECKING:
    from mlflow import MlflowClient

__all__ = [
    "COLUMNS",
    "SNAPSHOT_ARTIFACT",
    "SNAPSHOT_FILE",
    "SnapshotError",
    "load_snapshot",
    "log_snapshot",
    "parse_snapshot",
    "settings_of_run",
    "snapshot_bytes",
]

SNAPSHOT_ARTIFACT = "data"
SNAPSHOT_FILE = "answers.csv"
DATASET_NAME = "yachay-answers"
COLUMNS = ("student_id", "question_id", "skill", "correct", "response_ms")
#: Hex digits of the SHA-256 in the dataset's digest (MLflow's limit is 36 characters).
DIGEST_LENGTH = 32


class SnapshotError(Exception):
    """A run has no usable snapshot; the message says why."""


def snapshot_bytes(log: AnswerLog) -> bytes:
    """The answer log as CSV bytes (``\\n`` line ends; an unknown response time is empty)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for s in log.students:
        times = s.response_ms or (None,) * len(s)
        for q, skill, correct, ms in zip(s.questions, s.skills, s.correct, times, strict=True):
            writer.writerow((s.student_id, q, skill, int(correct), "" if ms is None else ms))
    return out.getvalue().encode()


def parse_snapshot(data: bytes, fingerprint: str) -> AnswerLog:
    """The answer log of :func:`snapshot_bytes`; ``fingerprint`` is the one the run logged
    (the snapshot leaves out the answer times the fingerprint also covers)."""
    reader = csv.reader(io.StringIO(data.decode()))
    if tuple(next(reader, ())) != COLUMNS:
        raise SnapshotError(f"not an answers snapshot: the header is not {','.join(COLUMNS)}")
    rows: dict[int, list[list[str]]] = {}
    for row in reader:
        rows.setdefault(int(row[0]), []).append(row)
    students = tuple(
        StudentAnswers(
            student_id,
            tuple(r[1] for r in answers),
            tuple(r[2] for r in answers),
            tuple(r[3] == "1" for r in answers),
            tuple(int(r[4]) if r[4] else None for r in answers),
        )
        for student_id, answers in rows.items()
    )
    return AnswerLog(students, fingerprint)


def log_snapshot(client: MlflowClient, run_id: str, log: AnswerLog) -> str:
    """Log the snapshot with the run (artifact and dataset input); returns its SHA-256."""
    from mlflow.entities import Dataset, DatasetInput, InputTag

    data = snapshot_bytes(log)
    digest = hashlib.sha256(data).hexdigest()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / SNAPSHOT_FILE
        path.write_bytes(data)
        client.log_artifact(run_id, str(path), SNAPSHOT_ARTIFACT)
    dataset = Dataset(
        name=DATASET_NAME,
        digest=digest[:DIGEST_LENGTH],
        source_type="mlflow-artifact",
        source=json.dumps({"uri": f"runs:/{run_id}/{SNAPSHOT_ARTIFACT}/{SNAPSHOT_FILE}"}),
        schema=json.dumps({"columns": list(COLUMNS)}),
        profile=json.dumps(
            {
                "answers": log.num_answers,
                "students": len(log.students),
                "questions": len(log.questions),
                "fingerprint": log.fingerprint,
                "sha256": digest,
            }
        ),
    )
    client.log_inputs(
        run_id, datasets=[DatasetInput(dataset, tags=[InputTag("mlflow.data.context", "training")])]
    )
    return digest


def load_snapshot(client: MlflowClient, run_id: str) -> tuple[AnswerLog, str]:
    """The answers run ``run_id`` trained on, and their SHA-256 (checked against the file)."""
    from mlflow.exceptions import MlflowException

    try:
        run = client.get_run(run_id)
    except MlflowException as exc:
        raise SnapshotError(f"there is no MLflow run {run_id!r}: {exc.message}") from None
    inputs = run.inputs.dataset_inputs if run.inputs else []
    datasets = [i.dataset for i in inputs if i.dataset.name == DATASET_NAME]
    if not datasets:
        raise SnapshotError(
            f"run {run_id} logged no answers snapshot (it was trained before snapshots were "
            "recorded, or is not a training run)"
        )
    with tempfile.TemporaryDirectory() as tmp:
        try:
            path = client.download_artifacts(run_id, f"{SNAPSHOT_ARTIFACT}/{SNAPSHOT_FILE}", tmp)
        except Exception as exc:  # the artifact store's own errors vary
            raise SnapshotError(f"cannot fetch the snapshot of run {run_id}: {exc}") from exc
        data = Path(path).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    logged = json.loads(datasets[-1].profile or "{}").get("sha256", datasets[-1].digest)
    if digest[: len(logged)] != logged or datasets[-1].digest != digest[:DIGEST_LENGTH]:
        raise SnapshotError(
            f"the snapshot of run {run_id} does not match its digest "
            f"(file {digest[:12]}, logged {logged[:12]}): it was changed after the run"
        )
    return parse_snapshot(data, run.data.tags.get("fingerprint", "")), digest


def settings_of_run(
    client: MlflowClient,
    run_id: str,
    model_name: str | None,
    train_config: Any,
    model_options: dict[str, Any] | None,
) -> tuple[str, Any, dict[str, Any]]:
    """The model, training settings and model options of a run, from its checkpoint
    (those given win)."""
    from yachay.tutor.checkpoint import load_checkpoint

    with tempfile.TemporaryDirectory() as tmp:
        try:
            folder = client.download_artifacts(run_id, CHECKPOINT_ARTIFACT, tmp)
        except Exception as exc:  # the artifact store's own errors vary
            raise SnapshotError(f"cannot fetch the checkpoint of run {run_id}: {exc}") from exc
        checkpoint = load_checkpoint(Path(folder) / CHECKPOINT_FILE)
    sizes = ("num_items", "num_skills")  # from the vocabulary, as in any run
    options = {
        k: v for k, v in dataclasses.asdict(checkpoint.model.config).items() if k not in sizes
    }
    return (
        model_name or checkpoint.model_name,
        train_config or checkpoint.train_config,
        options if model_options is None else model_options,
    )
