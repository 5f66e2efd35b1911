"""How long the tutor takes to choose a practice round, on CPU.

The budget (issue 17): choosing a practice round for a student with 400 answers, against a
whole grade of candidates, with nothing kept from before, p99 <= 50 ms on 2 cores with 4
worker processes. A round is chosen the way a call chooses it: the student's answers read
from the database (SQLite, the starter packs imported; 10 answers a day up to yesterday),
the policy asking the served model for every candidate of the student's grade,
confirmations and due reviews first. The version carries a skill filter, which decides (it
replays the student's answers once per round, and once without each recent skill's last
sitting for the confirmations); the cold-start prior is the baseline.

Rows, each timed on the same students, in the same run:

- ``first round of a worker``: the first round a freshly started worker process chooses,
  model loaded: it reads the question bank into the worker's cache (~150 ms, once per worker
  and again when content changes), so it is not a round's cost;
- ``round``: a round for a student, in one process;
- ``same student again``: the same round again at once (nothing is kept, so it costs the
  same: the row shows it);
- ``rounds, 4 worker processes``: 4 processes choosing rounds for random students at once,
  as gunicorn's workers would on 2 cores;
- ``prior`` (the baseline): the same rounds with no model (the cold-start prior), in one
  process.

Ratios are to the baseline's p50. The model is untrained (time does not depend on the
weights) with the starter bank's vocabulary.

    .venv/bin/python bench/tutor_scoring.py [--answers 400] [--rounds 200] [--model dkt+f]
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from yachay.config import Settings  # noqa: E402
from yachay.db import migrate  # noqa: E402
from yachay.db import models as m  # noqa: E402
from yachay.db.database import Database  # noqa: E402
from yachay.db.starter import load_starter_content  # noqa: E402
from yachay.tutor.decider import FILTER_KEY  # noqa: E402

BUDGET_MS = 50.0
GRADE = 3
STUDENTS = 8
#: A skill filter as `yachay tutor train` fits one (the time does not depend on the values;
#: the quick rule is there because reading response times is part of each answer's cost).
TYPICAL_FILTER = {
    "jump": 2.0,
    "step": 1.5,
    "learn": 0.2,
    "prior_below": 1.0,
    "prior_at": -1.0,
    "prior_above": -2.0,
    "quick_ms": 6000.0,
    "quick_slope": 2.0,
    "quick_offset": -1.0,
    "quick_wrong_too": 0.0,
}


def prepare(root: Path, answers: int, model_name: str) -> Settings:
    """A database with the starter packs and students of ``answers`` answers each, and a
    production model that knows every question."""
    import torch

    from yachay.tutor.answer_log import Vocabulary
    from yachay.tutor.bank import read_questions
    from yachay.tutor.checkpoint import save_checkpoint
    from yachay.tutor.models import build_model
    from yachay.tutor.registry import Pointer, write_pointer

    settings = Settings(var_dir=root, database_url=f"sqlite:///{root / 'yachay.db'}")
    migrate.upgrade(settings.database_url)
    db = Database(settings.database_url)
    load_starter_content(db, Path(__file__).resolve().parents[1] / "content" / "packs")
    rng = np.random.default_rng(0)
    with db.session() as session:
        bank = read_questions(session)
        ids = sorted(bank)
        # one call a day of 10 answers, the last one yesterday: recent sittings are what
        # the policy's confirmations read (`yachay.tutor.confirm`)
        yesterday = m.utcnow() - timedelta(days=1)
        for i in range(STUDENTS):
            student = m.Student(phone=f"+5190000{i:04d}", language="es", grade=GRADE)
            session.add(student)
            session.flush()
            for step in range(answers):
                session.add(
                    m.Answer(
                        student_id=student.id,
                        question_id=ids[rng.integers(len(ids))],
                        choice=1,
                        correct=bool(rng.random() < 0.7),
                        response_ms=int(rng.integers(2000, 20_000)),
                        call_sid=f"CA{i:04d}{step // 10:04d}",
                        step=step,
                        answered_at=yesterday
                        - timedelta(days=(answers - 1 - step) // 10)
                        + timedelta(seconds=30 * (step % 10)),
                    )
                )
    skills = sorted({info.skill for info in bank.values()})
    vocab = Vocabulary(
        {q: i for i, q in enumerate(ids, start=1)},
        {s: i for i, s in enumerate(skills, start=1)},
        {q: info.skill for q, info in bank.items()},
    )
    torch.manual_seed(0)
    model = build_model(model_name, num_items=len(ids), num_skills=len(skills))
    tutor_dir = settings.tutor_dir
    save_checkpoint(
        tutor_dir / "models" / "v1.pt",
        model,
        metadata={**vocab.to_metadata(), FILTER_KEY: TYPICAL_FILTER},
    )
    write_pointer(tutor_dir, Pointer(1, "models/v1.pt", model_name=model_name))
    db.dispose()
    return settings


def chooser(settings: Settings, threads: int, with_model: bool = True):  # noqa: ANN201
    """A function that chooses a round for a student id, as a call does (its own session)."""
    import torch

    from yachay.tutor.bank import question_bank
    from yachay.tutor.decisions import practice_round
    from yachay.tutor.serving import TutorService, one_thread_per_worker

    if threads == 1:
        one_thread_per_worker()  # what gunicorn's post_fork does in every worker
    else:
        torch.set_num_threads(threads)
    db = Database(settings.database_url)
    service = TutorService(settings if with_model else Settings(var_dir=settings.var_dir / "none"))
    service.start()

    def choose(student_id: int) -> list[str]:
        with db.read_session() as session:
            bank = question_bank(session)
            # as a call's turn asks: the skill filter decides for the bank's questions
            predictor = service.predictor(bank.info, bank.catalog, GRADE)
            chosen = practice_round(session, bank, predictor, student_id, m.utcnow(), 5)
            return [c.item_id for c in chosen]

    return choose


def timed(call, *args) -> float:  # noqa: ANN001
    started = time.perf_counter()
    call(*args)
    return (time.perf_counter() - started) * 1000


def first_round(settings: Settings, threads: int, queue) -> None:  # noqa: ANN001
    choose = chooser(settings, threads)
    queue.put(timed(choose, 1))


def worker(settings: Settings, threads: int, rounds: int, seed: int, start, queue) -> None:  # noqa: ANN001
    choose = chooser(settings, threads)
    choose(1)  # loaded and warm, as a serving worker is
    rng = np.random.default_rng(seed)
    start.wait()
    queue.put([timed(choose, int(rng.integers(1, STUDENTS + 1))) for _ in range(rounds)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--answers", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--starts", type=int, default=6, help="fresh worker processes timed")
    parser.add_argument("--model", default="dkt+f")
    parser.add_argument(
        "--threads", type=int, default=1, help="torch threads a process (gunicorn's: 1)"
    )
    args = parser.parse_args()

    from rich.console import Console
    from rich.progress import track
    from rich.table import Table

    context = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory() as tmp:
        settings = prepare(Path(tmp), args.answers, args.model)
        rows: dict[str, list[float]] = {}

        choose = chooser(settings, args.threads)
        prior = chooser(settings, args.threads, with_model=False)
        for _ in range(5):
            choose(1), prior(1)
        rows["round"], rows["same student again"], rows["prior (baseline)"] = [], [], []
        for i in track(range(args.rounds), description="rounds in one process"):
            student = i % STUDENTS + 1
            rows["round"].append(timed(choose, student))
            rows["same student again"].append(timed(choose, student))
            rows["prior (baseline)"].append(timed(prior, student))

        queue = context.Queue()
        rows["first round of a worker"] = []
        for _ in track(range(args.starts), description="fresh worker processes"):
            process = context.Process(target=first_round, args=(settings, args.threads, queue))
            process.start()
            rows["first round of a worker"].append(queue.get())
            process.join()

        start = context.Event()
        workers = [
            context.Process(
                target=worker, args=(settings, args.threads, args.rounds, seed, start, queue)
            )
            for seed in range(4)
        ]
        for process in workers:
            process.start()
        time.sleep(15)  # every worker loaded (spawn imports torch) and waiting
        start.set()
        rows["rounds, 4 worker processes"] = [t for _ in workers for t in queue.get()]
        for process in workers:
            process.join()

    baseline = statistics.median(rows["prior (baseline)"])
    table = Table(
        title=f"Choosing a practice round: {args.model}, {args.answers} answers, grade {GRADE}"
        f" candidates, {args.threads} torch thread(s) a process"
        f" (budget: p99 <= {BUDGET_MS:g} ms, 4 workers)",
        title_justify="left",
    )
    for column in ("path", "n", "p50 ms", "p99 ms", "x prior p50"):
        table.add_column(column, justify="left" if column == "path" else "right")
    order = [
        "first round of a worker",
        "round",
        "same student again",
        "rounds, 4 worker processes",
        "prior (baseline)",
    ]
    for name in order:
        values = np.array(rows[name])
        p50, p99 = np.percentile(values, [50, 99])
        table.add_row(name, str(len(values)), f"{p50:.1f}", f"{p99:.1f}", f"{p50 / baseline:.2f}")
    Console().print(table)


if __name__ == "__main__":
    main()
