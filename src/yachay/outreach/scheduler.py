"""The in-process scheduler: one machine, no Redis. A thread ticks the outreach (plan,
then place what is due) every few seconds.

Under gunicorn every worker process builds the app; a lock file in the var folder lets
exactly one of them run the scheduler, so the calls-per-second pace holds on the machine.
"""

from __future__ import annotations

import fcntl
import logging
import threading
import time
from pathlib import Path
from typing import IO

from yachay.outreach.service import Outreach

log = logging.getLogger(__name__)

#: Seconds between ticks: a missed call is rung back well within a minute.
TICK_SECONDS = 5.0


class EmbeddedScheduler:
    def __init__(self, outreach: Outreach, lock_path: Path, interval: float = TICK_SECONDS):
        self.outreach = outreach
        self.lock_path = lock_path
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock_file: IO[str] | None = None
        self._started = threading.Lock()
        self._retry_at = 0.0

    def start(self) -> bool:
        """Start ticking unless this or another process on the machine already does (it
        looks again a minute later: that process may have ended)."""
        if self._thread is not None or time.monotonic() < self._retry_at:
            return self._thread is not None
        with self._started:
            if self._thread is not None:
                return True
            self._retry_at = time.monotonic() + 60
            self.lock_path.parent.mkdir(parents=True, exist_ok=True)
            lock_file = self.lock_path.open("a")
            try:
                fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                lock_file.close()
                return False
            self._lock_file = lock_file
            self._thread = threading.Thread(target=self.run, name="yachay-outreach", daemon=True)
            self._thread.start()
            log.info("outreach: the in-process scheduler is running")
            return True

    def run(self) -> None:
        while not self._stop.is_set():
            self.tick_once()
            self._stop.wait(self.interval)

    def tick_once(self) -> int:
        try:
            return self.outreach.tick()
        except Exception:  # a database hiccup must not stop tomorrow's calls
            log.exception("outreach: a scheduler tick failed")
            return 0

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        if self._lock_file is not None:
            self._lock_file.close()
