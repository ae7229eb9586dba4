"""HTTP client of the MyUnisoft API Partenaires, the few routes paysync needs.

Every call carries ``Authorization: Bearer <token>`` and ``X-Third-Party-Secret``, plus
``society-id`` when the token is a cabinet (firm) token. Every call first waits for the token's
``RatePacer`` and every answer feeds it the ``X-Rate-Limit-*`` headers. Every answer's
``request-id`` is kept (``last_request_id``, ``request_ids``) so it can be logged with what it
concerns and quoted to MyUnisoft's support.

Failures: an ``{"error": {code, message, details}}`` body becomes a ``MyUnisoftError`` carrying the
code, the message, the HTTP status and the request id. Transient ones (429, 5xx, maintenance, too
many concurrent requests, timeouts, connection errors) become ``MyUnisoftTransientError`` and are
retried here with exponential backoff up to ``settings.max_attempts`` attempts; on a 429 the next
attempt waits for ``X-Rate-Limit-Reset`` through the pacer.

Writes are not blindly repeated: when a write may have been applied although its answer was lost
(timeout or broken connection after sending, 5xx), ``create_entry`` looks the entry up by its
``entry_origin_partner_id`` before trying again (and returns the existing entry, ``recovered=True``,
when MyUnisoft says the id is already used), while ``attach_document`` raises
``MyUnisoftAmbiguousWriteError`` for the caller to decide. Refusals at the gateway (429,
maintenance) are always safe to repeat.

Route choices:
- the chart of accounts is read with ``GET /account?mode=2`` and no ``begin_by``: the route the
  vendor's guide "Récupérer et travailler avec le plan comptable" gives for the whole chart, in one
  call, with ``closed``/``blocked`` and ``rows_number``/``pages_number`` (so a partial answer shows).
  ``GET /account/v2`` also lists every account but says nothing about completeness;
- "not found" on ``GET /entry/id?id_origin=`` is a 2xx without a ``PartnersEntryMetadata``
  (empty body, ``null``, ``{}``, ``[]``). The docs define no error code for it, and every non-2xx
  carries a catalogued code, so an error answer (a 404 included) is raised, never read as "absent":
  reading an error as "absent" could post an entry twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from paysync import __version__
from paysync.config import MyUnisoftSettings
from paysync.myunisoft.errors import (
    DUPLICATE_ORIGIN_CODE,
    HTTP_ERROR_CODE,
    NETWORK_ERROR_CODE,
    TOO_MANY_CONCURRENT_REQUESTS,
    TRANSIENT_CODES,
    UNDER_MAINTENANCE,
    UNEXPECTED_RESPONSE_CODE,
    MyUnisoftAmbiguousWriteError,
    MyUnisoftError,
    MyUnisoftTransientError,
)
from paysync.myunisoft.jsonbody import JsonBody
from paysync.myunisoft.models import Account, CreatedEntry, Diary, Exercice, FoundEntry, KeyInfo
from paysync.myunisoft.ratelimit import RatePacer, pacer_for, resolve_reset, token_digest
from paysync.observability import logger

__all__ = ["MAX_BACKOFF_SECONDS", "MyUnisoftAccess", "MyUnisoftClient"]

MAX_BACKOFF_SECONDS = 30.0
_MAX_MESSAGE = 500
# Transport failures raised before the request could reach the server: always safe to repeat.
_NOT_SENT: tuple[type[Exception], ...] = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class MyUnisoftAccess:
    """What a dossier needs to call MyUnisoft. ``society_id`` set means a cabinet (firm) token."""

    token: str = field(repr=False)
    partner_secret: str = field(repr=False)
    society_id: int | None = None

    @property
    def is_cabinet(self) -> bool:
        return self.society_id is not None

    @property
    def token_identity(self) -> str:
        """SHA-256 of the token: safe to log, to key caches and FIFO message groups on."""
        return token_digest(self.token)


def _header_float(headers: httpx.Headers, name: str) -> float | None:
    raw = headers.get(name)
    if raw is None:
        return None
    try:
        return float(raw.strip())
    except ValueError:
        return None


def _header_int(headers: httpx.Headers, name: str) -> int | None:
    value = _header_float(headers, name)
    return None if value is None else int(value)


class MyUnisoftClient:
    """One token's client. Not meant to be shared between threads (the pacer is)."""

    def __init__(
        self,
        access: MyUnisoftAccess,
        settings: MyUnisoftSettings,
        *,
        http: httpx.Client | None = None,
        pacer: RatePacer | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._access = access
        self._settings = settings
        self._base = settings.api_url.rstrip("/")
        self._owns_http = http is None
        self._http = http if http is not None else httpx.Client(timeout=settings.timeout_seconds)
        self._sleep = sleep
        self._clock = clock
        self._pacer = pacer or pacer_for(
            access.token, settings.rate_limit, settings.rate_window_seconds, clock=clock, sleep=sleep
        )
        self.last_request_id: str | None = None
        self.request_ids: list[str] = []
        self.calls = 0

    def __repr__(self) -> str:
        return (
            f"MyUnisoftClient(api_url={self._base!r}, token=sha256:{self._access.token_identity[:12]}, "
            f"society_id={self._access.society_id!r})"
        )

    @property
    def pacer(self) -> RatePacer:
        return self._pacer

    # -- lifecycle ----------------------------------------------------------------------------------
    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- routes -------------------------------------------------------------------------------------
    def key_info(self) -> KeyInfo:
        """``GET /key/info?mode=extended``: the token's kind, target and routes. Activates a new key."""
        payload = self._json(self._request("GET", "/key/info", params={"mode": "extended"}))
        return self._parse(KeyInfo, payload)

    def list_diaries(self) -> list[Diary]:
        """``GET /diary``: every journal of the dossier."""
        payload = self._json(self._request("GET", "/diary"))
        return [self._parse(Diary, item) for item in self._list(payload, "/diary")]

    def list_accounts(self) -> list[Account]:
        """The whole chart of accounts in one call: ``GET /account?mode=2`` (no ``begin_by``)."""
        payload = self._json(self._request("GET", "/account", params={"mode": 2}))
        if isinstance(payload, Mapping):
            pages = payload.get("pages_number")
            if isinstance(pages, int) and pages > 1:
                # No page parameter is documented: what came is used, missing accounts are found
                # (or created) one by one through find_or_create_account.
                logger.warning(
                    "MyUnisoft chart of accounts answered in several pages; only the first was read",
                    extra={"pages_number": pages, "rows_number": payload.get("rows_number")},
                )
            payload = payload.get("account_array") or []
        return [self._parse(Account, item) for item in self._list(payload, "/account")]

    def find_or_create_account(self, number: str, label: str) -> Account:
        """``POST /account``: the account with this number, created when missing.

        MyUnisoft may normalise the number (the Postman example turns ``251`` into ``251000``):
        use the returned ``account_id`` and ``account_number``.
        """
        body = {"account_number": number, "label": label}
        payload = self._json(self._request("POST", "/account", json_body=body))
        return self._parse(Account, payload)

    def find_entry_by_origin(self, partner_id: str) -> FoundEntry | None:
        """``GET /entry/id?id_origin=``: the entry carrying this ``entry_origin_partner_id``, or None."""
        response = self._request("GET", "/entry/id", params={"id_origin": partner_id})
        if not response.content.strip():
            return None
        payload = self._json(response)
        if isinstance(payload, list):
            payload = payload[0] if payload else None
        if not isinstance(payload, Mapping) or payload.get("id_entry") is None:
            return None
        return self._parse(FoundEntry, payload)

    def create_entry(self, body: dict[str, Any]) -> CreatedEntry:
        """``POST /entry?type=e``: create one entry (a ``NewEntry`` body).

        Never creates two entries with one ``entry_origin_partner_id``: when the answer is lost
        after sending (timeout, broken connection, 5xx), the entry is looked up by that id before
        any new attempt (found: returned with ``recovered=True``; absent: posted again), and an
        answer saying the id is already used (``GBL6``) returns the existing entry the same way.
        Without a partner id a lost answer is raised as ``MyUnisoftAmbiguousWriteError``.
        """
        partner_id = body.get("entry_origin_partner_id")
        partner_id = partner_id if isinstance(partner_id, str) and partner_id else None
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._request(
                    "POST", "/entry", params={"type": "e"}, json_body=body, idempotent=False
                )
            except MyUnisoftAmbiguousWriteError:
                if partner_id is None or attempt >= self._settings.max_attempts:
                    raise
                found = self.find_entry_by_origin(partner_id)
                if found is not None:
                    logger.info(
                        "MyUnisoft entry found after a lost answer",
                        extra={"entry_id": found.id_entry, "request_id": self.last_request_id},
                    )
                    return CreatedEntry(
                        entry_id=found.id_entry, request_id=self.last_request_id, recovered=True
                    )
                self._sleep(self._backoff(attempt))
                continue
            except MyUnisoftError as error:
                # The id is already used: our own earlier attempt (or run) created the entry.
                if error.code == DUPLICATE_ORIGIN_CODE and partner_id is not None:
                    found = self.find_entry_by_origin(partner_id)
                    if found is not None:
                        return CreatedEntry(
                            entry_id=found.id_entry, request_id=self.last_request_id, recovered=True
                        )
                raise
            request_id = self.last_request_id
            entry_id = CreatedEntry.find_entry_id(self._json(response, allow_empty=True))
            if entry_id is not None:
                return CreatedEntry(entry_id=entry_id, request_id=request_id)
            if partner_id is not None:
                found = self.find_entry_by_origin(partner_id)
                if found is not None:
                    return CreatedEntry(entry_id=found.id_entry, request_id=request_id, recovered=True)
            raise MyUnisoftError(
                UNEXPECTED_RESPONSE_CODE,
                "POST /entry answered without an entry id",
                status=response.status_code,
                request_id=request_id,
            )

    def attach_document(self, entry_id: int, filename: str, content: bytes) -> None:
        """``POST /document/add_all_types``: attach a file (raw bytes) to an existing entry."""
        params: dict[str, str | int] = {
            "location": "ENTRIES",
            "object_id": entry_id,
            "filename_extension": filename,
            "type_result": 1,
        }
        self._request(
            "POST",
            "/document/add_all_types",
            params=params,
            content=content,
            content_type="application/octet-stream",
            idempotent=False,
        )

    def list_exercices(self) -> list[Exercice]:
        """``GET /society/exercice``: the dossier's fiscal years."""
        payload = self._json(self._request("GET", "/society/exercice"))
        return [self._parse(Exercice, item) for item in self._list(payload, "/society/exercice")]

    def health(self) -> bool:
        """``GET /api/partners/health`` (no auth, not paced): is the API up?"""
        root = self._base[: -len("/v1")] if self._base.endswith("/v1") else self._base
        try:
            response = self._http.get(f"{root}/partners/health", timeout=self._settings.timeout_seconds)
        except httpx.HTTPError:
            return False
        self._remember_request_id(response.headers.get("request-id"))
        return response.is_success

    # -- transport ----------------------------------------------------------------------------------
    def _headers(self, content_type: str | None) -> dict[str, str]:
        headers = {
            "Authorization": f"Bearer {self._access.token}",
            "X-Third-Party-Secret": self._access.partner_secret,
            "Accept": "application/json",
            "User-Agent": f"paysync/{__version__}",
        }
        if self._access.society_id is not None:
            headers["society-id"] = str(self._access.society_id)
        if content_type is not None:
            headers["Content-Type"] = content_type
        return headers

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        json_body: Any = None,
        content: bytes | None = None,
        content_type: str | None = None,
        idempotent: bool = True,
    ) -> httpx.Response:
        """One logical call: pace, send, read; retry transient failures; raise the rest."""
        url = self._base + path
        attempts = self._settings.max_attempts
        headers = self._headers("application/json" if json_body is not None else content_type)
        body: JsonBody | bytes | None = content
        if json_body is not None:
            # Serialised once for every attempt, in pieces: attachments are not copied whole.
            body = JsonBody(json_body)
            headers["Content-Length"] = str(len(body))
        attempt = 0
        while True:
            attempt += 1
            self._pacer.acquire(sleep=self._sleep)
            self.calls += 1
            started = self._clock()
            error: MyUnisoftTransientError
            wait: float
            try:
                response = self._http.request(
                    method,
                    url,
                    params=dict(params) if params else None,
                    content=body,
                    headers=headers,
                    timeout=self._settings.timeout_seconds,
                )
            except httpx.TransportError as exc:
                sent = not isinstance(exc, _NOT_SENT)
                ambiguous = sent and not idempotent
                kind = MyUnisoftAmbiguousWriteError if ambiguous else MyUnisoftTransientError
                error = kind(NETWORK_ERROR_CODE, f"{type(exc).__name__} on {method} {path}")
                wait = self._backoff(attempt)
                self._log(
                    method=method,
                    path=path,
                    status=None,
                    request_id=None,
                    started=started,
                    attempt=attempt,
                    code=error.code,
                )
            else:
                self._record(response)
                request_id = response.headers.get("request-id")
                if response.is_success:
                    self._log(
                        method=method,
                        path=path,
                        status=response.status_code,
                        request_id=request_id,
                        started=started,
                        attempt=attempt,
                        code=None,
                    )
                    return response
                failure = self._error_from(response)
                self._log(
                    method=method,
                    path=path,
                    status=response.status_code,
                    request_id=failure.request_id,
                    started=started,
                    attempt=attempt,
                    code=failure.code,
                )
                if not isinstance(failure, MyUnisoftTransientError):
                    raise failure
                if not idempotent and self._maybe_applied(response, failure):
                    raise MyUnisoftAmbiguousWriteError(
                        failure.code, failure.message, status=failure.status, request_id=failure.request_id
                    )
                error = failure
                wait = self._retry_wait(attempt, response, failure)
            if isinstance(error, MyUnisoftAmbiguousWriteError) or attempt >= attempts:
                raise error
            if wait > 0:
                self._sleep(wait)

    def _record(self, response: httpx.Response) -> None:
        """Keep the request id; feed the pacer the rate-limit headers."""
        self._remember_request_id(response.headers.get("request-id"))
        headers = response.headers
        self._pacer.note_total(_header_int(headers, "x-rate-limit-total"))
        self._pacer.note_remaining(
            _header_int(headers, "x-rate-limit-remaining"), _header_float(headers, "x-rate-limit-reset")
        )

    def _remember_request_id(self, request_id: str | None) -> None:
        if request_id:
            self.last_request_id = request_id
            self.request_ids.append(request_id)

    def _backoff(self, attempt: int) -> float:
        return float(min(MAX_BACKOFF_SECONDS, self._settings.backoff_seconds * (2 ** (attempt - 1))))

    def _retry_wait(self, attempt: int, response: httpx.Response, error: MyUnisoftError) -> float:
        """Seconds to sleep before the next attempt (0 when the pacer will do the waiting)."""
        backoff = self._backoff(attempt)
        if response.status_code == 429 and error.code not in TOO_MANY_CONCURRENT_REQUESTS:
            reset = _header_float(response.headers, "x-rate-limit-reset")
            if reset is not None and resolve_reset(reset, self._clock()) > self._clock():
                self._pacer.note_reset(reset)
                return 0.0
        retry_after = _header_float(response.headers, "retry-after")
        if retry_after is not None and 0 < retry_after <= MAX_BACKOFF_SECONDS:
            return max(backoff, retry_after)
        return backoff

    @staticmethod
    def _maybe_applied(response: httpx.Response, error: MyUnisoftError) -> bool:
        """Whether a failed write may still have been applied by the server."""
        if response.status_code == 429 or error.code in TRANSIENT_CODES:
            return False  # refused at the gateway: rate limit, concurrency, maintenance
        return response.status_code >= 500

    def _scrub(self, text: str) -> str:
        for secret in (self._access.token, self._access.partner_secret):
            if secret:
                text = text.replace(secret, "***")
        return text[:_MAX_MESSAGE]

    def _error_from(self, response: httpx.Response) -> MyUnisoftError:
        status = response.status_code
        request_id = response.headers.get("request-id")
        code, message = HTTP_ERROR_CODE, f"HTTP {status}"
        try:
            payload = response.json()
        except ValueError:
            payload = None
        error = payload.get("error") if isinstance(payload, Mapping) else None
        if isinstance(error, Mapping):
            code = str(error.get("code") or HTTP_ERROR_CODE)
            message = str(error.get("message") or "")
            details = error.get("details")
            if not request_id and isinstance(details, Mapping):
                found = details.get("requestId") or details.get("correlationId")
                if found:
                    request_id = str(found)
                    self._remember_request_id(request_id)
        transient = status == 429 or status >= 500 or code in TRANSIENT_CODES or code == UNDER_MAINTENANCE
        error_class = MyUnisoftTransientError if transient else MyUnisoftError
        return error_class(self._scrub(code), self._scrub(message), status=status, request_id=request_id)

    def _log(
        self,
        *,
        method: str,
        path: str,
        status: int | None,
        request_id: str | None,
        started: float,
        attempt: int,
        code: str | None,
    ) -> None:
        extra = {
            "method": method,
            "path": path,
            "status": status,
            "request_id": request_id,
            "attempt": attempt,
            "elapsed_ms": round((self._clock() - started) * 1000),
            "error_code": code,
            "society_id": self._access.society_id,
        }
        if code is None:
            logger.debug("MyUnisoft call", extra=extra)
        else:
            logger.info("MyUnisoft call failed", extra=extra)

    # -- decoding -----------------------------------------------------------------------------------
    def _json(self, response: httpx.Response, *, allow_empty: bool = False) -> Any:
        if allow_empty and not response.content.strip():
            return None
        try:
            return response.json()
        except ValueError:
            raise MyUnisoftError(
                UNEXPECTED_RESPONSE_CODE,
                f"{response.request.method} {response.request.url.path} answered a body that is not JSON",
                status=response.status_code,
                request_id=response.headers.get("request-id"),
            ) from None

    def _list(self, payload: Any, what: str) -> list[Any]:
        if not isinstance(payload, list):
            raise MyUnisoftError(
                UNEXPECTED_RESPONSE_CODE, f"{what} did not answer a list", request_id=self.last_request_id
            )
        return payload

    def _parse(self, model: type[M], payload: Any) -> M:
        try:
            return model.model_validate(payload)
        except ValidationError as exc:
            raise MyUnisoftError(
                UNEXPECTED_RESPONSE_CODE,
                f"unexpected {model.__name__} shape: {exc.error_count()} error(s), first at "
                f"{'.'.join(str(p) for p in exc.errors()[0]['loc']) or '(root)'}",
                request_id=self.last_request_id,
            ) from None
