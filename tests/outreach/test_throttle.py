"""The calls-per-second pace, driven by a clock the test controls (no waiting)."""

from __future__ import annotations

from yachay.outreach.throttle import LocalThrottle, RedisThrottle


class FakeTime:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_one_process_spaces_calls_evenly():
    t = FakeTime()
    throttle = LocalThrottle(2.0, clock=t.clock, sleep=t.sleep)
    moments = []
    for _ in range(5):
        throttle.acquire()
        moments.append(t.now)
    assert [round(b - a, 6) for a, b in zip(moments, moments[1:], strict=False)] == [0.5] * 4


def test_workers_sharing_redis_keep_the_accounts_pace_together(redis_server):
    t = FakeTime(5000.2)
    workers = [
        RedisThrottle(redis_server.client, 1.0, key="t1", clock=t.clock, sleep=t.sleep)
        for _ in range(3)
    ]
    started = []
    for i in range(9):
        workers[i % 3].acquire()
        started.append(t.now)
    per_second: dict[int, int] = {}
    for moment in started:
        per_second[int(moment)] = per_second.get(int(moment), 0) + 1
    assert max(per_second.values()) == 1, per_second
    assert int(started[-1]) - int(started[0]) == 8  # nine calls took nine seconds


def test_a_faster_account_allows_more_calls_per_second(redis_server):
    t = FakeTime(7000.0)
    a = RedisThrottle(redis_server.client, 3.0, key="t3", clock=t.clock, sleep=t.sleep)
    b = RedisThrottle(redis_server.client, 3.0, key="t3", clock=t.clock, sleep=t.sleep)
    for throttle in (a, b, a):
        throttle.acquire()
    assert t.slept == []
    b.acquire()
    assert int(t.now) == 7001
