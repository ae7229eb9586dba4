"""HTTP client of the Silae Paie REST API.

OAuth2 client credentials against Silae's Azure AD B2C, then JSON POSTs through Azure API
Management (``Ocp-Apim-Subscription-Key``). Tokens are cached per Client ID for the life of the
Lambda container; transient failures are retried here with exponential backoff and then raised
as typed errors (``paysync.silae.errors``). No secret, key or token ever reaches a message or a log.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import math
import re
import secrets
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any, Final, TypeVar
from zoneinfo import ZoneInfo

import httpx

from paysync.config import SilaeSettings
from paysync.domain.payroll import PayrollFile, PayrollGroup
from paysync.domain.periods import Period
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
    entries_request,
    files_request,
    parse_dossier_numbers,
    parse_files,
    parse_groups,
)

logger = logging.getLogger(__name__)

PARIS: Final = ZoneInfo("Europe/Paris")

LIST_DOSSIER_NUMBERS_PATH: Final = "/v1/InfosTechniquesDossiers/ListeNumerosDossiers"
ENTRIES_PATH: Final = "/v1/EcrituresComptables/EcrituresComptables4"
FILES_PATH: Final = "/v1/EcrituresComptables/RecupererFichiersEcrituresComptables"

SUBSCRIPTION_KEY_HEADER: Final = "Ocp-Apim-Subscription-Key"
DOSSIERS_HEADER: Final = "dossiers"
PRIMARY_EXPIRY_HEADER: Final = "X-PrimaryKeyExpirationWarning"
SECONDARY_EXPIRY_HEADER: Final = "X-SecondaryKeyExpirationWarning"

SUBSCRIPTION_KEY_INVALID: Final = "SubscriptionKeyInvalid"
SUBSCRIPTION_KEY_NOT_FOUND: Final = "SubscriptionKeyNotFound"

# A token is reused until this long before it expires, so it cannot lapse mid-request.
TOKEN_MARGIN_SECONDS: Final = 60.0
# Documented token lifetime, used only when the token response says nothing usable.
DEFAULT_TOKEN_LIFETIME_SECONDS: Final = 3600.0
# A Retry-After longer than this is not slept through inside a Lambda: the error is raised with it.
MAX_RETRY_AFTER_SECONDS: Final = 60.0

_T = TypeVar("_T")


# -- credentials and token cache --------------------------------------------------------------------


@dataclass(frozen=True)
class SilaeCredentials:
    """What a firm holds: Client ID and Client secret (API portal) and the clé de configuration."""

    client_id: str
    client_secret: str = field(repr=False)
    subscription_key: str = field(repr=False)


# Keyed hashes: a cache entry can tell a changed secret without keeping the secret itself.
_FINGERPRINT_KEY: Final = secrets.token_bytes(32)


def _fingerprint(*parts: str) -> str:
    return hmac.new(_FINGERPRINT_KEY, "\0".join(parts).encode("utf-8"), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class CachedToken:
    access_token: str = field(repr=False)
    expires_at: float  # epoch seconds, on the client's clock
    fingerprint: str = field(repr=False)  # keyed hash of (auth URL, scope, Client secret)


class TokenCache:
    """Thread-safe access tokens keyed by Client ID, reused until ``margin_seconds`` before expiry."""

    def __init__(self, margin_seconds: float = TOKEN_MARGIN_SECONDS) -> None:
        self.margin_seconds = margin_seconds
        self._lock = threading.Lock()
        self._entries: dict[str, CachedToken] = {}
        self._fetch_locks: dict[str, threading.Lock] = {}

    def get(self, client_id: str, fingerprint: str, now: float) -> str | None:
        """The cached token if it was issued for these credentials and is not about to expire."""
        with self._lock:
            entry = self._entries.get(client_id)
        if entry is None or not hmac.compare_digest(entry.fingerprint, fingerprint):
            return None
        if now >= entry.expires_at - self.margin_seconds:
            return None
        return entry.access_token

    def put(self, client_id: str, token: CachedToken) -> None:
        with self._lock:
            self._entries[client_id] = token

    def invalidate(self, client_id: str, access_token: str | None = None) -> None:
        """Forget the Client ID's token; with ``access_token``, only if it is still that one
        (another thread may already have replaced it)."""
        with self._lock:
            entry = self._entries.get(client_id)
            if entry is None:
                return
            if access_token is None or hmac.compare_digest(entry.access_token, access_token):
                del self._entries[client_id]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def fetch_lock(self, client_id: str) -> threading.Lock:
        """Serialises token fetches per Client ID so concurrent callers share one fetch."""
        with self._lock:
            return self._fetch_locks.setdefault(client_id, threading.Lock())

    def __contains__(self, client_id: object) -> bool:
        with self._lock:
            return client_id in self._entries


# One per Lambda container: a warm container fetches a token once per Client ID.
default_token_cache = TokenCache()


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


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


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


def _retry_after(response: httpx.Response, now: float) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - now
        except (TypeError, ValueError, IndexError):
            return None
    return max(seconds, 0.0) if math.isfinite(seconds) else None


class SilaeClient:
    """One firm's access to Silae: a Client ID / Client secret / clé de configuration triple."""

    def __init__(
        self,
        credentials: SilaeCredentials,
        settings: SilaeSettings,
        *,
        http: httpx.Client | None = None,
        token_cache: TokenCache | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._credentials = credentials
        self._settings = settings
        self._timeout = httpx.Timeout(settings.timeout_seconds)
        self._owns_http = http is None
        self._http = http if http is not None else httpx.Client(timeout=self._timeout)
        self._cache = token_cache if token_cache is not None else default_token_cache
        self._sleep = sleep
        self._clock = clock
        self._api_url = settings.api_url.rstrip("/")
        self._fingerprint = _fingerprint(settings.auth_url, settings.scope, credentials.client_secret)
        self._calls_lock = threading.Lock()
        self.calls = 0
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

    def fetch_entries(self, dossier_number: str, period: Period) -> list[PayrollGroup]:
        """The payroll journal entries of one dossier and month, one group per Silae rupture."""
        dossier = self._dossier(dossier_number)
        return parse_groups(self._post(ENTRIES_PATH, entries_request(dossier, period), (dossier,)))

    def fetch_files(self, dossier_number: str, period: Period) -> list[PayrollFile]:
        """The files (PJ) of the payroll accounting export of one dossier and month."""
        dossier = self._dossier(dossier_number)
        return parse_files(self._post(FILES_PATH, files_request(dossier, period), (dossier,)))

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> SilaeClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- plumbing -------------------------------------------------------------------------------
    @staticmethod
    def _dossier(dossier_number: str) -> str:
        dossier = dossier_number.strip()
        if not dossier:
            raise ValueError("dossier number is empty")
        return dossier

    def _redact(self, text: str) -> str:
        """Servers may echo what they were sent: never let a secret through into a message."""
        for secret in (self._credentials.client_secret, self._credentials.subscription_key):
            if secret:
                text = text.replace(secret, "***")
        return text

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        with self._calls_lock:
            self.calls += 1
        try:
            return self._http.request(method, url, timeout=self._timeout, **kwargs)
        except httpx.TimeoutException as exc:
            raise SilaeTransientError(f"Silae did not answer in time ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            detail = self._redact(str(exc))[:200]
            message = f"Silae could not be reached ({type(exc).__name__}: {detail})"
            raise SilaeTransientError(message) from None

    def _with_retries(self, what: str, attempt_once: Callable[[], _T]) -> _T:
        attempts = self._settings.max_attempts
        for attempt in range(1, attempts + 1):
            try:
                return attempt_once()
            except SilaeTransientError as exc:
                if attempt >= attempts:
                    raise
                delay = self._settings.backoff_seconds * 2 ** (attempt - 1)
                if isinstance(exc, SilaeRateLimitError) and exc.retry_after is not None:
                    if exc.retry_after > MAX_RETRY_AFTER_SECONDS:
                        raise  # the caller (SQS redelivery) waits better than a running Lambda
                    delay = exc.retry_after
                logger.warning(
                    "Silae %s failed, retrying (attempt %d of %d) in %.2fs: %s",
                    what,
                    attempt,
                    attempts,
                    delay,
                    exc,
                )
                self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    # -- token ----------------------------------------------------------------------------------
    def _access_token(self) -> str:
        client_id = self._credentials.client_id
        token = self._cache.get(client_id, self._fingerprint, self._clock())
        if token is not None:
            return token
        with self._cache.fetch_lock(client_id):
            token = self._cache.get(client_id, self._fingerprint, self._clock())
            if token is not None:
                return token
            fresh = self._with_retries("token request", self._fetch_token_once)
            self._cache.put(client_id, fresh)
            return fresh.access_token

    def _fetch_token_once(self) -> CachedToken:
        issued_at = self._clock()
        response = self._send(
            "POST",
            self._settings.auth_url,
            data={
                "grant_type": "client_credentials",
                "client_id": self._credentials.client_id,
                "client_secret": self._credentials.client_secret,
                "scope": self._settings.scope,
            },
            headers={"Accept": "application/json"},
        )
        status = response.status_code
        payload = _json_or_none(response)
        if status == 429:
            raise SilaeRateLimitError(
                "Silae token endpoint is rate limiting (HTTP 429)",
                retry_after=_retry_after(response, self._clock()),
            )
        if status == 408 or status >= 500:
            raise SilaeTransientError(f"Silae token endpoint failed (HTTP {status})", status=status)
        if status != 200:
            error = payload.get("error") if isinstance(payload, Mapping) else None
            description = payload.get("error_description") if isinstance(payload, Mapping) else None
            message = f"Silae refused the Client ID {self._credentials.client_id!r} and its Client secret"
            message += f" (HTTP {status}"
            message += f", {error}" if error else ""
            message += f": {str(description)[:300]})" if description else ")"
            raise SilaeAuthenticationError(
                self._redact(message), status=status, error=str(error) if error else None
            )
        if not isinstance(payload, Mapping) or not isinstance(payload.get("access_token"), str):
            raise SilaeResponseError("Silae token endpoint answered without an access_token", status=status)
        return CachedToken(
            access_token=payload["access_token"],
            expires_at=self._token_expiry(payload, issued_at),
            fingerprint=self._fingerprint,
        )

    @staticmethod
    def _token_expiry(payload: Mapping[str, Any], issued_at: float) -> float:
        # expires_in is relative, hence immune to clock skew with Silae; expires_on is the fallback.
        try:
            return issued_at + float(payload["expires_in"])
        except (KeyError, TypeError, ValueError):
            pass
        try:
            return float(payload["expires_on"])
        except (KeyError, TypeError, ValueError):
            return issued_at + DEFAULT_TOKEN_LIFETIME_SECONDS

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
                self._cache.invalidate(self._credentials.client_id, token)
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
            response = self._send("POST", url, headers=headers)
        else:
            response = self._send("POST", url, headers=headers, json=dict(body))
        self._record_expiry(response)
        if 200 <= response.status_code < 300:
            try:
                return response.json()
            except ValueError:
                raise SilaeResponseError(
                    f"Silae answered HTTP {response.status_code} with a body that is not JSON",
                    status=response.status_code,
                ) from None
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
        payload = _json_or_none(response)
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
                retry_after=_retry_after(response, self._clock()),
            )
        if _is_api_errors(payload):
            return self._from_api_errors(status, payload)
        if status == 408 or status >= 500:
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


__all__ = [
    "DOSSIERS_HEADER",
    "ENTRIES_PATH",
    "FILES_PATH",
    "LIST_DOSSIER_NUMBERS_PATH",
    "PRIMARY_EXPIRY_HEADER",
    "SECONDARY_EXPIRY_HEADER",
    "SUBSCRIPTION_KEY_HEADER",
    "CachedToken",
    "SilaeClient",
    "SilaeCredentials",
    "TokenCache",
    "default_token_cache",
    "parse_expiration_warning",
]
