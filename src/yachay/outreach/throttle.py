"""The account's calls-per-second limit, for one process or for every worker at once.

Twilio queues calls over the limit instead of refusing them, but a queue of hundreds of
lesson calls rings children minutes late and past their window: so we pace ourselves.
Both throttles take their clock and sleep as arguments, so tests drive them without
waiting.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

Clock = Callable[[], float]
Sleep = Callable[[float], None]


class Throttle(Protocol):
    def acquire(self) -> None:
        """Return when one more call may be placed (waits if the limit is reached)."""


def _buckets(calls_per_second: float) -> tuple[float, int]:
    """(bucket length in seconds, calls allowed per bucket): 1/s -> (1, 1); 0.5/s -> (2, 1);
    3/s -> (1, 3)."""
    if calls_per_second <= 0:
        raise ValueError("calls per second must be above 0")
    length = max(1.0, 1.0 / calls_per_second)
    return length, max(1, math.floor(calls_per_second * length + 1e-9))


class LocalThrottle:
    """Evenly spaced calls within one process (the embedded scheduler)."""

    def __init__(
        self, calls_per_second: float, clock: Clock = time.monotonic, sleep: Sleep = time.sleep
    ) -> None:
        self.interval = 1.0 / calls_per_second
        self.clock = clock
        self.sleep = sleep
        self._next = -math.inf
        self._lock = threading.Lock()

    def acquire(self) -> None:
        with self._lock:
            now = self.clock()
            wait = self._next - now
            self._next = max(now, self._next) + self.interval
        if wait > 0:
            self.sleep(wait)


class RedisThrottle:
    """A fixed-window counter in Redis shared by every worker on every machine: at most
    N calls in each bucket of time, whoever places them."""

    def __init__(
        self,
        redis: Any,
        calls_per_second: float,
        key: str = "yachay:outreach:dial",
        clock: Clock = time.time,
        sleep: Sleep = time.sleep,
    ) -> None:
        self.redis = redis
        self.length, self.limit = _buckets(calls_per_second)
        self.key = key
        self.clock = clock
        self.sleep = sleep

    def acquire(self) -> None:
        while True:
            now = self.clock()
            bucket = math.floor(now / self.length)
            key = f"{self.key}:{bucket}"
            pipe = self.redis.pipeline()
            pipe.incr(key)
            pipe.expire(key, math.ceil(self.length) + 5)
            count, _ = pipe.execute()
            if int(count) <= self.limit:
                return
            self.sleep(max(0.001, (bucket + 1) * self.length - now))
