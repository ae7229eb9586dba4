"""Virtual time for a night on the local stack: the model's waits take their time, CPU takes none.

A night's makespan is made of the model's waits (the vendors' latency per call, MyUnisoft's rate
window, the pacer that keeps to it) and of CPU. On AWS each container has its CPU and the waits
dominate; on the local stack every container, moto and both fakes share one interpreter, so their
CPU, negligible in the model, decides the makespan of a large night (benchmark 1b).

:class:`VirtualClock` keeps a clock that only moves when the whole process waits: ``sleep(s)``
blocks its caller until the clock reaches ``now + s``, and the clock jumps to the earliest such
instant once no thread of the process can run (every thread blocked: in a virtual sleep, on a lock,
a socket, a queue). So the CPU the process spends costs nothing, and what the waits cost is exact,
whatever the machine's speed or load. Whoever waits in the model must use the clock (the fakes'
latency and rate window, the pacers' clock and sleep, the executor's timestamps): a real
``time.sleep`` still blocks, but in real time only.

"No thread can run" is read from the kernel: the process's other threads spent no CPU over a
short gap and while their states were read, and every one of them is blocked
(``/proc/self/task/*/stat``: a runnable thread, even one a loaded machine has not scheduled, keeps
the clock still). Linux only; without ``/proc`` it does not start.
"""

from __future__ import annotations

import heapq
import itertools
import os
import threading
import time
from pathlib import Path
from types import TracebackType

__all__ = ["VirtualClock", "available"]

_TASKS = Path("/proc/self/task")
_QUIET_GAP_SECONDS = 0.0003  # how long the other threads must have spent no CPU
_CPU_NOISE_SECONDS = 0.00001  # what reading the CPU clocks may count outside this thread


def available() -> bool:
    return _TASKS.is_dir()


class VirtualClock:
    """A clock in seconds since the epoch (it starts at the real time) that moves only when the
    process waits; see the module docstring. Use as a context manager (its timekeeper thread)."""

    def __init__(self, start: float | None = None) -> None:
        self._now = time.time() if start is None else start
        self._lock = threading.Lock()
        self._sleepers: list[tuple[float, int, threading.Event]] = []
        self._order = itertools.count()
        self._stop = threading.Event()
        self._asleep = threading.Event()  # someone sleeps: the timekeeper has work
        self._keeper: threading.Thread | None = None
        self.advances = 0  # how many times the clock moved
        self.sleeps = 0

    # -- the clock -----------------------------------------------------------------------------------
    def time(self) -> float:
        with self._lock:
            return self._now

    monotonic = time

    def sleep(self, seconds: float) -> None:
        """Block until the clock has moved ``seconds`` on (at once for 0 or less)."""
        if seconds <= 0:
            return
        woken = threading.Event()
        with self._lock:
            if self._keeper is None:
                raise RuntimeError("the virtual clock is not running")
            heapq.heappush(self._sleepers, (self._now + seconds, next(self._order), woken))
            self.sleeps += 1
        self._asleep.set()
        woken.wait()

    # -- the timekeeper ------------------------------------------------------------------------------
    def __enter__(self) -> VirtualClock:
        if not available():
            raise RuntimeError("virtual time reads /proc/self/task: Linux only")
        self._stop.clear()
        self._keeper = threading.Thread(target=self._keep, name="virtual-clock", daemon=True)
        self._keeper.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._asleep.set()
        if self._keeper is not None:
            self._keeper.join()
        with self._lock:
            self._keeper = None
            for _at, _n, woken in self._sleepers:  # nobody is left blocked
                woken.set()
            self._sleepers.clear()

    def _keep(self) -> None:
        me = threading.get_native_id()
        while not self._stop.is_set():
            with self._lock:
                waiting = bool(self._sleepers)
                if not waiting:
                    self._asleep.clear()
            if not waiting:
                self._asleep.wait()
            elif self._quiet(me):
                self._advance()

    def _advance(self) -> None:
        with self._lock:
            if not self._sleepers:
                return
            self._now = max(self._now, self._sleepers[0][0])
            self.advances += 1
            while self._sleepers and self._sleepers[0][0] <= self._now:
                heapq.heappop(self._sleepers)[2].set()

    def _quiet(self, me: int) -> bool:
        """No other thread ran over a short gap nor while their states were read, and none can run.

        A thread can only leave "blocked" for "runnable" if another one (which spends CPU) or the
        kernel (a real timeout) wakes it; the first is seen in the CPU, the second only delays
        whatever woke a little, in the model's time.
        """
        before = _others_cpu()
        time.sleep(_QUIET_GAP_SECONDS)
        if _others_cpu() - before > _CPU_NOISE_SECONDS or not _all_blocked(me):
            return False
        return _others_cpu() - before <= _CPU_NOISE_SECONDS


def _others_cpu() -> float:
    """CPU seconds of the process but the calling thread."""
    return time.process_time() - time.thread_time()


def _all_blocked(me: int) -> bool:
    for task in os.listdir(_TASKS):
        if int(task) == me:
            continue
        try:
            stat = (_TASKS / task / "stat").read_text()
        except OSError:  # the thread just ended
            continue
        # "pid (comm) state ...": comm may hold spaces or parentheses, the state follows the last ")".
        state = stat[stat.rindex(")") + 2]
        if state in "RD":  # running or runnable, or in an uninterruptible wait
            return False
    return True
