"""Helpers for the tutor's database tests: a real SQLite database with a small question bank,
synthetic students who learn, and a pre-migrated MLflow store to copy (creating one runs
MLflow's migrations, ~10 s; copying the file takes milliseconds)."""

from __future__ import annotations

import math
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from yachay.config import Settings
from yachay.db import migrate
from yachay.db import models as m
from yachay.db.database import Database

SKILLS = ("sumar", "restar", "contar")
#: Ten questions per skill, difficulty 1..5 twice.
QUESTIONS = [(f"{skill}-q{i}", skill, 1 + i % 5) for skill in SKILLS for i in range(10)]
DIFFICULTY = {qid: d for qid, _, d in QUESTIONS}

_template: Path | None = None


def make_database(var_dir: Path) -> tuple[str, Database]:
    """A migrated SQLite database in ``var_dir`` with the question bank."""
    url = f"sqlite:///{var_dir / 'yachay.db'}"
    var_dir.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(url)
    db = Database(url)
    with db.session() as session:
        session.add(
            m.ContentPack(id="test", title={"es": "Test"}, languages=["es"], fingerprint="0" * 64)
        )
        for skill in SKILLS:
            session.add(
                m.Skill(id=skill, pack_id="test", name={"es": skill}, grade=1, prerequisites=[])
            )
            session.add(
                m.Lesson(
                    id=f"l-{skill}",
                    pack_id="test",
                    unit_id="u",
                    position=1,
                    grade=1,
                    title={"es": skill},
                    skills=[skill],
                    segments=[],
                )
            )
        for position, (qid, skill, difficulty) in enumerate(QUESTIONS):
            session.add(
                m.Question(
                    id=qid,
                    lesson_id=f"l-{skill}",
                    position=position,
                    stem={"es": qid},
                    choices=["a", "b", "c", "d"],
                    answer=1,
                    explanation={},
                    skills=[skill],
                    difficulty=difficulty,
                    grade=1,
                )
            )
    return url, db


def add_students(
    db: Database, count: int, answers_each: int, seed: int = 0, first_phone: int = 0
) -> list[int]:
    """Students who answer ``answers_each`` questions and learn as they go (an IRT-like
    simulation: ability + practice on the skill - difficulty)."""
    rng = np.random.default_rng(seed)
    times = np.random.default_rng(seed + 1000)  # apart, so the answers do not change
    start = datetime(2026, 3, 1, 8, 0)
    ids = []
    with db.session() as session:
        for n in range(count):
            student = m.Student(phone=f"+5190{first_phone + n:07d}", language="es", grade=1)
            session.add(student)
            session.flush()
            ids.append(student.id)
            ability = rng.normal(0, 1)
            practice = dict.fromkeys(SKILLS, 0)
            for step in range(answers_each):
                qid, skill, difficulty = QUESTIONS[rng.integers(len(QUESTIONS))]
                z = ability + 0.25 * practice[skill] - 0.9 * (difficulty - 3)
                knows = 1 / (1 + math.exp(-z))
                correct = bool(rng.random() < 0.25 + 0.75 * knows)
                # a child who knows the skill answers sooner, right or wrong
                ms = int(1500 + 8000 * (1 - knows) * times.lognormal(0, 0.3))
                practice[skill] += 1
                session.add(
                    answer_row(
                        student.id,
                        qid,
                        correct,
                        start + timedelta(days=n % 7, minutes=step),
                        call_sid=f"CA{student.id:06d}",
                        step=step,
                        response_ms=ms,
                    )
                )
    return ids


def answer_row(
    student_id: int,
    question: str,
    correct: bool,
    at: datetime,
    *,
    call_sid: str,
    step: int,
    response_ms: int,
) -> m.Answer:
    """An answers row as a call records it (choice 1 is the right one in this bank)."""
    return m.Answer(
        student_id=student_id,
        question_id=question,
        choice=1 if correct else 2,
        correct=correct,
        response_ms=response_ms,
        call_sid=call_sid,
        step=step,
        answered_at=at,
    )


def mlflow_store(tmp_path_factory, var_dir: Path) -> None:  # noqa: ANN001
    """Put a ready, empty MLflow SQLite store at ``var_dir/mlflow.db``."""
    global _template
    if _template is None:
        from yachay.tutor.tracking import mlflow_client

        folder = tmp_path_factory.getbasetemp() / "mlflow-template"
        folder.mkdir(exist_ok=True)
        client = mlflow_client(Settings(var_dir=folder))
        client.search_experiments()  # creates the tables
        _template = folder / "mlflow.db"
    var_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_template, var_dir / "mlflow.db")


def fake_version(
    registry,
    settings: Settings,
    seed: int,
    tmp: Path,  # noqa: ANN001
    metadata: dict | None = None,
    num_features: int | None = None,
) -> int:
    """Register a small untrained model (distinct weights per seed) that knows the
    question bank, as `yachay tutor train` would, without training; its version number.
    ``num_features``: fewer than all (a model trained without response times)."""
    import torch

    from yachay.tutor.answer_log import Vocabulary
    from yachay.tutor.checkpoint import save_checkpoint
    from yachay.tutor.models import build_model
    from yachay.tutor.registry import CHECKPOINT_ARTIFACT, CHECKPOINT_FILE
    from yachay.tutor.tracking import experiment_id

    questions = {qid: i for i, (qid, _, _) in enumerate(QUESTIONS, start=1)}
    skills = {s: i for i, s in enumerate(SKILLS, start=1)}
    vocab = Vocabulary(questions, skills, {qid: skill for qid, skill, _ in QUESTIONS})
    torch.manual_seed(seed)
    model = build_model(
        "dkt+f",
        num_items=len(questions),
        num_skills=len(skills),
        embed_dim=8,
        hidden_dim=8,
        mlp_dim=8,
        concepts=2,
        **({} if num_features is None else {"num_features": num_features}),
    )
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(torch.randn_like(parameter) * 0.3)
    folder = tmp / f"fake-{seed}"
    path = save_checkpoint(
        folder / CHECKPOINT_FILE,
        model,
        metadata=vocab.to_metadata() | {"fingerprint": f"{seed:064d}"}
        if metadata is None
        else metadata,
    )
    client = registry.client
    run = client.create_run(experiment_id(client, settings))
    client.log_artifact(run.info.run_id, str(path), CHECKPOINT_ARTIFACT)
    client.set_terminated(run.info.run_id, "FINISHED")
    version = registry.register(
        path,
        run.info.run_id,
        f"{run.info.artifact_uri}/{CHECKPOINT_ARTIFACT}",
        tags={
            "model_name": "dkt+f",
            "fingerprint": f"{seed:064d}",
            "answers": 100 * seed,
            "holdout_auc": 0.7,
        },
    )
    return version.version
