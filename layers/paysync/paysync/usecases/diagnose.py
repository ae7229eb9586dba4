"""The one place where vendor errors become diagnoses for firm staff."""

from __future__ import annotations

from datetime import datetime

from paysync.domain.diagnoses import Diagnosis, diagnosis, from_myunisoft
from paysync.domain.models import PayrollCredentialsInfo
from paysync.myunisoft.errors import MyUnisoftError, MyUnisoftTransientError
from paysync.silae.errors import (
    SilaeApiError,
    SilaeAuthenticationError,
    SilaeError,
    SilaeSubscriptionKeyError,
)


def diagnose_silae(
    error: SilaeError,
    *,
    credentials: PayrollCredentialsInfo | None,
    dossier_level: bool,
    now: datetime,
    dossier_accessible: bool | None = None,
) -> Diagnosis:
    """Diagnose a non-transient Silae failure.

    - token refused: ``SILAE13`` when the secret's known expiry has passed, else ``SILAE15``;
    - subscription key refused while a dossier-level override is in force: the conflict of the
      seed (delete the dossier-level settings); otherwise ``SubscriptionKeyInvalid`` / ``NotFound``;
    - an ``ApiErrors`` refusal on a dossier the access configuration cannot see: ``SILAE10``.
    """
    if isinstance(error, SilaeAuthenticationError):
        if credentials is not None and credentials.expires_at <= now:
            return diagnosis("SILAE13", expired_on=credentials.expires_at.date().isoformat())
        return diagnosis("SILAE15")
    if isinstance(error, SilaeSubscriptionKeyError):
        if error.reason == "SubscriptionKeyNotFound":
            return diagnosis("SubscriptionKeyNotFound")
        return diagnosis("SubscriptionKeyConflict" if dossier_level else "SubscriptionKeyInvalid")
    if isinstance(error, SilaeApiError):
        if dossier_accessible is False:
            return diagnosis("SILAE10")
        text = "; ".join(f"{e.code} {e.message}".strip() for e in error.errors) or str(error)
        return diagnosis("SILAE-API", arg=text, silae_codes=[e.code for e in error.errors])
    return diagnosis("SILAE-API", arg=str(error))


def diagnose_myunisoft(error: MyUnisoftError) -> Diagnosis:
    """Transient only when the client found it so (``MyUnisoftTransientError``)."""
    return from_myunisoft(
        error.code,
        error.message,
        error.request_id,
        transient=isinstance(error, MyUnisoftTransientError),
    )
