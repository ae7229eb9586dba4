"""What every vendor client does with HTTP: set up (or borrow) one httpx client, send through it
with the configured timeout and count the sends, close it when it is its own, and keep the vendor
credentials out of every message built from what a server answered."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any, Protocol, Self, TypedDict

import httpx

from paysync.observability import traced_call
from paysync.tls import tls_context
from paysync.vendor_http.http11 import Http11Transport
from paysync.vendor_http.retry import RetryPolicy, RetrySettings

REDACTED = "***"


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every non-empty secret replaced: servers may echo what they were sent."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text


class TracedTransport(httpx.BaseTransport):
    """httpx's transport, each exchange an X-Ray subsegment (:func:`traced_call`)."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self._inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with traced_call(request.url.host, request.method, str(request.url)) as answered:
            response = self._inner.handle_request(request)
            answered(response.status_code)
            return response

    def close(self) -> None:
        self._inner.close()


def new_http_client(**options: Any) -> httpx.Client:
    """An httpx client for the vendors: paysync's HTTP/1.1 transport (why: ``http11``), the
    container's TLS context, every exchange traced."""
    return httpx.Client(transport=TracedTransport(Http11Transport(tls_context())), **options)


class HttpSettings(RetrySettings, Protocol):
    @property
    def timeout_seconds(self) -> float: ...


class ClientOptions(TypedDict, total=False):
    """What every vendor client may be given besides its credentials and settings."""

    http: httpx.Client | None  # borrowed (tests, a shared pool): used, never closed here
    sleep: Callable[[float], None]  # time.sleep unless a test injects one
    clock: Callable[[], float]  # time.time unless a test injects one


class VendorClient:
    """Base of the vendor clients: the httpx client, the retry policy, the sleep and the clock.

    ``http`` given: used and left open. Not given: made here, closed by ``close()`` or the
    ``with`` block. ``secrets`` are what ``_redact`` keeps out of messages.
    """

    def __init__(
        self,
        settings: HttpSettings,
        *,
        secrets: Iterable[str],
        http: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._timeout = httpx.Timeout(settings.timeout_seconds)
        self._owns_http = http is None
        self._http = http if http is not None else new_http_client(timeout=self._timeout)
        self._retry = RetryPolicy.from_settings(settings)
        self._secrets = tuple(secrets)
        self._sleep = sleep
        self._clock = clock
        self._calls_lock = threading.Lock()
        self.calls = 0

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """One HTTP exchange, counted in ``calls``. httpx's transport errors are the caller's to map."""
        with self._calls_lock:
            self.calls += 1
        return self._http.request(method, url, timeout=self._timeout, **kwargs)

    def _redact(self, text: str) -> str:
        return redact(text, self._secrets)

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
