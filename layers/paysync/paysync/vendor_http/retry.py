"""Which vendor failures are tried again, and how long to wait before the next attempt.

One policy for both vendors. A transient failure (network, timeout, 408, 429, 5xx, or what a
client's typed errors call transient) is tried again up to ``attempts`` times in all. Before the
next attempt the client waits what the server asked (``Retry-After``), or else an exponential
backoff capped at ``MAX_BACKOFF_SECONDS``. A server asking for longer than
``MAX_RETRY_AFTER_SECONDS`` is not waited for inside a running Lambda: the failure is raised at
once, and the queue's redelivery waits instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, NamedTuple, Protocol, TypeVar

import httpx

MAX_BACKOFF_SECONDS: Final = 30.0
MAX_RETRY_AFTER_SECONDS: Final = 60.0

# Transport failures raised before the request could reach the server: always safe to repeat.
_NOT_SENT: Final = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)

_T = TypeVar("_T")
_E = TypeVar("_E", bound=Exception)


def is_transient_status(status: int) -> bool:
    """408 (the server stopped waiting for the request), 429 and 5xx: worth another attempt."""
    return status in (408, 429) or status >= 500


def may_have_been_sent(exc: httpx.TransportError) -> bool:
    """Whether the request may have reached the server, so that a write may have been applied."""
    return not isinstance(exc, _NOT_SENT)


def may_still_run(exc: httpx.TransportError) -> bool:
    """Whether the server may still be working on the request: we stopped waiting for its answer
    (a read timeout), it did not say it had finished (as a reset or an error status does)."""
    return isinstance(exc, httpx.ReadTimeout)


class RetrySettings(Protocol):
    @property
    def max_attempts(self) -> int: ...

    @property
    def backoff_seconds(self) -> float: ...


class RetryPolicy(NamedTuple):  # not a dataclass: cheaper to define at a cold start
    """How a vendor client tries a transient failure again: how many attempts, how long to wait."""

    attempts: int
    backoff_seconds: float
    max_backoff_seconds: float = MAX_BACKOFF_SECONDS
    max_retry_after_seconds: float = MAX_RETRY_AFTER_SECONDS

    @classmethod
    def from_settings(cls, settings: RetrySettings) -> RetryPolicy:
        return cls(attempts=settings.max_attempts, backoff_seconds=settings.backoff_seconds)

    def backoff(self, attempt: int) -> float:
        """``backoff_seconds`` doubled after each failed attempt (the first is 1), capped."""
        return float(min(self.max_backoff_seconds, self.backoff_seconds * 2 ** (attempt - 1)))

    def wait(self, attempt: int, retry_after: float | None = None) -> float | None:
        """Seconds to wait after failed ``attempt``: the server's ``retry_after`` when it gave one,
        else the backoff. None: the server asks for longer than is worth waiting here."""
        if retry_after is None:
            return self.backoff(attempt)
        if retry_after > self.max_retry_after_seconds:
            return None
        return retry_after

    def run(
        self,
        attempt_once: Callable[[int], _T],
        *,
        retryable: type[_E],
        wait: Callable[[_E, int], float | None],
        sleep: Callable[[float], None],
    ) -> _T:
        """``attempt_once(attempt)`` until it returns. A ``retryable`` failure is raised when it was
        the last attempt or ``wait(failure, attempt)`` says None; any other failure at once."""
        attempt = 0
        while True:
            attempt += 1
            try:
                return attempt_once(attempt)
            except retryable as failure:
                if attempt >= self.attempts:
                    raise
                seconds = wait(failure, attempt)
                if seconds is None:
                    raise
            if seconds > 0:
                sleep(seconds)
