"""The three kinds of failure, and how each is handled.

- TransientError: network, 5xx, 429, Silae `recoverable: true`. Retried with backoff by the
  clients, then by SQS redelivery, then parked in the dead-letter queue.
- ConfigurationError: the firm's settings are wrong. Never retried: the run records a diagnosis
  and the firm is told.
- DataError: one entry cannot be posted (unbalanced, unknown account). That entry is blocked with
  a diagnosis; the dossier's other entries are posted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from paysync.domain.diagnoses import Diagnosis


class PaysyncError(Exception):
    """Base of every error paysync raises on purpose."""


class TransientError(PaysyncError):
    """Worth retrying later: nothing is wrong with the configuration or the data."""


class DiagnosedError(PaysyncError):
    """Carries a diagnosis meant for firm staff."""

    def __init__(self, diagnosis: Diagnosis) -> None:
        super().__init__(f"{diagnosis.code}: {diagnosis.message}")
        self.diagnosis = diagnosis


class ConfigurationError(DiagnosedError):
    """The settings are wrong; retrying cannot help until someone fixes them."""


class DataError(DiagnosedError):
    """One entry's data is wrong; it is blocked, the others go on."""
