"""Small answer logs generated here, so the default tests need no downloaded data; and the
var folder (with a copied MLflow store) and question-bank database the database tests share."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.tutor.tutor_db import make_database, mlflow_store
from yachay.db.database import Database
from yachay.tutor.data import StudentSequence


def simulate(
    students: int, items: int = 6, length: int = 20, seed: int = 0
) -> list[StudentSequence]:
    """Students with one ability per concept (items alternate between two concepts) who
    get better with practice; answers follow a logistic model."""
    rng = np.random.default_rng(seed)
    difficulty = rng.normal(0, 1, items)
    concept = np.arange(items) % 2
    out = []
    for _ in range(students):
        ability = rng.normal(0, 1.5, 2)
        questions = rng.integers(1, items + 1, length)
        responses = []
        for q in questions:
            c = concept[q - 1]
            p = 1 / (1 + np.exp(-(ability[c] - difficulty[q - 1])))
            responses.append(int(rng.random() < p))
            ability[c] += 0.15
        out.append(StudentSequence.from_lists(questions.tolist(), responses))
    return out


def write_three_line(path: Path, sequences: list[StudentSequence], trailing_comma: bool = False):
    end = "," if trailing_comma else ""
    lines = []
    for s in sequences:
        lines += [
            str(len(s)),
            ",".join(map(str, s.questions.tolist())) + end,
            ",".join(map(str, s.responses.tolist())) + end,
        ]
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture
def tiny_dataset(tmp_path: Path) -> Path:
    folder = tmp_path / "tiny"
    folder.mkdir()
    write_three_line(folder / "train.csv", simulate(80, seed=1), trailing_comma=True)
    write_three_line(folder / "test.csv", simulate(40, seed=2))
    return folder


@pytest.fixture
def var_dir(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    var = tmp_path / "var"
    mlflow_store(tmp_path_factory, var)
    return var


@pytest.fixture
def database(var_dir: Path) -> Iterator[tuple[str, Database]]:
    url, db = make_database(var_dir)
    yield url, db
    db.dispose()
