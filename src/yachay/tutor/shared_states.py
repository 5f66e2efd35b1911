"""Student states shared by the server's worker processes, in a SQLite file.

gunicorn sends each webhook of a call to whichever worker is free, so the worker that scores
a student's next question is usually not the one that scored the question before, and its
own remembered states (:class:`~yachay.tutor.scoring.CandidateScorer`) do not help: it
would read the student's whole window through the model again. :class:`SharedStates` keeps
what that costs, the model's sequence state after each scored history (the LSTM's
``(h, c)`` and the concept-evidence totals, about 600 bytes for the default model), in
``var/tutor/states.sqlite``, so any worker of the host grows the state by the new answers
instead.

- **Keys** are the scorer's digests of a history's rows (model ids, so a state is only ever
  read by the model version that wrote it: rows carry the version's name).
- **Reads** are one indexed query on the request's thread. Any error (a locked, missing or
  broken file) is a miss: the scorer then reads the window, as a worker without the file
  would. A state found is the one the same model version computed for the same answers, so
  the scores are those the worker would have computed itself, only sooner.
- **Writes** go through a queue to one background thread per process, which waits a moment
  (the request that queued them is still running) and writes in batches, so a request never
  waits for the file's lock nor shares the interpreter with the write.
- **Size.** A state grown from another deletes that one (a student's history only grows),
  so the file holds about one state per active student, plus one per window they left
  behind; states not written for :data:`DEFAULT_TTL_DAYS` days are dropped, and those of
  other model versions after a day (:data:`OTHER_VERSIONS_S`: the next version's states
  are written before serving switches to it, :mod:`yachay.tutor.read_ahead`).
- The file is a cache: written without fsync, recreated if it is not a readable database.

Workers on other hosts keep their own file (``var/`` is per host).
"""

from __future__ import annotations

import logging
import math
import os
import queue
import sqlite3
import struct
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

from yachay.tutor.scoring_paths import Window

__all__ = ["DEFAULT_TTL_DAYS", "SharedStates", "decode", "encode"]

log = logging.getLogger(__name__)

#: A state not written for this long is dropped (the student's next scoring reads afresh):
#: longer than the school holidays (January to March), so a child back from them is not
#: read afresh; about 600 bytes a student.
DEFAULT_TTL_DAYS = 100.0
#: How long a read may wait for the file (WAL readers normally never wait).
READ_TIMEOUT_S = 0.05
#: Most writes the background thread puts in one transaction.
BATCH = 256
#: How long the background thread lets a request finish before it writes what the request
#: queued: the write must not compete with the request for the interpreter.
WRITE_DELAY_S = 0.02
#: Each window's header in a blob: its start, its sequence tensors, its tensors in all.
WINDOW = "<IBB"
#: How often the background thread drops expired states.
PRUNE_EVERY_S = 3600.0
#: States of other model versions are kept this long after they were written: those of the
#: version about to be promoted are written before the switch (read ahead, see
#: :mod:`yachay.tutor.read_ahead`), and those of the version just replaced serve a rollback.
OTHER_VERSIONS_S = 86400.0

#: The layout of the file; a file of another layout is emptied.
#: 3: keys digest response times too.
SCHEMA_VERSION = 3
_SCHEMA = """
CREATE TABLE states (
    model TEXT NOT NULL,
    key BLOB NOT NULL,
    state BLOB NOT NULL,
    saved REAL NOT NULL,
    PRIMARY KEY (model, key)
) WITHOUT ROWID;
CREATE INDEX states_saved ON states (saved);
"""


def encode(windows: Sequence[Window]) -> bytes:
    """Windows as bytes: their number, then per window its start, how many sequence tensors
    and whether evidence follows, then each tensor's shape and float32 values."""
    parts = [struct.pack("<B", len(windows))]
    for window in windows:
        tensors = _tensors(window)
        parts.append(struct.pack(WINDOW, window.start, len(window.sequence), len(tensors)))
        for tensor in tensors:
            array = np.ascontiguousarray(tensor.detach().numpy(), dtype="<f4")
            parts.append(struct.pack(f"<B{array.ndim}I", array.ndim, *array.shape))
            parts.append(array.tobytes())
    return b"".join(parts)


def decode(blob: bytes) -> tuple[Window, ...]:
    """The inverse of :func:`encode`; raises ``ValueError`` on bytes it did not write."""
    buffer = bytearray(blob)  # one writable copy the tensors share (little-endian machines)
    windows = []
    try:
        (count,) = struct.unpack_from("<B", buffer)
        offset = 1
        for _ in range(count):
            start, sequence, total = struct.unpack_from(WINDOW, buffer, offset)
            offset += struct.calcsize(WINDOW)
            tensors = []
            for _ in range(total):
                (ndim,) = struct.unpack_from("<B", buffer, offset)
                shape = struct.unpack_from(f"<{ndim}I", buffer, offset + 1)
                offset += 1 + 4 * ndim
                size = math.prod(shape)
                if offset + 4 * size > len(buffer):
                    raise ValueError(f"{len(buffer)} bytes, not {offset + 4 * size}")
                values = torch.frombuffer(buffer, dtype=torch.float32, count=size, offset=offset)
                tensors.append(values.view(shape))
                offset += 4 * size
            evidence = tensors[sequence] if total > sequence else None
            windows.append(Window(start, tuple(tensors[:sequence]), evidence))
    except (struct.error, ValueError, RuntimeError) as error:
        raise ValueError(f"not a stored state: {error}") from None
    if offset != len(buffer) or not windows:
        raise ValueError(f"not a stored state: {len(buffer) - offset} bytes left over")
    return tuple(windows)


def _tensors(window: Window) -> list[torch.Tensor]:
    return [*window.sequence, *(() if window.evidence is None else (window.evidence,))]


def shareable(windows: Sequence[Window]) -> bool:
    """Whether :func:`encode` keeps these windows exactly (float32 tensors only)."""
    return all(
        len(window.sequence) < 256 and all(t.dtype == torch.float32 for t in _tensors(window))
        for window in windows
    )


class SharedStates:
    """The states one model version shares through ``path``; safe to use from any thread and
    from several processes (each forked worker starts its own writer thread)."""

    def __init__(
        self,
        path: Path,
        model: str,
        *,
        ttl_days: float = DEFAULT_TTL_DAYS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = Path(path)
        self.model = model
        self.ttl_s = ttl_days * 86400.0
        self._clock = clock
        self._local = threading.local()
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue[tuple | threading.Event | None] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._writer_pid = 0
        self._hurry = threading.Event()
        self._closed = False
        self._complained: set[str] = set()
        self._setup()

    # -- reading (the request's thread) --

    def find(self, keys: Sequence[bytes]) -> tuple[int, tuple[Window, ...]] | None:
        """The first of ``keys`` whose state is stored (pass the longest history first), as
        ``(index in keys, windows)``; None when none is, or the file cannot be read."""
        if not keys or self._closed:
            return None
        try:
            rows = (
                self._reader()
                .execute(
                    "SELECT key, state FROM states WHERE model = ? AND key IN "
                    f"({','.join('?' * len(keys))})",
                    (self.model, *keys),
                )
                .fetchall()
            )
        except sqlite3.Error as error:
            self._complain("read", error)
            self._local.__dict__.clear()  # reconnect next time (the file may be new)
            return None
        found = dict(rows)
        for index, key in enumerate(keys):
            if key in found:
                try:
                    return index, decode(found[key])
                except ValueError as error:
                    self._complain("decode", error)
                    return None
        return None

    def _reader(self) -> sqlite3.Connection:
        local = self._local.__dict__
        connection = local.get("connection")
        if connection is None or local.get("pid") != os.getpid():
            connection = sqlite3.connect(self.path, timeout=READ_TIMEOUT_S, isolation_level=None)
            local.update(connection=connection, pid=os.getpid())
        return connection

    # -- writing (a background thread) --

    def save(self, key: bytes, windows: Sequence[Window], replaces: bytes | None = None) -> None:
        """Store a history's ``windows`` under its ``key`` (in the background), deleting the
        state ``replaces``, which they were grown from."""
        if self._closed or not shareable(windows):
            return
        self._ensure_writer()
        self._queue.put((key, windows, replaces))

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every state saved so far is in the file (tests, benchmarks)."""
        if self._writer is None or self._writer_pid != os.getpid() or self._closed:
            return True
        done = threading.Event()
        self._queue.put(done)
        self._hurry.set()
        return done.wait(timeout)

    def clear(self) -> None:
        """Drop this model's states (benchmarks time a student new to every worker)."""
        self.flush()
        connection = self._connect()
        try:
            with connection:
                connection.execute("DELETE FROM states WHERE model = ?", (self.model,))
        finally:
            connection.close()

    def close(self) -> None:
        """Stop the writer after the writes queued so far (the model is being replaced)."""
        self._closed = True
        if self._writer is not None and self._writer_pid == os.getpid():
            self._queue.put(None)
            self._hurry.set()

    def _ensure_writer(self) -> None:
        if self._writer is not None and self._writer_pid == os.getpid():
            return
        with self._lock:
            if self._writer is not None and self._writer_pid == os.getpid():
                return
            if self._writer_pid != os.getpid():  # forked: the parent's queue is not ours
                self._queue = queue.SimpleQueue()
            self._writer = threading.Thread(
                target=self._write_forever, name="tutor-shared-states", daemon=True
            )
            self._writer_pid = os.getpid()
            self._writer.start()

    def _write_forever(self) -> None:
        connection: sqlite3.Connection | None = None
        next_prune = self._clock() + PRUNE_EVERY_S
        while True:
            batch = [self._queue.get()]
            if isinstance(batch[0], tuple):
                self._hurry.wait(WRITE_DELAY_S)  # a flush or close cuts it short
            self._hurry.clear()
            while len(batch) < BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            writes = [item for item in batch if isinstance(item, tuple)]
            if writes:
                try:
                    if connection is None:
                        connection = self._connect()
                    self._write(connection, writes)
                    if self._clock() >= next_prune:
                        next_prune = self._clock() + PRUNE_EVERY_S
                        self._prune(connection)
                except sqlite3.Error as error:
                    self._complain("write", error)
                    if connection is not None:
                        connection.close()
                    connection = None
            for item in batch:
                if isinstance(item, threading.Event):
                    item.set()
            if None in batch:
                if connection is not None:
                    connection.close()
                return

    def _write(self, connection: sqlite3.Connection, writes: list[tuple]) -> None:
        now = self._clock()
        # In order: a batch may hold a chain (a state, the one grown from it, ...), of which
        # only the last is kept; a key replaced and then written again is kept.
        kept: dict[bytes, Sequence[Window]] = {}
        replaced: set[bytes] = set()
        for key, windows, old in writes:
            if old is not None and old != key:
                kept.pop(old, None)
                replaced.add(old)
            kept[key] = windows
        with connection:
            connection.executemany(
                "DELETE FROM states WHERE model = ? AND key = ?",
                [(self.model, old) for old in replaced - kept.keys()],
            )
            connection.executemany(
                "INSERT OR REPLACE INTO states (model, key, state, saved) VALUES (?, ?, ?, ?)",
                [(self.model, key, encode(windows), now) for key, windows in kept.items()],
            )

    def _prune(self, connection: sqlite3.Connection) -> None:
        with connection:
            now = self._clock()
            connection.execute(
                "DELETE FROM states WHERE saved < ? OR (model != ? AND saved < ?)",
                (now - self.ttl_s, self.model, now - OTHER_VERSIONS_S),
            )

    # -- the file --

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=5.0)
        connection.execute("PRAGMA synchronous = OFF")  # a cache: losing it costs time only
        return connection

    def _setup(self) -> None:
        """Create the file (or recreate one that is not a database we can use) and drop
        expired states. Never raises: a file that cannot be set
        up leaves the scorer reading windows, as without it."""
        for attempt in (1, 2):
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                connection = self._connect()
                try:
                    connection.execute("PRAGMA journal_mode = WAL")
                    (version,) = connection.execute("PRAGMA user_version").fetchone()
                    if version != SCHEMA_VERSION:  # a cache: an older layout is dropped
                        connection.executescript(
                            f"DROP TABLE IF EXISTS states; {_SCHEMA}"
                            f"PRAGMA user_version = {SCHEMA_VERSION};"
                        )
                    self._prune(connection)
                finally:
                    connection.close()
                return
            except sqlite3.DatabaseError as error:
                if attempt == 2 or not self.path.is_file():
                    self._complain("set up", error)
                    return
                log.warning(
                    "%s is not a usable states file (%s); starting it afresh", self.path, error
                )
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            except OSError as error:
                self._complain("set up", error)
                return

    def _complain(self, what: str, error: Exception) -> None:
        """Log a failure once per kind: the scorer goes on without the file."""
        if what not in self._complained:
            self._complained.add(what)
            log.warning(
                "could not %s shared tutor states in %s (%s); scoring reads windows instead",
                what,
                self.path,
                error,
            )
