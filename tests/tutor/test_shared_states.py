"""States shared between worker processes: a student's next question grows the state
whichever worker scored the question before, exactly, and the file is only ever a cache."""

from __future__ import annotations

import logging
import multiprocessing
import sqlite3
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.tutor.test_serving import fast_models, perturbed, random_history
from yachay.config import Settings
from yachay.tutor.checkpoint import save_checkpoint
from yachay.tutor.db_data import Vocabulary
from yachay.tutor.models import build_model
from yachay.tutor.registry import Pointer, write_pointer
from yachay.tutor.scoring import CandidateScorer, _key
from yachay.tutor.scoring_paths import Window
from yachay.tutor.serving import STATES_FILE, TutorService
from yachay.tutor.shared_states import SharedStates, decode, encode


def stored(path: Path, q: np.ndarray, s: np.ndarray, r: np.ndarray) -> list[tuple[str, int]]:
    """``(model, answers)`` of each state in the file, by the history prefix it is of (the
    keys of a model that reads response times, given none: -1, unknown)."""
    rows = np.ascontiguousarray(np.stack([q, s, r, np.full(len(q), -1)], 1))
    lengths = {_key(rows[:m]): m for m in range(len(q) + 1)}
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT model, key FROM states").fetchall()
    return sorted((model, lengths[key]) for model, key in rows)


def counting_reads(scorer: CandidateScorer, reads: list[int], monkeypatch) -> None:  # noqa: ANN001
    read = scorer.windows.read  # the tests count the passes over a window
    monkeypatch.setattr(
        scorer.windows,
        "read",
        lambda q, s, r, m, start: reads.append(len(q)) or read(q, s, r, m, start),
    )


def test_a_state_survives_the_trip_through_bytes():
    h, c, evidence = torch.randn(1, 1, 8), torch.randn(1, 1, 8), torch.rand(3, 2)
    (back,) = decode(encode([Window(4, (h, c), evidence)]))
    assert back.start == 4
    assert all(torch.equal(a, b) for a, b in zip(back.sequence, (h, c), strict=True))
    assert torch.equal(back.evidence, evidence)
    assert decode(encode([Window(0, (h,), None)]))[0].evidence is None
    current, upcoming = decode(
        encode([Window(4, (h, c), evidence), Window(7, (h + 1, c - 1), evidence * 2)])
    )
    assert upcoming.start == 7 and torch.equal(upcoming.evidence, evidence * 2)
    assert torch.equal(upcoming.sequence[1], c - 1) and torch.equal(current.sequence[0], h)
    with pytest.raises(ValueError, match="not a stored state"):
        decode(encode([Window(0, (h,), None)])[:-3])
    with pytest.raises(ValueError, match="not a stored state"):
        decode(b"\x07")


@pytest.mark.parametrize("name", sorted(fast_models()))
def test_workers_take_turns_and_each_grows_the_state_the_other_left(name, tmp_path, monkeypatch):
    """Two scorers stand for two worker processes: each question goes to the other one, as
    gunicorn may send it. Only window changes read the history; every score is exact."""
    model = perturbed(name)
    path = tmp_path / "states.sqlite"
    workers = [
        CandidateScorer(model, 6, stride=3, shared=SharedStates(path, "v1")) for _ in range(2)
    ]
    reads: list[int] = []
    for worker in workers:
        counting_reads(worker, reads, monkeypatch)
    rng = np.random.default_rng(2)
    q, s, r = random_history(rng, 20, 30, 5)
    for turn, n in enumerate([*range(0, 12), 11, 14, 20]):
        worker = workers[turn % 2]
        cq, cs = rng.integers(1, 33, 12), rng.integers(1, 8, 12)
        np.testing.assert_allclose(
            worker.score(q[:n], s[:n], r[:n], cq, cs),
            worker.score_naive(q[:n], s[:n], r[:n], cq, cs),
            atol=1e-5,
        )
        assert worker.shared.flush()
    # The same passes as one worker alone makes (test_serving): the first, and after the
    # jump to 20; the 11 asked again is the other worker's stored state, used as is. The
    # next window grown alongside (from 3, 6, 9) travels through the file too.
    assert reads == [0, 20]
    # A grown state replaces the one it grew from: left are the last one grown (14) and the
    # one read after the jump, which had nothing to replace.
    assert [length for _, length in stored(path, q, s, r)] == [14, 20]


def test_states_of_another_model_version_are_never_used(tmp_path, monkeypatch):
    path = tmp_path / "states.sqlite"
    now = [1_000_000.0]
    rng = np.random.default_rng(5)
    q, s, r = random_history(rng, 30, 30, 5)
    cq, cs = rng.integers(1, 33, 12), rng.integers(1, 8, 12)
    v1 = SharedStates(path, "v1:models/v1.pt", clock=lambda: now[0])
    old = CandidateScorer(perturbed("dkt+f"), 200, shared=v1)
    old.score(q[:-1], s[:-1], r[:-1], cq, cs)
    assert old.shared.flush() and stored(path, q, s, r) == [("v1:models/v1.pt", 29)]

    torch.manual_seed(9)
    other = build_model("dkt+f", num_items=30, num_skills=5).eval()
    v2 = SharedStates(path, "v2:models/v2.pt", clock=lambda: now[0])
    new = CandidateScorer(other, 200, shared=v2)
    reads: list[int] = []
    counting_reads(new, reads, monkeypatch)
    np.testing.assert_allclose(
        new.score(q, s, r, cq, cs), new.score_naive(q, s, r, cq, cs), atol=1e-5
    )
    assert reads == [30]
    assert new.shared.flush()
    # v1's states stay a day (for a rollback; v2's were maybe written before its switch) ...
    assert stored(path, q, s, r) == [("v1:models/v1.pt", 29), ("v2:models/v2.pt", 30)]
    # ... and are dropped after it.
    now[0] += 86400 + 1
    SharedStates(path, "v2:models/v2.pt", clock=lambda: now[0])
    assert stored(path, q, s, r) == [("v2:models/v2.pt", 30)]


def test_a_chain_of_states_written_at_once_leaves_only_the_last(tmp_path):
    """A burst of questions can put a state and those grown from it in one batch."""
    shared = SharedStates(tmp_path / "states.sqlite", "v1")
    window = [Window(0, (torch.zeros(1, 1, 4), torch.ones(1, 1, 4)), None)]
    a, b, c, d = (bytes([n]) * 16 for n in range(4))
    shared.save(a, window)
    shared.save(b, window, replaces=a)
    shared.save(c, window, replaces=b)
    shared.save(d, window)
    shared.save(a, window)  # the same history scored again, from nothing
    assert shared.flush()
    with sqlite3.connect(shared.path) as connection:
        keys = {key for (key,) in connection.execute("SELECT key FROM states")}
    assert keys == {a, c, d}


def test_states_unused_for_the_ttl_are_dropped(tmp_path):
    path = tmp_path / "states.sqlite"
    now = [1_000_000.0]
    shared = SharedStates(path, "v1", ttl_days=30, clock=lambda: now[0])
    shared.save(b"k" * 16, [Window(0, (torch.zeros(1, 1, 4), torch.ones(1, 1, 4)), None)])
    assert shared.flush()
    assert shared.find([b"x" * 16, b"k" * 16])[0] == 1
    now[0] += 31 * 86400
    later = SharedStates(path, "v1", ttl_days=30, clock=lambda: now[0])
    assert later.find([b"k" * 16]) is None


def test_a_file_that_is_not_a_database_is_started_afresh(tmp_path, caplog):
    path = tmp_path / "states.sqlite"
    path.write_bytes(b"this is not SQLite" * 100)
    with caplog.at_level(logging.WARNING):
        shared = SharedStates(path, "v1")
    assert "starting it afresh" in caplog.text
    shared.save(b"k" * 16, [Window(0, (torch.zeros(1, 1, 2),), None)])
    assert shared.flush() and shared.find([b"k" * 16]) is not None


def test_a_file_of_an_older_layout_is_emptied(tmp_path):
    path = tmp_path / "states.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE states (model TEXT, key BLOB, start INTEGER NOT NULL, state BLOB)"
        )
        connection.execute("INSERT INTO states VALUES ('v1', x'00', 0, x'00')")
    shared = SharedStates(path, "v1")
    shared.save(b"k" * 16, [Window(3, (torch.ones(1, 1, 2),), None)])
    assert shared.flush()
    index, (window,) = shared.find([b"\x00", b"k" * 16])
    assert index == 1 and window.start == 3


def test_scores_stay_exact_when_the_file_cannot_be_used(tmp_path, caplog):
    path = tmp_path / "states.sqlite"
    path.mkdir()  # a folder where the file should be
    with caplog.at_level(logging.WARNING):
        scorer = CandidateScorer(perturbed("dkt+f"), 200, shared=SharedStates(path, "v1"))
        rng = np.random.default_rng(6)
        q, s, r = random_history(rng, 25, 30, 5)
        cq, cs = rng.integers(1, 33, 12), rng.integers(1, 8, 12)
        for n in (24, 25):
            np.testing.assert_allclose(
                scorer.score(q[:n], s[:n], r[:n], cq, cs),
                scorer.score_naive(q[:n], s[:n], r[:n], cq, cs),
                atol=1e-5,
            )
        assert scorer.shared.flush()
    assert "shared tutor states" in caplog.text


# --- real processes ---------------------------------------------------------------------

QUESTIONS = {f"q{i}": i for i in range(1, 41)}
SKILLS = {"a": 1, "b": 2, "c": 3}
HISTORY = [(f"q{1 + (7 * i) % 40}", i % 3 != 0) for i in range(50)]
CANDIDATES = list(QUESTIONS)


def install_model(var: Path) -> None:
    """A production model in ``var`` as `yachay tutor promote` leaves it (without MLflow)."""
    names = list(SKILLS)
    vocab = Vocabulary(QUESTIONS, SKILLS, {q: names[i % 3] for q, i in QUESTIONS.items()})
    torch.manual_seed(3)
    model = build_model("dkt+f", num_items=40, num_skills=3, embed_dim=8, hidden_dim=8)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(torch.randn_like(parameter) * 0.3)
    save_checkpoint(var / "tutor" / "models" / "v1.pt", model, metadata=vocab.to_metadata())
    write_pointer(var / "tutor", Pointer(1, "models/v1.pt", model_name="dkt+f"))


def score_in_another_process(var: str, answers: int) -> dict[str, float]:
    """What a worker process does: load the production model, score a student, and leave."""
    service = TutorService(Settings(var_dir=Path(var)), None, threads=1)
    scores = service.predict(HISTORY[:answers], CANDIDATES)
    assert service._model.scorer.shared.flush()  # noqa: SLF001 - before the process ends
    return scores


def test_a_worker_process_grows_the_state_another_process_scored(tmp_path, monkeypatch):
    var = tmp_path / "var"
    install_model(var)
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        pool.apply(score_in_another_process, (str(var), len(HISTORY) - 1))
    service = TutorService(Settings(var_dir=var), None, threads=None)
    service.start()
    reads: list[int] = []
    counting_reads(service._model.scorer, reads, monkeypatch)  # noqa: SLF001
    served = service.predict(HISTORY, CANDIDATES)
    assert reads == []  # grown from the other process's state, not read
    alone = TutorService(Settings(var_dir=var), None, threads=None, share_states=False)
    np.testing.assert_allclose(
        list(served.values()), list(alone.predict(HISTORY, CANDIDATES).values()), atol=1e-5
    )
    assert (var / "tutor" / STATES_FILE).is_file()
