"""RatePacer: sliding window, server holds (X-Rate-Limit-Reset in s or ms), registry by token digest."""

from __future__ import annotations

import hashlib
import threading
import time

import pytest

from paysync.myunisoft import ratelimit
from paysync.myunisoft.ratelimit import RatePacer, clear_pacers, pacer_for, token_digest

T0 = 1_700_000_000.0  # a realistic epoch, so that seconds and milliseconds are told apart


class FakeClock:
    """A clock whose sleep moves time forward and records each wait."""

    def __init__(self, now: float = T0) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def make(
    limit: int = 20, window: float = 10.0, clock: FakeClock | None = None
) -> tuple[RatePacer, FakeClock]:
    clock = clock or FakeClock()
    return RatePacer(limit, window, clock=clock, sleep=clock.sleep), clock


def test_twenty_calls_in_a_window_go_at_once_the_21st_waits_for_the_window() -> None:
    pacer, clock = make()
    for _ in range(20):
        assert pacer.acquire() == 0
    assert clock.sleeps == []
    assert pacer.acquire() == pytest.approx(10.0)
    assert clock.now == pytest.approx(T0 + 10.0)


def test_the_window_slides_with_the_oldest_call() -> None:
    pacer, clock = make(limit=3, window=10.0)
    for step in (0.0, 2.0, 4.0):
        clock.now = T0 + step
        pacer.acquire()
    clock.now = T0 + 5.0
    assert pacer.acquire() == pytest.approx(5.0)  # until the call at T0 leaves the window
    assert pacer.acquire() == pytest.approx(2.0)  # then until the call at T0+2 does
    assert clock.now == pytest.approx(T0 + 12.0)


def test_calls_spread_over_time_never_wait() -> None:
    pacer, clock = make(limit=2, window=1.0)
    for _ in range(10):
        assert pacer.acquire() == 0
        clock.now += 0.5
    assert clock.sleeps == []


@pytest.mark.parametrize(
    ("header", "expected_wait"),
    [
        (T0 + 7.5, 7.5),  # epoch seconds (the vendor's examples: "1596442585.866154")
        ((T0 + 7.5) * 1000, 7.5),  # epoch milliseconds
        (7.5, 7.5),  # seconds from now
    ],
    ids=["epoch-seconds", "epoch-milliseconds", "delta-seconds"],
)
def test_reset_header_holds_every_call_until_the_reset(header: float, expected_wait: float) -> None:
    pacer, _ = make()
    pacer.note_reset(header)
    assert pacer.hold_until == pytest.approx(T0 + expected_wait)
    assert pacer.acquire() == pytest.approx(expected_wait)
    assert pacer.acquire() == 0  # the hold is over


def test_a_reset_in_the_past_holds_nothing() -> None:
    pacer, _ = make()
    pacer.note_reset(T0 - 30)
    assert pacer.acquire() == 0


def test_a_reset_far_in_the_future_is_capped() -> None:
    clock = FakeClock()
    pacer = RatePacer(20, 10, clock=clock, sleep=clock.sleep, max_hold_seconds=60)
    pacer.note_reset(T0 + 3600)
    assert pacer.acquire() == pytest.approx(60)


def test_a_later_reset_extends_the_hold_an_earlier_one_does_not_shorten_it() -> None:
    pacer, _ = make()
    pacer.note_reset(T0 + 5)
    pacer.note_reset(T0 + 3)
    assert pacer.hold_until == pytest.approx(T0 + 5)
    pacer.note_reset(T0 + 8)
    assert pacer.hold_until == pytest.approx(T0 + 8)


def test_remaining_zero_holds_until_reset() -> None:
    pacer, _ = make()
    pacer.note_remaining(3, T0 + 4)
    assert pacer.hold_until is None
    pacer.note_remaining(None, T0 + 4)
    assert pacer.hold_until is None
    pacer.note_remaining(0, None)
    assert pacer.hold_until is None
    pacer.note_remaining(0, (T0 + 4) * 1000)
    assert pacer.acquire() == pytest.approx(4)


def test_a_lower_total_announced_by_the_server_wins_a_higher_one_does_not() -> None:
    pacer, _ = make(limit=20)
    pacer.note_total(10)  # the vendor's examples show "X-Rate-Limit-Total: 10"
    assert pacer.limit == 10
    for _ in range(10):
        pacer.acquire()
    assert pacer.acquire() == pytest.approx(10)
    pacer.note_total(50)
    assert pacer.limit == 20
    pacer.note_total(None)
    pacer.note_total(0)
    assert pacer.limit == 20


def test_a_sleep_that_does_not_sleep_cannot_make_the_pacer_spin() -> None:
    waits: list[float] = []
    pacer = RatePacer(1, 10, clock=lambda: T0, sleep=waits.append)
    pacer.acquire()
    assert pacer.acquire() == pytest.approx(10)
    pacer.note_reset(T0 + 3)
    assert pacer.acquire() > 0  # returns (the frozen clock never reaches the hold nor the window)
    assert len(waits) == 3


def test_acquire_uses_the_sleep_it_is_given() -> None:
    pacer, clock = make(limit=1)
    pacer.acquire()
    other: list[float] = []
    pacer.acquire(sleep=other.append)
    assert other == [pytest.approx(10)]
    assert clock.sleeps == []


def test_invalid_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        RatePacer(0, 10)
    with pytest.raises(ValueError):
        RatePacer(1, 0)


def test_threads_sharing_a_pacer_never_exceed_the_limit() -> None:
    limit, window = 4, 0.1
    pacer = RatePacer(limit, window)
    stamps: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(4):
            pacer.acquire()
            with lock:
                stamps.append(time.time())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    started = time.time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stamps.sort()
    assert len(stamps) == 16
    # 16 calls at 4 per 0.1 s: the last batch cannot start before 0.3 s.
    assert stamps[-1] - started >= 3 * window - 0.01
    for i in range(len(stamps) - limit):
        assert stamps[i + limit] - stamps[i] >= window - 0.01


def test_registry_shares_one_pacer_per_token_keyed_by_its_digest() -> None:
    clear_pacers()
    try:
        token = "tok-very-secret-123"
        first = pacer_for(token, 20, 10)
        assert pacer_for(token, 20, 10) is first
        assert pacer_for("another-token", 20, 10) is not first
        keys = list(ratelimit._registry)
        assert token_digest(token) == hashlib.sha256(token.encode()).hexdigest()
        assert token_digest(token) in keys
        assert all(token not in key for key in keys)
        assert token not in repr(first)
        again = pacer_for(token, 5, 1)  # a new configuration reaches the shared pacer
        assert again is first
        assert (first.limit, first.window_seconds) == (5, 1)
    finally:
        clear_pacers()
    assert ratelimit._registry == {}
