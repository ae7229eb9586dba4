"""HTTP client of the Silae Paie REST API.

JSON POSTs through Azure API Management (``Ocp-Apim-Subscription-Key``) with a bearer token from
``paysync.silae.auth`` (OAuth2, cached per Client ID for the life of the Lambda container).
Transient failures are retried by the shared policy (``paysync.vendor_http.retry``), then raised as
typed errors (``paysync.silae.errors``). What is Silae's own stays here: a refused token is
refreshed once, API Management's refusals of the clé de configuration are told apart from token
refusals, and the key expiry warning headers are read. No secret, key or token ever reaches a
message or a log.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, TypeVar, Unpack
from zoneinfo import ZoneInfo

import httpx

from paysync.config import SilaeSettings
from paysync.domain.payroll import PayrollFile, PayrollGroup
from paysync.domain.periods import Period
from paysync.silae.auth import CachedToken, SilaeAuth, SilaeCredentials, TokenCache, default_token_cache
from paysync.silae.errors import (
    SilaeApiError,
    SilaeAuthenticationError,
    SilaeError,
    SilaeErrorItem,
    SilaeRateLimitError,
    SilaeRecoverableApiError,
    SilaeResponseError,
    SilaeSubscriptionKeyError,
    SilaeTransientError,
)
from paysync.silae.models import (
    dossiers_request,
    entries_request,
    files_request,
    parse_dossier_numbers,
    parse_dossiers,
    parse_files,
    parse_groups,
    parse_open_period,
)
from paysync.vendor_http.client import ClientOptions, VendorClient
from paysync.vendor_http.headers import retry_after
from paysync.vendor_http.jsonbody import decode_json, json_or_none
from paysync.vendor_http.retry import is_transient_status

if TYPE_CHECKING:
    from paysync.domain.discovery import PayrollDossier

logger = logging.getLogger(__name__)

PARIS: Final = ZoneInfo("Europe/Paris")

LIST_DOSSIER_NUMBERS_PATH: Final = "/v1/InfosTechniquesDossiers/ListeNumerosDossiers"
LIST_DOSSIERS_PATH: Final = "/v1/InfosTechniquesDossiers/ListeDossiers"
ENTRIES_PATH: Final = "/v1/EcrituresComptables/EcrituresComptables4"
FILES_PATH: Final = "/v1/EcrituresComptables/RecupererFichiersEcrituresComptables"
OPEN_PERIOD_PATH: Final = "/v1/InfosTechniquesDossiers/DossierRecupererPeriodeEnCours"

SUBSCRIPTION_KEY_HEADER: Final = "Ocp-Apim-Subscription-Key"
DOSSIERS_HEADER: Final = "dossiers"
PRIMARY_EXPIRY_HEADER: Final = "X-PrimaryKeyExpirationWarning"
SECONDARY_EXPIRY_HEADER: Final = "X-SecondaryKeyExpirationWarning"

SUBSCRIPTION_KEY_INVALID: Final = "SubscriptionKeyInvalid"
SUBSCRIPTION_KEY_NOT_FOUND: Final = "SubscriptionKeyNotFound"

_T = TypeVar("_T")


# -- expiration warning headers ---------------------------------------------------------------------

_EXPIRY = re.compile(
    r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s+(\d{1,2}):(\d{2}):(\d{2})(?:\s*([AaPp])\.?\s*[Mm]\.?)?\s*$"
)


def parse_expiration_warning(value: str) -> datetime:
    """``DD/MM/YYYY HH:MM:SS AM|PM`` (Silae's expiry headers) as an aware Europe/Paris datetime.

    Parsed by hand rather than with ``%p``, which depends on the process locale. A value without
    AM/PM is read as a 24-hour time. Raises ValueError on anything else.
    """
    match = _EXPIRY.match(value)
    if match is None:
        raise ValueError(f"not a Silae expiration date: {value[:64]!r}")
    day, month, year, hour, minute, second = (int(group) for group in match.groups()[:6])
    meridiem = match.group(7)
    if meridiem is not None:
        if not 1 <= hour <= 12:
            raise ValueError(f"hour {hour} is not a 12-hour clock hour: {value[:64]!r}")
        hour = hour % 12 + (12 if meridiem.upper() == "P" else 0)
    return datetime(year, month, day, hour, minute, second, tzinfo=PARIS)


# -- client -----------------------------------------------------------------------------------------


class _TokenRejectedError(Exception):
    """The API refused the bearer token: refresh it once, outside the transient retry loop.

    ``error`` is what to raise instead if the fresh token is refused too and the body said more.
    """

    def __init__(self, error: SilaeError | None = None) -> None:
        super().__init__("access token refused")
        self.error = error


def _is_api_errors(payload: Any) -> bool:
    return isinstance(payload, Mapping) and isinstance(payload.get("errors"), list)


_SUBSCRIPTION_MISSING = re.compile(r"missing\s+subscription\s+key", re.IGNORECASE)
_SUBSCRIPTION_ANY = re.compile(r"subscription\s+key", re.IGNORECASE)
_TOKEN_WORDS = re.compile(r"token|jeton|jwt|bearer|expired|expiré", re.IGNORECASE)


def _subscription_key_reason(payload: Any, text: str) -> str | None:
    """Azure API Management's reason for refusing the clé de configuration, if that is the refusal."""
    if isinstance(payload, Mapping):
        for key in ("reason", "code", "error", "errorCode"):
            if payload.get(key) in (SUBSCRIPTION_KEY_INVALID, SUBSCRIPTION_KEY_NOT_FOUND):
                return str(payload[key])
    if SUBSCRIPTION_KEY_NOT_FOUND in text:
        return SUBSCRIPTION_KEY_NOT_FOUND
    if SUBSCRIPTION_KEY_INVALID in text:
        return SUBSCRIPTION_KEY_INVALID
    if _SUBSCRIPTION_MISSING.search(text):
        return SUBSCRIPTION_KEY_NOT_FOUND
    if _SUBSCRIPTION_ANY.search(text):
        return SUBSCRIPTION_KEY_INVALID
    return None


class SilaeClient(VendorClient):
    """One firm's access to Silae: a Client ID / Client secret / clé de configuration triple."""

    def __init__(
        self,
        credentials: SilaeCredentials,
        settings: SilaeSettings,
        *,
        token_cache: TokenCache = default_token_cache,
        **options: Unpack[ClientOptions],
    ) -> None:
        super().__init__(
            settings, secrets=(credentials.client_secret, credentials.subscription_key), **options
        )
        self._credentials = credentials
        self._auth = SilaeAuth(credentials, settings, token_cache)
        self._api_url = settings.api_url.rstrip("/")
        self.key_expiry: datetime | None = None
        self.secondary_key_expiry: datetime | None = None

    def __repr__(self) -> str:
        return f"SilaeClient(client_id={self._credentials.client_id!r}, api_url={self._api_url!r})"

    # -- public API -----------------------------------------------------------------------------
    def check_token(self) -> None:
        """Get an access token (cached or new) or raise SilaeAuthenticationError / SilaeTransientError."""
        self._access_token()

    def list_dossier_numbers(self) -> list[str]:
        """The dossier numbers the access configuration may reach."""
        return parse_dossier_numbers(self._post(LIST_DOSSIER_NUMBERS_PATH, None, None))

    def list_dossiers(self) -> list[PayrollDossier]:
        """Every dossier the access configuration may reach, with its name, SIRET and state.

        Like ``ListeNumerosDossiers`` it concerns no dossier in particular: no ``dossiers`` header.
        """
        return parse_dossiers(self._post(LIST_DOSSIERS_PATH, dossiers_request(), None))

    def fetch_entries(self, dossier_number: str, period: Period) -> list[PayrollGroup]:
        """The payroll journal entries of one dossier and month, one group per Silae rupture."""
        dossier = self._dossier(dossier_number)
        return parse_groups(self._post(ENTRIES_PATH, entries_request(dossier, period), (dossier,)))

    def fetch_files(self, dossier_number: str, period: Period) -> list[PayrollFile]:
        """The files (PJ) of the payroll accounting export of one dossier and month."""
        dossier = self._dossier(dossier_number)
        return parse_files(self._post(FILES_PATH, files_request(dossier, period), (dossier,)))

    def open_period(self, dossier_number: str) -> Period | None:
        """The dossier's current payroll period in Silae (``periodeEnCours``): not closed yet; every
        month before it is. None when Silae does not say."""
        dossier = self._dossier(dossier_number)
        return parse_open_period(self._post(OPEN_PERIOD_PATH, {"numeroDossier": dossier}, (dossier,)))

    # -- plumbing -------------------------------------------------------------------------------
    @staticmethod
    def _dossier(dossier_number: str) -> str:
        dossier = dossier_number.strip()
        if not dossier:
            raise ValueError("dossier number is empty")
        return dossier

    def _call(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            return self._send(method, url, **kwargs)
        except httpx.TimeoutException as exc:
            raise SilaeTransientError(f"Silae did not answer in time ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            detail = self._redact(str(exc))[:200]
            message = f"Silae could not be reached ({type(exc).__name__}: {detail})"
            raise SilaeTransientError(message) from None

    def _with_retries(self, what: str, attempt_once: Callable[[], _T]) -> _T:
        def wait(failure: SilaeTransientError, attempt: int) -> float | None:
            server_wait = failure.retry_after if isinstance(failure, SilaeRateLimitError) else None
            delay = self._retry.wait(attempt, server_wait)
            if delay is not None:
                logger.warning(
                    "Silae %s failed, retrying (attempt %d of %d) in %.2fs: %s",
                    what,
                    attempt,
                    self._retry.attempts,
                    delay,
                    failure,
                )
            return delay

        return self._retry.run(
            lambda _attempt: attempt_once(), retryable=SilaeTransientError, wait=wait, sleep=self._sleep
        )

    # -- token ----------------------------------------------------------------------------------
    def _access_token(self) -> str:
        fetch = functools.partial(self._with_retries, "token request", self._fetch_token_once)
        return self._auth.access_token(self._clock, fetch)

    def _fetch_token_once(self) -> CachedToken:
        issued_at = self._clock()
        response = self._call(
            "POST", self._auth.auth_url, data=self._auth.token_form(), headers={"Accept": "application/json"}
        )
        return self._auth.read_token_answer(
            response, issued_at=issued_at, now=self._clock(), redact=self._redact
        )

    # -- API calls ------------------------------------------------------------------------------
    def _post(self, path: str, body: Mapping[str, Any] | None, dossiers: Sequence[str] | None) -> Any:
        url = self._api_url + path
        refreshed = False
        while True:
            token = self._access_token()
            try:
                attempt = functools.partial(self._post_once, url, body, dossiers, token)
                return self._with_retries(path, attempt)
            except _TokenRejectedError as rejected:
                self._auth.invalidate(token)
                if refreshed:
                    if rejected.error is not None:
                        raise rejected.error from None
                    raise SilaeAuthenticationError(
                        "Silae API refused a freshly issued access token (HTTP 401)",
                        status=401,
                        error="invalid_token",
                    ) from None
                logger.info("Silae API refused the cached access token: fetching a new one")
                refreshed = True

    def _post_once(
        self, url: str, body: Mapping[str, Any] | None, dossiers: Sequence[str] | None, token: str
    ) -> Any:
        headers = {
            "Authorization": f"Bearer {token}",
            SUBSCRIPTION_KEY_HEADER: self._credentials.subscription_key,
            "Accept": "application/json",
        }
        if dossiers is not None:
            headers[DOSSIERS_HEADER] = ",".join(dossiers)
        if body is None:
            response = self._call("POST", url, headers=headers)
        else:
            response = self._call("POST", url, headers=headers, json=dict(body))
        self._record_expiry(response)
        status = response.status_code
        if 200 <= status < 300:
            not_json = f"Silae answered HTTP {status} with a body that is not JSON"
            return decode_json(response, lambda: SilaeResponseError(not_json, status=status))
        raise self._api_error(response)

    def _record_expiry(self, response: httpx.Response) -> None:
        for header, attribute in (
            (PRIMARY_EXPIRY_HEADER, "key_expiry"),
            (SECONDARY_EXPIRY_HEADER, "secondary_key_expiry"),
        ):
            value = response.headers.get(header)
            if value is None:
                continue
            try:
                setattr(self, attribute, parse_expiration_warning(value))
            except ValueError:
                logger.warning("Ignoring unreadable %s header: %r", header, value[:64])

    def _api_error(self, response: httpx.Response) -> Exception:
        status = response.status_code
        payload = json_or_none(response)
        text = self._redact(response.text[:1000])
        if status == 401:
            reason = _subscription_key_reason(payload, text)
            if reason is not None:
                message = payload.get("message") if isinstance(payload, Mapping) else None
                return SilaeSubscriptionKeyError(
                    f"Silae API gateway refused the clé de configuration ({reason}): "
                    + self._redact(str(message or text))[:300],
                    status=status,
                    reason=reason,
                )
            bearer_challenge = "bearer" in response.headers.get("WWW-Authenticate", "").lower()
            if bearer_challenge or not _is_api_errors(payload) or _TOKEN_WORDS.search(text):
                # Anything else a 401 can mean: one refresh is cheap and settles it.
                return _TokenRejectedError(
                    self._from_api_errors(status, payload) if _is_api_errors(payload) else None
                )
        if status == 429:
            return SilaeRateLimitError(
                f"Silae API is rate limiting (HTTP 429): {text[:200]}",
                retry_after=retry_after(response.headers, self._clock()),
            )
        if _is_api_errors(payload):
            return self._from_api_errors(status, payload)
        if is_transient_status(status):
            return SilaeTransientError(f"Silae API failed (HTTP {status}): {text[:200]}", status=status)
        return SilaeApiError(f"Silae API answered HTTP {status}: {text[:300]}", status=status)

    def _from_api_errors(self, status: int, payload: Mapping[str, Any]) -> SilaeError:
        items = tuple(
            SilaeErrorItem(code=str(item.get("code", "")), message=self._redact(str(item.get("message", ""))))
            for item in payload["errors"]
            if isinstance(item, Mapping)
        )
        recoverable = payload.get("recoverable") is True
        source = payload.get("source")
        source = str(source) if source is not None else None
        summary = "; ".join(f"{item.code} {item.message}".strip() for item in items) or "no detail"
        message = (
            f"Silae API error (HTTP {status}, source {source or 'unknown'}, "
            f"{'recoverable' if recoverable else 'not recoverable'}): {summary[:500]}"
        )
        kind = SilaeRecoverableApiError if recoverable else SilaeApiError
        return kind(message, status=status, errors=items, recoverable=recoverable, source=source)


# SilaeCredentials and TokenCache are defined with the OAuth2 they serve, and exported here with
# the client they build.
__all__ = [
    "DOSSIERS_HEADER",
    "ENTRIES_PATH",
    "FILES_PATH",
    "LIST_DOSSIERS_PATH",
    "LIST_DOSSIER_NUMBERS_PATH",
    "OPEN_PERIOD_PATH",
    "PRIMARY_EXPIRY_HEADER",
    "SECONDARY_EXPIRY_HEADER",
    "SUBSCRIPTION_KEY_HEADER",
    "SilaeClient",
    "SilaeCredentials",
    "TokenCache",
    "parse_expiration_warning",
]
