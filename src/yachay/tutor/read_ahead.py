"""Reading students' histories ahead of a model switch, so the switch costs requests nothing.

A worker keeps, per student, the model's state after the history it last scored, and the
workers of a host share those states (:mod:`yachay.tutor.shared_states`): a student's next
question then costs one model step. A new model version starts with no states, so after a
promotion (or a rollback) every student's next question would read their window — up to 200
answers through the LSTM, over the 5 ms target — and all the students in calls would do so
in the same minute.

So ``yachay tutor promote``, ``rollback``, ``sync`` and ``train`` (when it promotes) first
read the histories of the students who answered within the states' lifetime
(:data:`~yachay.tutor.shared_states.DEFAULT_TTL_DAYS`) with the new version, through the
serving code itself (:meth:`TutorService.read_ahead
<yachay.tutor.serving.TutorService.read_ahead>`), and only then write the pointer the
workers follow. Each state is read with the next window as well, so a student's window change
later on reads nothing either. A student who answers during the read-ahead is still served
exactly: the worker grows the state read ahead by the new answers.

It takes a few milliseconds a student (a minute for ten thousand) on one core, with a
progress bar; ``--no-read-ahead`` switches at once (an urgent rollback), and a worker then
reads each history when the student's next call begins (:meth:`TutorService.prepare_students
<yachay.tutor.serving.TutorService.prepare_students>`, after the greeting is sent), or on
the next question of a call under way.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from yachay.config import Settings
from yachay.db.database import Database
from yachay.db.tutor_data import histories_of, students_active_since
from yachay.tutor.mastery import Answered, as_answers
from yachay.tutor.registry import Pointer
from yachay.tutor.serving import TutorService
from yachay.tutor.shared_states import DEFAULT_TTL_DAYS

__all__ = ["ReadAhead", "read_ahead"]

#: Students whose histories are read from the database at once.
BATCH = 500


@dataclass(frozen=True)
class ReadAhead:
    version: int
    #: Students who answered within ``days``.
    students: int
    #: States left in the shared file (0 when the model has no fast path).
    prepared: int
    seconds: float
    days: float


def read_ahead(
    settings: Settings,
    db: Database,
    pointer: Pointer,
    *,
    days: float = DEFAULT_TTL_DAYS,
    now: datetime | None = None,
    progress: bool = True,
) -> ReadAhead:
    """Read the histories of the students who answered in the last ``days`` with the version
    ``pointer`` names, leaving their states where the workers will look for them."""
    started = time.perf_counter()
    moment = now or datetime.now(UTC)
    if moment.tzinfo is not None:  # the database keeps naive UTC
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    with db.read_session() as session:
        students = students_active_since(session, moment - timedelta(days=days))
    service = TutorService(settings, db, threads=1)
    bar = None
    if progress and students:
        from tqdm.auto import tqdm

        bar = tqdm(
            total=len(students), desc=f"reading ahead with v{pointer.version}", unit=" students"
        )
    try:
        prepared = service.read_ahead(
            pointer, _histories(db, students), bar.update if bar else None
        )
    finally:
        if bar is not None:
            bar.close()
    return ReadAhead(pointer.version, len(students), prepared, time.perf_counter() - started, days)


def _histories(db: Database, students: list[int]) -> Iterator[Sequence[Answered]]:
    """Each student's history, read from the database a batch of students at a time (all of
    them at once could be millions of answers)."""
    for start in range(0, len(students), BATCH):
        with db.read_session() as session:
            batch = histories_of(session, students[start : start + BATCH])
        for history in batch.values():
            yield as_answers(history)
