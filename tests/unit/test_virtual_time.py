"""local.virtual_time: the clock moves only when every thread waits, by exactly what they wait."""

from __future__ import annotations

import threading
import time

import pytest

from local.virtual_time import VirtualClock, available

pytestmark = pytest.mark.skipif(not available(), reason="virtual time reads /proc (Linux)")


def _run(*targets: object) -> None:
    threads = [threading.Thread(target=t) for t in targets]  # type: ignore[arg-type]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive(), "a thread stayed blocked: the clock did not move"


def test_sleepers_wake_in_order_at_the_sum_of_their_waits() -> None:
    woke: list[tuple[str, float]] = []
    with VirtualClock(start=1000.0) as clock:

        def sleeper(name: str, waits: list[float]) -> None:
            for wait in waits:
                clock.sleep(wait)
            woke.append((name, clock.time()))

        _run(lambda: sleeper("a", [0.5] * 20), lambda: sleeper("b", [3.0]), lambda: sleeper("c", [1.0, 1.0]))
    assert sorted(woke, key=lambda w: w[1]) == [("c", 1002.0), ("b", 1003.0), ("a", 1010.0)]


def test_cpu_takes_no_virtual_time_and_a_thread_that_computes_holds_the_clock() -> None:
    seen: dict[str, float] = {}
    with VirtualClock(start=0.0) as clock:

        def computes() -> None:
            deadline = time.monotonic() + 0.2  # busy, in real time, while the other one sleeps
            while time.monotonic() < deadline:
                pass
            seen["computed_at"] = clock.time()
            clock.sleep(1.0)
            seen["computes"] = clock.time()

        def waits() -> None:
            clock.sleep(0.1)
            seen["waits"] = clock.time()

        _run(computes, waits)
    # The sleeper of 0.1 s could not wake before the computing thread had stopped.
    assert seen == {"computed_at": 0.0, "waits": 0.1, "computes": 1.0}


def test_a_thread_blocked_on_a_lock_held_by_a_sleeper_does_not_stall_the_clock() -> None:
    lock = threading.Lock()
    holding = threading.Event()
    seen: dict[str, float] = {}
    with VirtualClock(start=0.0) as clock:

        def holder() -> None:
            with lock:
                holding.set()
                clock.sleep(5.0)

        def blocked() -> None:
            holding.wait()
            with lock:
                seen["got_the_lock"] = clock.time()

        _run(holder, blocked)
    assert seen == {"got_the_lock": 5.0}


def test_sleeping_needs_a_running_clock() -> None:
    clock = VirtualClock(start=0.0)
    clock.sleep(0)  # nothing to wait for
    with pytest.raises(RuntimeError):
        clock.sleep(1.0)
    assert clock.time() == 0.0 == clock.monotonic()
