"""Typed errors of the Silae API. Mapping them to diagnoses happens in one place:
``paysync.usecases.diagnose``."""

from __future__ import annotations

from typing import NamedTuple

from paysync.errors import PaysyncError, TransientError


class SilaeErrorItem(NamedTuple):  # not a dataclass: cheaper to define at a cold start
    """One error of a Silae ``ApiErrors`` body, its message redacted."""

    code: str
    message: str


class SilaeError(PaysyncError):
    """Base of every Silae failure. ``status`` is the HTTP status when there was a response."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class SilaeTransientError(SilaeError, TransientError):
    """Network failure, timeout, 5xx, 429, or an ``ApiErrors`` with ``recoverable: true``."""


class SilaeAuthenticationError(SilaeError):
    """The token endpoint refused the Client ID / Client secret (expired or wrong)."""

    def __init__(self, message: str, *, status: int | None = None, error: str | None = None) -> None:
        super().__init__(message, status=status)
        self.error = error  # OAuth2 ``error`` field, e.g. ``invalid_client``


class SilaeSubscriptionKeyError(SilaeError):
    """The API Management gateway refused the clé de configuration.

    ``reason`` is ``SubscriptionKeyInvalid`` or ``SubscriptionKeyNotFound``.
    """

    def __init__(self, message: str, *, status: int | None = None, reason: str) -> None:
        super().__init__(message, status=status)
        self.reason = reason


class SilaeApiError(SilaeError):
    """An ``ApiErrors`` body with ``recoverable: false``: the configuration is wrong."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        errors: tuple[SilaeErrorItem, ...] = (),
        recoverable: bool = False,
        source: str | None = None,
    ) -> None:
        super().__init__(message, status=status)
        self.errors = errors
        self.recoverable = recoverable
        self.source = source


class SilaeRecoverableApiError(SilaeApiError, SilaeTransientError):
    """An ``ApiErrors`` body with ``recoverable: true``: retry later."""


class SilaeRateLimitError(SilaeTransientError):
    """HTTP 429. ``retry_after`` is the server's ``Retry-After`` in seconds, when it sent one."""

    def __init__(self, message: str, *, status: int | None = 429, retry_after: float | None = None) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


class SilaeResponseError(SilaeTransientError):
    """A 2xx answer paysync cannot read (not JSON, wrong shape, bad base64).

    Treated as transient: it is the vendor's data that failed, not the firm's settings.
    """
