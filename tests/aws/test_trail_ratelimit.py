"""The LookupEvents limiter: at most 2 requests per second per account and Region.

Tested on an injected clock that only moves when the limiter sleeps, so the test
checks the schedule itself, not wall-clock timing.
"""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, timedelta

from botocore.stub import Stubber

from qsdoctor.aws.gateway import AwsGateway, RetryingFactory
from qsdoctor.aws.sessions import new_session
from qsdoctor.collect.trail import RateLimiter, lookup_assume_role


class Clock:
    """Fake monotonic clock; sleeping advances it (thread-safe)."""

    def __init__(self) -> None:
        self.now = 100.0
        self.lock = threading.Lock()

    def time(self) -> float:
        with self.lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.now = max(self.now, self.now + seconds)


def test_slots_are_half_a_second_apart() -> None:
    clock = Clock()
    limiter = RateLimiter(2.0, clock=clock.time, sleep=clock.sleep)
    slots = [limiter.acquire() for _ in range(5)]
    assert slots == [100.0, 100.5, 101.0, 101.5, 102.0]


def test_no_wait_after_a_pause() -> None:
    clock = Clock()
    slept: list[float] = []
    limiter = RateLimiter(2.0, clock=clock.time, sleep=slept.append)
    limiter.acquire()
    clock.now += 10
    limiter.acquire()
    assert slept == []


def test_threads_sharing_a_limiter_never_exceed_two_per_second() -> None:
    clock = Clock()
    limiter = RateLimiter(2.0, clock=clock.time, sleep=lambda s: None)
    slots: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(10):
            slot = limiter.acquire()
            with lock:
                slots.append(slot)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    slots.sort()
    assert len(slots) == 40
    assert all(b - a >= 0.5 for a, b in itertools.pairwise(slots))
    for i, start in enumerate(slots):
        in_window = [s for s in slots[i:] if s < start + 1.0]
        assert len(in_window) <= 2


def test_every_page_of_a_lookup_takes_a_slot(fast_retrying: RetryingFactory) -> None:
    clock = Clock()
    taken: list[float] = []
    limiter = RateLimiter(2.0, clock=clock.time, sleep=clock.sleep)
    original = limiter.acquire

    def counting() -> float:
        taken.append(original())
        return taken[-1]

    limiter.acquire = counting  # type: ignore[method-assign]
    gw = AwsGateway(new_session(region="us-east-1"), retrying=fast_retrying)
    stubber = Stubber(gw.client("cloudtrail", "us-east-1"))
    for n in range(3):
        stubber.add_response(
            "lookup_events", {"Events": [], **({"NextToken": f"t{n}"} if n < 2 else {})}
        )
    stubber.activate()
    end = datetime(2026, 12, 4, tzinfo=UTC)
    read = lookup_assume_role(
        gw, region="us-east-1", start=end - timedelta(hours=1), end=end, limiter=limiter
    )
    assert read.pages == 3
    assert taken == [100.0, 100.5, 101.0]
    stubber.assert_no_pending_responses()


def test_page_cap_marks_the_read_truncated(fast_retrying: RetryingFactory) -> None:
    gw = AwsGateway(new_session(region="us-east-1"), retrying=fast_retrying)
    stubber = Stubber(gw.client("cloudtrail", "us-east-1"))
    for n in range(2):
        stubber.add_response("lookup_events", {"Events": [], "NextToken": f"t{n}"})
    stubber.activate()
    clock = Clock()
    end = datetime(2026, 12, 4, tzinfo=UTC)
    read = lookup_assume_role(
        gw,
        region="us-east-1",
        start=end - timedelta(hours=1),
        end=end,
        limiter=RateLimiter(clock=clock.time, sleep=clock.sleep),
        max_pages=2,
    )
    assert read.truncated
    assert read.pages == 2
