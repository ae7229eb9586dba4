"""Client-side pacing for MyUnisoft's per-token rate limit (20 requests / 10 s by default).

``RatePacer`` is a thread-safe sliding window: ``acquire()`` blocks until one more call fits in
the window. It also obeys the server: after a 429, or when ``X-Rate-Limit-Remaining`` reaches 0,
every caller is held until ``X-Rate-Limit-Reset``.

The docs only say that ``X-Rate-Limit-Reset`` is a "timestamp"; the Postman examples show epoch
seconds with a fraction (``1596442585.866154``). ``paysync.vendor_http.headers.resolve_reset`` also
accepts epoch milliseconds and, for robustness, a small number of seconds from now: of the three
readings, the one nearest to the local clock wins. A hold is capped (``max_hold_seconds``) so
that a skewed clock or a strange header can never stall a Lambda for minutes.

Pacers are shared per token inside a process through ``pacer_for``, keyed by a SHA-256 digest of
the token: the token itself is never kept as a key, logged or shown.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections import deque
from collections.abc import Callable

from paysync.vendor_http.headers import resolve_reset

Clock = Callable[[], float]
Sleep = Callable[[float], None]

__all__ = ["RatePacer", "clear_pacers", "pacer_for", "token_digest"]


class RatePacer:
    """Sliding-window pacer for one token: at most ``limit`` calls in any ``window_seconds``."""

    def __init__(
        self,
        limit: int,
        window_seconds: float,
        *,
        clock: Clock = time.time,
        sleep: Sleep = time.sleep,
        max_hold_seconds: float = 60.0,
    ) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        if window_seconds <= 0:
            raise ValueError("window_seconds must be positive")
        self._configured_limit = limit
        self._limit = limit
        self._window = float(window_seconds)
        self._clock = clock
        self._sleep = sleep
        self._max_hold = max_hold_seconds
        self._lock = threading.Lock()
        self._stamps: deque[float] = deque()
        self._hold_until = -math.inf
        self.total_waited = 0.0

    # -- introspection -----------------------------------------------------------------------------
    @property
    def limit(self) -> int:
        """The limit in force: the configured one, or a lower one announced by the server."""
        return self._limit

    @property
    def configured_limit(self) -> int:
        return self._configured_limit

    @property
    def window_seconds(self) -> float:
        return self._window

    @property
    def hold_until(self) -> float | None:
        """The instant (epoch seconds) before which no call may go, if the server asked for one."""
        with self._lock:
            return None if self._hold_until == -math.inf else self._hold_until

    def configure(self, limit: int, window_seconds: float) -> None:
        if limit < 1 or window_seconds <= 0:
            raise ValueError("limit must be at least 1 and window_seconds positive")
        with self._lock:
            self._configured_limit = limit
            self._limit = limit
            self._window = float(window_seconds)

    # -- pacing ------------------------------------------------------------------------------------
    def _wait_needed(self, now: float) -> float:
        """Seconds to wait at ``now``; 0 records a call. Caller holds the lock."""
        while self._stamps and self._stamps[0] <= now - self._window:
            self._stamps.popleft()
        if self._hold_until > now:
            return self._hold_until - now
        if len(self._stamps) >= self._limit:
            return self._stamps[0] + self._window - now
        self._stamps.append(now)
        return 0.0

    def acquire(self, *, sleep: Sleep | None = None) -> float:
        """Block until a call may go, record it, and return the seconds waited.

        Time only moves forward from the pacer's point of view: after sleeping ``w`` seconds it
        treats "now" as at least the instant it slept until, so a sleep that returns early (or a
        test's sleep that does not sleep) cannot make it spin.
        """
        do_sleep = sleep if sleep is not None else self._sleep
        waited = 0.0
        slept_until = -math.inf
        while True:
            with self._lock:
                now = max(self._clock(), slept_until)
                wait = self._wait_needed(now)
            if wait <= 0:
                return waited
            do_sleep(wait)
            waited += wait
            slept_until = now + wait
            with self._lock:
                self.total_waited += wait

    # -- server feedback ---------------------------------------------------------------------------
    def note_reset(self, reset_at: float) -> None:
        """Hold every call until ``reset_at`` (epoch seconds or milliseconds; see ``resolve_reset``)."""
        with self._lock:
            now = self._clock()
            until = min(resolve_reset(float(reset_at), now), now + self._max_hold)
            self._hold_until = max(self._hold_until, until)

    def note_remaining(self, remaining: int | None, reset_at: float | None) -> None:
        """Feed ``X-Rate-Limit-Remaining`` / ``-Reset``: nothing left means hold until the reset."""
        if remaining is not None and remaining <= 0 and reset_at is not None:
            self.note_reset(reset_at)

    def note_total(self, total: int | None) -> None:
        """Feed ``X-Rate-Limit-Total``: a server announcing a lower limit than configured wins."""
        if total is None or total < 1:
            return
        with self._lock:
            self._limit = min(self._configured_limit, total)


# -- process-wide registry -----------------------------------------------------------------------
_registry: dict[str, RatePacer] = {}
_registry_lock = threading.Lock()


def token_digest(token: str) -> str:
    """The identity of a token for keys and logs: SHA-256, hex. Never the token itself."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def pacer_for(
    token_identity: str,
    limit: int,
    window_seconds: float,
    *,
    clock: Clock | None = None,
    sleep: Sleep | None = None,
) -> RatePacer:
    """The one pacer of a token in this process (created on first use).

    ``token_identity`` is the token (it is hashed at once). ``clock``/``sleep`` only apply when the
    pacer is created; a later call with another limit or window reconfigures the shared pacer.
    """
    key = token_digest(token_identity)
    with _registry_lock:
        pacer = _registry.get(key)
        if pacer is None:
            pacer = RatePacer(limit, window_seconds, clock=clock or time.time, sleep=sleep or time.sleep)
            _registry[key] = pacer
        elif pacer.configured_limit != limit or pacer.window_seconds != window_seconds:
            pacer.configure(limit, window_seconds)
        return pacer


def clear_pacers() -> None:
    """Forget every shared pacer (tests)."""
    with _registry_lock:
        _registry.clear()
