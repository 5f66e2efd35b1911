"""How long scoring every candidate question for one student takes, on CPU.

The target (issue): under 5 ms at p99 for all candidates of one student — ~300 questions
(a grade of the starter bank has 209-252) after a long history, on 2 CPU cores. The
default history, 199 answers, is the longest stretch the model reads (it reads a history
the way evaluation did: windows of 200 answers every 100, so between 100 and 199 answers).

For each model and torch thread count it times, on the same random students:

- ``service cold``: ``TutorService.predict`` — the real serving path (our string ids in, a
  dict out, the production checkpoint loaded from a pointer file, the pointer check
  included) for a student no worker has scored yet: the whole window is read. The server
  now does this when a student's call begins (``TutorService.prepare_students``) or before
  a promotion (``yachay.tutor.read_ahead``), not when a question is scored;
- ``service next``: the same, one answer after a history this worker scored (the next
  question of a practice round): the model steps once;
- ``service shared``: one answer after a history *another* worker process of the host
  scored (gunicorn sends each webhook to any worker): the state comes from
  ``var/tutor/states.sqlite`` and the model steps once. Here the other worker is a second
  ``TutorService`` on the same folder, as separate from the timed one as another process;
- ``service read ahead``: the first question after a promotion, for a student whose history
  ``yachay tutor promote`` read ahead with the new version (``yachay.tutor.read_ahead``):
  the state comes from the file, nothing to step;
- ``scorer cold``, ``scorer next``: ``CandidateScorer.score`` alone (integer ids);
- ``again``: the same history scored again at once (a round scores reviews, then skills);
- ``prior``: ``TutorService.predict`` with no model: the cold-start prior;
- ``naive``: ``KnowledgeTracer.predict`` — one sequence per candidate (the baseline).

The model is untrained (time does not depend on the weights) with the starter bank's
vocabulary size. Ratios are to the ``scorer cold`` p50 of the same model and thread count.
The paths are timed call by call in turn, so a change in the machine's load falls on all
alike; ``min`` shows the cost without interference, p99 what other processes on the cores
add.

    .venv/bin/python bench/tutor_scoring.py [--candidates 300] [--history 199] [--repeats 1000]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from yachay.config import Settings  # noqa: E402
from yachay.tutor.checkpoint import save_checkpoint  # noqa: E402
from yachay.tutor.db_data import Vocabulary  # noqa: E402
from yachay.tutor.models import MODELS  # noqa: E402
from yachay.tutor.registry import Pointer, write_pointer  # noqa: E402
from yachay.tutor.scoring import FAST_PATHS  # noqa: E402
from yachay.tutor.serving import STATES_FILE, TutorService, model_id  # noqa: E402
from yachay.tutor.shared_states import SharedStates  # noqa: E402

TARGET_MS = 5.0


#: A timed path: ``(setup, call)``, both given the student's number; only ``call`` is timed.
Timed = tuple[Callable[[int], object], Callable[[int], object]]


def timings(paths: dict[str, Timed], repeats: int, warmup: int = 20) -> dict[str, np.ndarray]:
    """Milliseconds per call of each path, the paths interleaved call by call, so that a
    change in the machine's load (other processes) falls on all of them alike."""
    for i in range(warmup):
        for setup, call in paths.values():
            setup(i)
            call(i)
    out = {name: np.empty(repeats) for name in paths}
    for i in range(repeats):
        for name, (setup, call) in paths.items():
            setup(i)
            started = time.perf_counter()
            call(i)
            out[name][i] = (time.perf_counter() - started) * 1000
    return out


def time_paths(service, other, scorer, empty, students, ints, args) -> dict[str, np.ndarray]:  # noqa: ANN001
    n = len(students)

    def service_call(i: int, shorter: int = 0, worker=service) -> object:  # noqa: ANN001
        history, candidates = students[i % n]
        return worker.predict(history[: len(history) - shorter], candidates)

    def scorer_call(i: int, shorter: int = 0) -> object:
        q, s, r, ms, cq, cs = ints[i % n]
        m = len(q) - shorter
        return scorer.score(q[:m], s[:m], r[:m], cq, cs, ms=ms[:m])

    def naive_call(q, s, r, ms, cq, cs) -> object:  # noqa: ANN001
        return scorer.score_naive(q, s, r, cq, cs, ms=ms)

    def nothing(i: int) -> None:
        return None

    def new_student(i: int) -> None:
        scorer.forget()
        if scorer.shared is not None:
            scorer.shared.clear()

    def scored_elsewhere(i: int) -> None:
        """Another worker scored the student's history up to the answer before."""
        new_student(i)
        service_call(i, shorter=1, worker=other)
        other._model.scorer.forget()  # noqa: SLF001 - it must not keep the state for itself
        other._model.scorer.shared.flush()  # noqa: SLF001 - the write lands before the timing

    def read_ahead(i: int) -> None:
        """The history was read ahead of the switch to this version (by another process)."""
        new_student(i)
        history, _ = students[i % n]
        loaded = other._model  # noqa: SLF001 - what TutorService.read_ahead does per student
        loaded.prepare(history, {})
        loaded.scorer.forget()
        loaded.scorer.shared.flush()

    def seen(call: Callable[..., object]) -> Callable[[int], None]:
        """The scorer knows the student's history up to the answer before."""

        def setup(i: int) -> None:
            scorer.forget()
            call(i, shorter=1)

        return setup

    rows = timings(
        {
            "service cold": (new_student, service_call),
            "service next": (seen(service_call), service_call),
            "service shared": (scored_elsewhere, service_call),
            "service read ahead": (read_ahead, service_call),
            "scorer cold": (new_student, scorer_call),
            "scorer next": (seen(scorer_call), scorer_call),
            "again": (scorer_call, scorer_call),
            "prior": (nothing, lambda i: empty.predict(*students[i % n])),
        },
        args.repeats,
    )
    naive = timings({"naive": (nothing, lambda i: naive_call(*ints[i % n]))}, args.naive_repeats, 1)
    return {**rows, **naive}


class WorkerProcess:
    """A ``TutorService`` in a process of its own, as a gunicorn worker is: its own memory,
    its own background writer, the shared states file. It times its own ``predict`` (the
    pipe to it is not the server's cost)."""

    def __init__(self, var: Path, threads: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.connection, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, str(var), threads), daemon=True)
        self.process.start()
        self("start")

    def __call__(self, command: str, *args: object) -> object:
        self.connection.send((command, args))
        return self.connection.recv()

    def close(self) -> None:
        self("stop")
        self.process.join()


def _serve(connection, var: str, threads: int) -> None:  # noqa: ANN001
    """A worker process's loop: commands in, results out."""
    service = TutorService(Settings(var_dir=Path(var)), None, threads=threads)
    while True:
        command, args = connection.recv()
        result: object = None
        if command == "predict":
            started = time.perf_counter()
            service.predict(*args)
            result = (time.perf_counter() - started) * 1000
        elif command == "prepare":
            service.prepare(*args)
        elif command == "start":  # load the production model now, not at the next poll
            service.start()
        elif command in ("flush", "forget", "clear"):
            scorer = service._model.scorer  # noqa: SLF001 - the benchmark looks inside
            scorer.shared.flush()
            if command == "forget":
                scorer.forget()
            elif command == "clear":  # this version's states: nobody scored anybody yet
                scorer.shared.clear()
        connection.send(result)
        if command == "stop":
            return


def time_calls(
    workers: list[WorkerProcess],
    names: list[str],
    args,  # noqa: ANN001
    switch: Callable[[list[list[tuple[str, bool, int]]]], None] | None = None,
) -> np.ndarray:
    """Milliseconds per scoring over a day of calls through several worker processes.

    Each of ``args.call_students`` students has a history of 0-400 answers that some worker
    scored the day before (only the shared states remain: the workers' own memories have
    moved on to other students). With ``switch``, a new model version was promoted
    overnight: ``switch`` is given the histories and promotes it, and the workers load it.
    Today each student calls; the worker that answers the call prepares the student's state
    once the greeting is sent (``TutorService.prepare_students``, not timed: no question is
    scored). The student then answers ``args.call_questions`` questions; every question
    scores all candidates once, on a worker drawn at random, as gunicorn hands webhooks to
    whichever worker is free. The calls run side by side.
    """
    rng = np.random.default_rng(1)
    calls = []
    for _ in range(args.call_students):
        length = int(rng.integers(0, 401))
        asked = rng.integers(0, len(names), length + args.call_questions)
        right = rng.integers(0, 2, length + args.call_questions)
        ms = rng.integers(1000, 20_000, length + args.call_questions)
        answers = [(names[i], bool(c), int(t)) for i, c, t in zip(asked, right, ms, strict=True)]
        candidates = [names[i] for i in rng.choice(len(names), args.candidates, replace=False)]
        calls.append((length, answers, candidates))

    def settle(command: str = "flush") -> None:
        for worker in workers:
            worker(command)

    for length, answers, candidates in calls:  # yesterday
        workers[rng.integers(len(workers))]("predict", answers[:length], candidates)
    settle("forget")
    if switch is not None:
        switch([answers[:length] for length, answers, _ in calls])
        settle("start")
    for length, answers, _ in calls:  # each call begins (not timed: no question is scored)
        workers[rng.integers(len(workers))]("prepare", answers[:length])
    settle()
    times = []
    for question in range(args.call_questions):
        for length, answers, candidates in calls:
            worker = workers[rng.integers(len(workers))]
            times.append(worker("predict", answers[: length + question], candidates))
        settle()  # the seconds a child takes to answer: the writes land
    return np.array(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=300)
    parser.add_argument("--history", type=int, default=199)
    parser.add_argument("--repeats", type=int, default=1000)
    parser.add_argument("--naive-repeats", type=int, default=5)
    parser.add_argument("--items", type=int, default=1400, help="questions the model knows")
    parser.add_argument("--skills", type=int, default=55)
    parser.add_argument("--threads", default="1,2", help="torch thread counts to try")
    parser.add_argument("--workers", type=int, default=4, help="worker processes for calls")
    parser.add_argument("--call-students", type=int, default=100)
    parser.add_argument("--call-questions", type=int, default=10)
    fast = [name for name, cls in MODELS.items() if cls.__name__ in FAST_PATHS]
    parser.add_argument(
        "--models",
        default=",".join(fast),
        help="registered models (default: those with a fast path; the others score each "
        "candidate as its own sequence, about a second a student)",
    )
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    questions = {f"q{i}": i for i in range(1, args.items + 1)}
    skill_names = [f"s{j}" for j in range(1, args.skills + 1)]
    question_skills = {q: skill_names[rng.integers(args.skills)] for q in questions}
    vocab = Vocabulary(questions, {s: j for j, s in enumerate(skill_names, 1)}, question_skills)
    names = list(questions)
    students = [
        (
            [
                (names[i], bool(c), int(t))  # response times too: the model reads them
                for i, c, t in zip(
                    rng.integers(0, args.items, args.history),
                    rng.integers(0, 2, args.history),
                    rng.integers(1000, 20_000, args.history),
                    strict=True,
                )
            ],
            [names[i] for i in rng.choice(args.items, args.candidates, replace=False)],
        )
        for _ in range(64)
    ]
    ints = [
        (
            np.array([vocab.questions[a[0]] for a in h]),
            np.array([vocab.skill_id(question_skills[a[0]]) for a in h]),
            np.array([int(a[1]) for a in h]),
            np.array([a[2] for a in h]),
            np.array([vocab.questions[q] for q in c]),
            np.array([vocab.skill_id(question_skills[q]) for q in c]),
        )
        for h, c in students
    ]

    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    table = Table(
        title=(
            f"Scoring {args.candidates} candidates after {args.history} answers "
            f"(ms; {args.repeats} students per row, naive {args.naive_repeats})"
        ),
        caption=f"{cores} CPU cores available, load average {load:.2f}; torch "
        f"{torch.__version__}; x: ratio to the scorer cold p50 of the same row group",
    )
    for column in ("model", "threads", "path", "min", "p50", "p95", "p99", "x cold"):
        table.add_column(column, justify="left" if column in ("model", "path") else "right")
    verdicts = []
    with tempfile.TemporaryDirectory() as tmp:
        empty = TutorService(Settings(var_dir=Path(tmp) / "none"), None, threads=None)
        for name in args.models.split(","):
            cls = MODELS[name]
            torch.manual_seed(0)
            model = cls(cls.Config(num_items=args.items, num_skills=len(skill_names)))
            var = Path(tmp) / name.replace("+", "_")
            save_checkpoint(var / "tutor" / "models" / "v1.pt", model, metadata=vocab.to_metadata())
            torch.manual_seed(1)
            retrained = cls(cls.Config(num_items=args.items, num_skills=len(skill_names)))
            save_checkpoint(
                var / "tutor" / "models" / "v2.pt", retrained, metadata=vocab.to_metadata()
            )
            v1, v2 = (Pointer(v, f"models/v{v}.pt", model_name=name) for v in (1, 2))
            write_pointer(var / "tutor", v1)
            service = TutorService(Settings(var_dir=var), None, threads=None)
            others = [
                TutorService(Settings(var_dir=var), None, threads=None)
                for _ in range(max(2, args.workers) - 1)
            ]
            for other in others:
                other.start()
            for threads in (int(t) for t in args.threads.split(",")):
                torch.set_num_threads(threads)
                service.start()
                scorer = service._model.scorer  # noqa: SLF001 - the benchmark looks inside
                if not scorer.is_fast:
                    print(
                        f"warning: {name} has no fast path; timing the naive one", file=sys.stderr
                    )
                rows = time_paths(service, others[0], scorer, empty, students, ints, args)

                def promote(
                    histories: list,
                    var: Path = var,
                    pointer: Pointer = v2,
                    reader: TutorService = service,
                ) -> None:
                    """What `yachay tutor promote 2` does: read ahead, then switch."""
                    SharedStates(var / "tutor" / STATES_FILE, model_id(pointer)).clear()
                    reader.read_ahead(pointer, histories)
                    write_pointer(var / "tutor", pointer)

                workers = [WorkerProcess(var, threads) for _ in range(args.workers)]
                try:
                    for label, switch in (("calls", None), ("calls, promoted", promote)):
                        for worker in workers:
                            worker("clear")
                        rows[f"{label} ({args.workers} workers)"] = time_calls(
                            workers, names, args, switch
                        )
                        write_pointer(var / "tutor", v1)
                        for worker in workers:
                            worker("start")
                finally:
                    for worker in workers:
                        worker.close()
                for other in others:
                    other.start()
                base = np.percentile(rows["scorer cold"], 50)
                for path, values in rows.items():
                    p50, p95, p99 = np.percentile(values, [50, 95, 99])
                    table.add_row(
                        name,
                        str(threads),
                        path,
                        *(f"{v:.2f}" for v in (values.min(), p50, p95, p99)),
                        f"{p50 / base:.2f}",
                    )
                for path in (
                    "service cold",
                    "service next",
                    "service shared",
                    "service read ahead",
                    f"calls ({args.workers} workers)",
                    f"calls, promoted ({args.workers} workers)",
                ):
                    p99 = np.percentile(rows[path], 99)
                    where = (
                        " (a whole window read: at call start or before a promotion, "
                        "not while a question waits)"
                        if path == "service cold"
                        else ""
                    )
                    verdicts.append(
                        f"{name}, {threads} thread(s), {path}: p99 {p99:.2f} ms — "
                        f"{'meets' if p99 < TARGET_MS else 'MISSES'} the {TARGET_MS:g} ms "
                        f"target{where}"
                    )
            table.add_section()
    console = Console()
    console.print(table)
    for line in verdicts:
        console.print(line, highlight=False)


if __name__ == "__main__":
    main()
