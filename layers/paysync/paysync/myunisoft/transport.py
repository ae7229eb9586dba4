"""Every MyUnisoft call's way there and back: credentials, pacing, retries, errors, decoding.

Every call carries ``Authorization: Bearer <token>`` and ``X-Third-Party-Secret``, plus
``society-id`` when the token is a cabinet (firm) token. Every call first waits for the token's
``RatePacer`` and every answer feeds it the ``X-Rate-Limit-*`` headers. Every answer's
``request-id`` is kept (``last_request_id``, ``request_ids``) so it can be logged with what it
concerns and quoted to MyUnisoft's support.

Failures: an ``{"error": {code, message, details}}`` body becomes a ``MyUnisoftError`` carrying the
code, the message, the HTTP status and the request id. Transient ones (408, 429, 5xx, maintenance,
too many concurrent requests, timeouts, connection errors) become ``MyUnisoftTransientError`` and
are retried by the shared policy (``paysync.vendor_http.retry``: ``Retry-After``, else exponential
backoff) up to ``settings.max_attempts`` attempts; on a 429 the next attempt waits for
``X-Rate-Limit-Reset`` through the pacer. A write (``idempotent=False``) whose answer was lost after
sending (timeout, broken connection, 5xx) is raised as ``MyUnisoftAmbiguousWriteError``, never
repeated here: the routes (``paysync.myunisoft.client``) decide.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar, Unpack

import httpx
from pydantic import BaseModel, ValidationError

from paysync import __version__
from paysync.config import MyUnisoftSettings
from paysync.myunisoft.errors import (
    HTTP_ERROR_CODE,
    NETWORK_ERROR_CODE,
    TOO_MANY_CONCURRENT_REQUESTS,
    TRANSIENT_CODES,
    UNEXPECTED_RESPONSE_CODE,
    MyUnisoftAmbiguousWriteError,
    MyUnisoftError,
    MyUnisoftTransientError,
)
from paysync.myunisoft.ratelimit import RatePacer, pacer_for, token_digest
from paysync.observability import logger
from paysync.vendor_http.client import ClientOptions, VendorClient
from paysync.vendor_http.headers import header_float, header_int, resolve_reset, retry_after
from paysync.vendor_http.jsonbody import JsonBody, decode_json, json_or_none
from paysync.vendor_http.retry import is_transient_status, may_have_been_sent, may_still_run

__all__ = ["MyUnisoftAccess", "MyUnisoftTransport"]

_MAX_MESSAGE = 500
GATEWAY_TIMEOUT = 504  # the gateway stopped waiting; the server behind it may still be working

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


class MyUnisoftTransport(VendorClient):
    """One token's calls: the base of ``MyUnisoftClient``, which adds the routes."""

    def __init__(
        self,
        access: MyUnisoftAccess,
        settings: MyUnisoftSettings,
        *,
        pacer: RatePacer | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        super().__init__(settings, secrets=(access.token, access.partner_secret), **options)
        self._access = access
        self._base = settings.api_url.rstrip("/")
        self._pacer = pacer or pacer_for(
            access.token,
            settings.rate_limit,
            settings.rate_window_seconds,
            clock=self._clock,
            sleep=self._sleep,
        )
        self.last_request_id: str | None = None
        self.request_ids: list[str] = []

    def __repr__(self) -> str:
        access = self._access
        return (
            f"{type(self).__name__}(api_url={self._base!r}, "
            f"token=sha256:{access.token_identity[:12]}, society_id={access.society_id!r})"
        )

    @property
    def pacer(self) -> RatePacer:
        return self._pacer

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
        answers: frozenset[int] = frozenset(),
    ) -> httpx.Response:
        """One logical call: pace, send, read; retry transient failures; raise the rest, but for
        the statuses in ``answers``, which the route reads as answers (a lookup's 404)."""
        headers = self._headers("application/json" if json_body is not None else content_type)
        body: JsonBody | bytes | None = content
        if json_body is not None:
            # Serialised once for every attempt, in pieces: attachments are not copied whole.
            body = JsonBody(json_body)
            headers["Content-Length"] = str(len(body))
        send = functools.partial(
            self._attempt,
            method=method,
            path=path,
            params=dict(params) if params else None,
            body=body,
            headers=headers,
            idempotent=idempotent,
            answers=answers,
        )

        def wait(failure: MyUnisoftTransientError, attempt: int) -> float | None:
            if isinstance(failure, MyUnisoftAmbiguousWriteError):
                return None  # never blindly repeated: see MyUnisoftClient.create_entry
            return self._retry.wait(attempt, failure.retry_after)

        return self._retry.run(send, retryable=MyUnisoftTransientError, wait=wait, sleep=self._sleep)

    def _attempt(
        self,
        attempt: int,
        *,
        method: str,
        path: str,
        params: dict[str, str | int] | None,
        body: JsonBody | bytes | None,
        headers: dict[str, str],
        idempotent: bool,
        answers: frozenset[int],
    ) -> httpx.Response:
        self._pacer.acquire(sleep=self._sleep)
        started = self._clock()
        log = functools.partial(self._log, method=method, path=path, started=started, attempt=attempt)
        try:
            response = self._send(method, self._base + path, params=params, content=body, headers=headers)
        except httpx.TransportError as exc:
            log(status=None, request_id=None, code=NETWORK_ERROR_CODE)
            message = f"{type(exc).__name__} on {method} {path}"
            if may_have_been_sent(exc) and not idempotent:
                raise MyUnisoftAmbiguousWriteError(
                    NETWORK_ERROR_CODE, message, still_running=may_still_run(exc)
                ) from None
            raise MyUnisoftTransientError(NETWORK_ERROR_CODE, message) from None
        self._record(response)
        if response.is_success or response.status_code in answers:
            log(status=response.status_code, request_id=response.headers.get("request-id"), code=None)
            return response
        failure = self._error_from(response)
        log(status=response.status_code, request_id=failure.request_id, code=failure.code)
        if (
            isinstance(failure, MyUnisoftTransientError)
            and not idempotent
            and self._maybe_applied(response, failure)
        ):
            raise MyUnisoftAmbiguousWriteError(
                failure.code,
                failure.message,
                status=failure.status,
                request_id=failure.request_id,
                still_running=response.status_code == GATEWAY_TIMEOUT,
            )
        raise failure

    def _record(self, response: httpx.Response) -> None:
        """Keep the request id; feed the pacer the rate-limit headers."""
        self._remember_request_id(response.headers.get("request-id"))
        headers = response.headers
        self._pacer.note_total(header_int(headers, "x-rate-limit-total"))
        self._pacer.note_remaining(
            header_int(headers, "x-rate-limit-remaining"), header_float(headers, "x-rate-limit-reset")
        )

    def _remember_request_id(self, request_id: str | None) -> None:
        if request_id:
            self.last_request_id = request_id
            self.request_ids.append(request_id)

    def _server_wait(self, response: httpx.Response, code: str) -> float | None:
        """What the server asked to wait before the next attempt: 0 after a rate-limit 429 whose
        reset the pacer now holds every call until, else ``Retry-After`` (None: back off)."""
        if response.status_code == 429 and code not in TOO_MANY_CONCURRENT_REQUESTS:
            reset = header_float(response.headers, "x-rate-limit-reset")
            if reset is not None and resolve_reset(reset, self._clock()) > self._clock():
                self._pacer.note_reset(reset)
                return 0.0
        return retry_after(response.headers, self._clock())

    @staticmethod
    def _maybe_applied(response: httpx.Response, error: MyUnisoftError) -> bool:
        """Whether a failed write may still have been applied by the server."""
        if response.status_code == 429 or error.code in TRANSIENT_CODES:
            return False  # refused at the gateway: rate limit, concurrency, maintenance
        return response.status_code >= 500

    def _error_from(self, response: httpx.Response) -> MyUnisoftError:
        status = response.status_code
        request_id = response.headers.get("request-id")
        code, message = HTTP_ERROR_CODE, f"HTTP {status}"
        payload = json_or_none(response)
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
        code, message = self._redact(code)[:_MAX_MESSAGE], self._redact(message)[:_MAX_MESSAGE]
        if is_transient_status(status) or code in TRANSIENT_CODES:
            return MyUnisoftTransientError(
                code,
                message,
                status=status,
                request_id=request_id,
                retry_after=self._server_wait(response, code),
            )
        return MyUnisoftError(code, message, status=status, request_id=request_id)

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
    @staticmethod
    def _json(response: httpx.Response, *, allow_empty: bool = False) -> Any:
        def not_json() -> MyUnisoftError:
            return MyUnisoftError(
                UNEXPECTED_RESPONSE_CODE,
                f"{response.request.method} {response.request.url.path} answered a body that is not JSON",
                status=response.status_code,
                request_id=response.headers.get("request-id"),
            )

        return decode_json(response, not_json, empty_is_none=allow_empty)

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
