"""A small threaded HTTP server for the vendor fakes, with fault injection and a call log.

Each fake registers routes; every request first goes through the fault plan, so tests and
benchmarks can inject latency, 5xx, timeouts, connection resets, or vendor-specific answers.
"""

from __future__ import annotations

import contextlib
import copy
import json
import random
import re
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from local.threaded_http import serve_in_background, stop_server


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names
    body: bytes
    params: dict[str, str] = field(default_factory=dict)  # named groups of the route pattern

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8")) if self.body else None


@dataclass
class Response:
    status: int = 200
    body: Any = None  # JSON-serialisable, or bytes sent as-is
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json; charset=utf-8"


@dataclass
class Fault:
    """One injected fault.

    kind: ``status`` (answer ``status`` with the fake's error body), ``latency`` (sleep ``seconds``
    then answer normally), ``timeout`` (sleep ``seconds`` then close without answering), ``reset``
    (close the connection at once), ``lost_response`` (handle the request, then close without
    answering: a write applied whose answer never arrives), or a vendor-specific kind the fake
    understands (``rate_limit``, ``maintenance``, ``concurrency``, ``recoverable``, ``unrecoverable``).
    times: how many matching requests it hits (None: every one), after letting the first ``skip``
    through. path_contains, method (empty: any) and headers (a lower-case header name and a
    substring of its value): which requests.
    """

    kind: str
    times: int | None = 1
    path_contains: str = ""
    seconds: float = 0.0
    status: int = 500
    extra: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    method: str = ""
    skip: int = 0

    def matches(self, path: str, headers: dict[str, str] | None = None, method: str = "") -> bool:
        if self.path_contains not in path or (self.method and method and self.method != method):
            return False
        found = headers or {}
        return all(value in found.get(name, "") for name, value in self.headers.items())


class FaultPlan:
    """Thread-safe list of pending faults plus a fixed latency for every call.

    Faults added with :meth:`add` hit the next matching requests. Faults added with
    :meth:`randomly` hit each matching request with a probability, drawn from a seeded generator
    (reproducible for requests arriving in the same order). ``injected`` counts what was injected,
    by kind.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._random: list[tuple[float, Fault]] = []
        self._rng = random.Random(0)
        self.latency_seconds = 0.0
        self.injected: Counter[str] = Counter()

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def randomly(self, probability: float, fault: Fault, *, seed: int | None = None) -> None:
        """Inject ``fault`` into each request its ``path_contains`` matches, with ``probability``
        (``fault.times`` is ignored). ``seed`` reseeds the plan's generator."""
        if not 0 <= probability <= 1:
            raise ValueError("a probability is between 0 and 1")
        with self._lock:
            if seed is not None:
                self._rng.seed(seed)
            self._random.append((probability, fault))

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
            self._random.clear()
            self.latency_seconds = 0.0
            self.injected.clear()

    def take(self, path: str, headers: dict[str, str] | None = None, method: str = "") -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(path, headers, method):
                    if fault.skip > 0:
                        fault.skip -= 1
                        continue
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self._faults.remove(fault)
                    self.injected[fault.kind] += 1
                    return fault
            for probability, fault in self._random:
                if fault.matches(path, headers, method) and self._rng.random() < probability:
                    self.injected[fault.kind] += 1
                    return copy.copy(fault)
        return None


Handler = Callable[[Request], Response]


class _AbortError(Exception):
    """Close the connection without an answer."""


class FakeServer:
    """Base of the fakes: routing, JSON, fault injection, call log, start/stop on loopback."""

    name = "fake"

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self.faults = FaultPlan()
        self.calls: list[tuple[str, str, float]] = []  # (method, path, monotonic time)
        self._calls_lock = threading.Lock()
        # The clocks of its waits (latency, faults, rate windows) and of its call log: a benchmark
        # swaps in a virtual clock (local.virtual_time) for all three.
        self.sleep: Callable[[float], None] = time.sleep
        self.monotonic: Callable[[], float] = time.monotonic
        self.time: Callable[[], float] = time.time
        self._host, self._port = host, port
        self._httpd: ThreadingHTTPServer | None = None

    # -- routing -------------------------------------------------------------------------------
    def route(self, method: str, pattern: str, handler: Handler) -> None:
        self._routes.append((method.upper(), re.compile(f"^{pattern}$"), handler))

    def fault_response(self, fault: Fault, request: Request) -> Response | None:
        """Vendor-specific fault kinds; subclasses override. None: not a kind this fake knows."""
        return None

    def error_response(self, status: int, request: Request) -> Response:
        """The vendor's error body for an injected ``status`` fault; subclasses override."""
        return Response(status=status, body={"error": "injected"})

    def not_found(self, request: Request) -> Response:
        return Response(status=404, body={"error": f"no route {request.method} {request.path}"})

    # -- dispatch ------------------------------------------------------------------------------
    def dispatch(self, request: Request) -> Response:
        with self._calls_lock:
            self.calls.append((request.method, request.path, self.monotonic()))
        if self.faults.latency_seconds:
            self.sleep(self.faults.latency_seconds)
        fault = self.faults.take(request.path, request.headers, request.method)
        if fault is not None:
            if fault.kind == "lost_response":
                self._route(request)  # applied...
                raise _AbortError  # ...but the answer is lost
            if fault.kind == "latency":
                self.sleep(fault.seconds)
            elif fault.kind == "timeout":
                self.sleep(fault.seconds)
                raise _AbortError
            elif fault.kind == "reset":
                raise _AbortError
            elif fault.kind == "status":
                return self.error_response(fault.status, request)
            else:
                answer = self.fault_response(fault, request)
                if answer is None:
                    raise ValueError(f"{self.name}: unknown fault kind {fault.kind!r}")
                return answer
        return self._route(request)

    def _route(self, request: Request) -> Response:
        for method, pattern, handler in self._routes:
            match = pattern.match(request.path)
            if match and method == request.method:
                request.params = match.groupdict()
                return handler(request)
        return self.not_found(request)

    def call_count(self, path_contains: str = "") -> int:
        with self._calls_lock:
            return sum(1 for _, path, _ in self.calls if path_contains in path)

    # -- lifecycle -----------------------------------------------------------------------------
    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError(f"{self.name} is not started")
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> str:
        fake = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

            def setup(self) -> None:
                # Without it, Nagle + delayed ACK cost ~40 ms per keep-alive request.
                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                super().setup()

            def _handle(self) -> None:
                split = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = Request(
                    method=self.command,
                    path=split.path,
                    query={k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()},
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
                try:
                    response = fake.dispatch(request)
                except _AbortError:
                    self.close_connection = True
                    with contextlib.suppress(OSError):
                        self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if isinstance(response.body, bytes | bytearray):
                    payload = bytes(response.body)
                elif response.body is None:
                    payload = b""
                else:
                    payload = json.dumps(response.body, ensure_ascii=False).encode("utf-8")
                self.send_response(response.status)
                self.send_header("Content-Type", response.content_type)
                self.send_header("Content-Length", str(len(payload)))
                for name, value in response.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle  # noqa: N815

        self._httpd = serve_in_background((self._host, self._port), _Handler, self.name)
        return self.url

    def stop(self) -> None:
        stop_server(self._httpd)
        self._httpd = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
