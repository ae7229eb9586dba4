"""OAuth2 client credentials against Silae's Azure AD B2C, and the tokens a container keeps.

A warm Lambda container fetches one access token per Client ID and reuses it until
``TOKEN_MARGIN_SECONDS`` before it expires; concurrent callers share one fetch. A cache entry keeps
a keyed hash of the secret it was fetched with, never the secret, so a regenerated secret is never
served the old secret's token. Sending the request and retrying it is the client's job
(``paysync.silae.client``); what to send and how to read the answer is here.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import httpx

from paysync.config import SilaeSettings
from paysync.silae.errors import (
    SilaeAuthenticationError,
    SilaeRateLimitError,
    SilaeResponseError,
    SilaeTransientError,
)
from paysync.vendor_http.headers import retry_after
from paysync.vendor_http.jsonbody import json_or_none
from paysync.vendor_http.retry import is_transient_status

# A token is reused until this long before it expires, so it cannot lapse mid-request.
TOKEN_MARGIN_SECONDS: Final = 60.0
# Documented token lifetime, used only when the token response says nothing usable.
DEFAULT_TOKEN_LIFETIME_SECONDS: Final = 3600.0


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
    """A Silae access token, when it stops being usable, and a keyed hash of the secret that got it."""

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


class SilaeAuth:
    """One client's access tokens: what the token endpoint is sent, how its answer is read, and the
    cache it is kept in."""

    def __init__(self, credentials: SilaeCredentials, settings: SilaeSettings, cache: TokenCache) -> None:
        self._credentials = credentials
        self._cache = cache
        self.auth_url = settings.auth_url
        self._scope = settings.scope
        self._fingerprint = _fingerprint(settings.auth_url, settings.scope, credentials.client_secret)

    def access_token(self, now: Callable[[], float], fetch: Callable[[], CachedToken]) -> str:
        """The cached token, or the one ``fetch`` brings (once for all concurrent callers)."""
        client_id = self._credentials.client_id
        token = self._cache.get(client_id, self._fingerprint, now())
        if token is not None:
            return token
        with self._cache.fetch_lock(client_id):
            token = self._cache.get(client_id, self._fingerprint, now())
            if token is not None:
                return token
            fresh = fetch()
            self._cache.put(client_id, fresh)
            return fresh.access_token

    def invalidate(self, access_token: str) -> None:
        """The API refused ``access_token``: the next call fetches a new one."""
        self._cache.invalidate(self._credentials.client_id, access_token)

    def token_form(self) -> dict[str, str]:
        """The client-credentials grant, form-encoded by the caller."""
        return {
            "grant_type": "client_credentials",
            "client_id": self._credentials.client_id,
            "client_secret": self._credentials.client_secret,
            "scope": self._scope,
        }

    def read_token_answer(
        self, response: httpx.Response, *, issued_at: float, now: float, redact: Callable[[str], str]
    ) -> CachedToken:
        """The token of a 200, or the typed error of anything else (429 and 408/5xx transient)."""
        status = response.status_code
        payload = json_or_none(response)
        if status == 429:
            raise SilaeRateLimitError(
                "Silae token endpoint is rate limiting (HTTP 429)",
                retry_after=retry_after(response.headers, now),
            )
        if is_transient_status(status):
            raise SilaeTransientError(f"Silae token endpoint failed (HTTP {status})", status=status)
        if status != 200:
            error = payload.get("error") if isinstance(payload, Mapping) else None
            description = payload.get("error_description") if isinstance(payload, Mapping) else None
            message = f"Silae refused the Client ID {self._credentials.client_id!r} and its Client secret"
            message += f" (HTTP {status}"
            message += f", {error}" if error else ""
            message += f": {str(description)[:300]})" if description else ")"
            raise SilaeAuthenticationError(
                redact(message), status=status, error=str(error) if error else None
            )
        if not isinstance(payload, Mapping) or not isinstance(payload.get("access_token"), str):
            raise SilaeResponseError("Silae token endpoint answered without an access_token", status=status)
        return CachedToken(
            access_token=payload["access_token"],
            expires_at=token_expiry(payload, issued_at),
            fingerprint=self._fingerprint,
        )


def token_expiry(payload: Mapping[str, Any], issued_at: float) -> float:
    # expires_in is relative, hence immune to clock skew with Silae; expires_on is the fallback.
    try:
        return issued_at + float(payload["expires_in"])
    except (KeyError, TypeError, ValueError):
        pass
    try:
        return float(payload["expires_on"])
    except (KeyError, TypeError, ValueError):
        return issued_at + DEFAULT_TOKEN_LIFETIME_SECONDS


__all__ = [
    "DEFAULT_TOKEN_LIFETIME_SECONDS",
    "TOKEN_MARGIN_SECONDS",
    "CachedToken",
    "SilaeAuth",
    "SilaeCredentials",
    "TokenCache",
    "default_token_cache",
    "token_expiry",
]
