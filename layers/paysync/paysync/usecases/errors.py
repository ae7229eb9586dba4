"""Why a use case refused a request, in French for the person who made it.

The HTTP layer turns each into its status (``paysync.api.errors``); use cases stay HTTP-free.
"""

from __future__ import annotations

from paysync.errors import PaysyncError


class RequestRefused(PaysyncError):  # noqa: N818 - named after the outcome, as its subclasses
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(RequestRefused):
    """The firm, dossier, run or credential does not exist."""


class Forbidden(RequestRefused):
    """The caller's credential does not reach this firm or dossier, or is not an operator's."""


class Conflict(RequestRefused):
    """The request contradicts what is stored (e.g. moving a dossier to another firm)."""


class InvalidInput(RequestRefused):
    """A well-formed value that the rules refuse (e.g. a period in the future)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class Unavailable(RequestRefused):
    """A service paysync depends on did not answer in time; nothing was changed, try again later."""
