"""httpx's transport on the standard library's ``http.client``: HTTP/1.1, kept-alive connections.

Why not httpx's own: its transport is httpcore, which imports h11, its async twin and anyio: some
10 ms of the first invocation of every function that calls a vendor (``make bench``, cold starts),
for features paysync does not use (HTTP/2, proxies, async). ``paysync.aws`` already speaks to AWS
through ``http.client``. httpx keeps everything above the transport: URLs, headers, redirects,
timeouts, content decoding, and its exceptions, which this transport raises exactly where httpcore
does, because the vendor clients decide on them whether a write may have reached the server
(``paysync.vendor_http.retry``):

- before a byte is sent (DNS, TCP, TLS): ``ConnectError``/``ConnectTimeout``, safe to repeat;
- while sending: ``WriteError``/``WriteTimeout``; while waiting or reading the answer:
  ``ReadError``, ``ReadTimeout`` (the server may still be working), ``RemoteProtocolError`` (the
  server closed without an answer, or answered what is not HTTP).

A connection goes back to its origin's idle list once its answer has been read to the end, and is
taken again only if it has been idle less than ``keepalive_expiry`` seconds and the server has not
closed it meanwhile (an idle socket that became readable holds the server's FIN), as httpcore does.
"""

from __future__ import annotations

import http.client
import select
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx

Origin = tuple[str, str, int]
_DEFAULT_PORTS = {"http": 80, "https": 443}
_CHUNK = 64 * 1024


def _still_open(connection: http.client.HTTPConnection) -> bool:
    """Whether an idle connection can carry a request: nothing to read on it (poll, not select,
    which fails on descriptors above 1023)."""
    sock = connection.sock
    if sock is None:
        return False
    try:
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        return not poller.poll(0)
    except (OSError, ValueError):
        return False


@contextmanager
def _reading(request: httpx.Request) -> Iterator[None]:
    """Failures while waiting for the answer or reading it, as httpcore raises them."""
    try:
        yield
    except TimeoutError as exc:
        raise httpx.ReadTimeout(str(exc) or "read timed out", request=request) from exc
    except http.client.RemoteDisconnected as exc:
        raise httpx.RemoteProtocolError(
            "Server disconnected without sending a response.", request=request
        ) from exc
    except http.client.HTTPException as exc:  # not HTTP (bad status line, header too long), IncompleteRead
        raise httpx.RemoteProtocolError(str(exc) or type(exc).__name__, request=request) from exc
    except OSError as exc:  # reset while waiting or reading
        raise httpx.ReadError(str(exc) or type(exc).__name__, request=request) from exc


def _set_timeout(connection: http.client.HTTPConnection, timeout: float | None) -> None:
    if connection.sock is not None:
        connection.sock.settimeout(timeout)


class Http11Transport(httpx.BaseTransport):
    """One pool of kept-alive HTTP/1.1 connections per transport, shared by threads (one request
    per connection at a time)."""

    def __init__(
        self,
        ssl_context: ssl.SSLContext | None = None,
        *,
        keepalive_expiry: float = 5.0,
        max_idle_per_origin: int = 20,
    ) -> None:
        self._ssl_context = ssl_context
        self._keepalive_expiry = keepalive_expiry
        self._max_idle = max_idle_per_origin
        self._idle: dict[Origin, list[tuple[http.client.HTTPConnection, float]]] = {}
        self._lock = threading.Lock()
        self._closed = False

    # ------------------------------------------------------------------ pool
    def _take(self, origin: Origin) -> http.client.HTTPConnection | None:
        now = time.monotonic()
        stale = []
        found = None
        with self._lock:
            idle = self._idle.get(origin, [])
            while idle:
                connection, since = idle.pop()
                if now - since <= self._keepalive_expiry and _still_open(connection):
                    found = connection
                    break
                stale.append(connection)
        for connection in stale:
            connection.close()
        return found

    def _give_back(self, origin: Origin, connection: http.client.HTTPConnection) -> None:
        with self._lock:
            idle = self._idle.setdefault(origin, [])
            if not self._closed and len(idle) < self._max_idle:
                idle.append((connection, time.monotonic()))
                return
        connection.close()

    def close(self) -> None:
        with self._lock:
            self._closed = True  # an answer still being read closes its connection when done
            idle, self._idle = self._idle, {}
        for connections in idle.values():
            for connection, _ in connections:
                connection.close()

    # ------------------------------------------------------------- exchange
    def _open(
        self, origin: Origin, timeout: float | None, request: httpx.Request
    ) -> http.client.HTTPConnection:
        scheme, host, port = origin
        connection: http.client.HTTPConnection
        if scheme == "https":
            context = self._ssl_context or ssl.create_default_context()
            connection = http.client.HTTPSConnection(host, port, timeout=timeout, context=context)
        else:
            connection = http.client.HTTPConnection(host, port, timeout=timeout)
        try:
            connection.connect()
        except TimeoutError as exc:
            connection.close()
            raise httpx.ConnectTimeout(str(exc) or "connect timed out", request=request) from exc
        except OSError as exc:  # refused, unreachable, DNS, TLS (ssl.SSLError is an OSError)
            connection.close()
            raise httpx.ConnectError(str(exc), request=request) from exc
        return connection

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme not in _DEFAULT_PORTS:
            raise httpx.UnsupportedProtocol(f"unsupported scheme {url.scheme!r}", request=request)
        origin: Origin = (url.scheme, url.host, url.port or _DEFAULT_PORTS[url.scheme])
        timeouts: dict[str, float | None] = request.extensions.get("timeout", {})
        connection = self._take(origin) or self._open(origin, timeouts.get("connect"), request)
        try:
            self._send(connection, request, timeouts.get("write"))
            answer = self._receive(connection, request, timeouts.get("read"))
        except BaseException:
            connection.close()
            raise

        def done(read_to_the_end: bool) -> None:
            if read_to_the_end and not answer.will_close and connection.sock is not None:
                self._give_back(origin, connection)
            else:  # unread bytes, or the server closes it: it cannot carry another request
                connection.close()

        return httpx.Response(
            status_code=answer.status,
            # http.client decoded the header bytes as Latin-1: these are the bytes the server sent
            headers=[
                (name.encode("latin-1"), value.encode("latin-1")) for name, value in answer.getheaders()
            ],
            stream=_Body(answer, request, done),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": answer.reason.encode("latin-1")},
        )

    @staticmethod
    def _send(connection: http.client.HTTPConnection, request: httpx.Request, timeout: float | None) -> None:
        chunked = request.headers.get("transfer-encoding", "").lower() == "chunked"
        stream = request.stream
        if not isinstance(stream, httpx.SyncByteStream):
            raise TypeError("Http11Transport serves httpx.Client only")
        try:
            _set_timeout(connection, timeout)
            # httpx wrote every header, Host and Accept-Encoding included
            connection.putrequest(
                request.method,
                request.url.raw_path.decode("ascii"),
                skip_host=True,
                skip_accept_encoding=True,
            )
            for name, value in request.headers.raw:
                connection.putheader(name, value)
            connection.endheaders()
            for part in stream:
                if part:
                    connection.send(b"%X\r\n%s\r\n" % (len(part), part) if chunked else part)
            if chunked:
                connection.send(b"0\r\n\r\n")
        except TimeoutError as exc:
            raise httpx.WriteTimeout(str(exc) or "write timed out", request=request) from exc
        except (OSError, http.client.HTTPException) as exc:
            raise httpx.WriteError(str(exc) or type(exc).__name__, request=request) from exc

    @staticmethod
    def _receive(
        connection: http.client.HTTPConnection, request: httpx.Request, timeout: float | None
    ) -> http.client.HTTPResponse:
        with _reading(request):
            _set_timeout(connection, timeout)
            return connection.getresponse()


class _Body(httpx.SyncByteStream):
    """The answer's body as httpx reads it; the connection goes back to the pool once it is read to
    the end, and is closed if the reader stops before."""

    def __init__(
        self, answer: http.client.HTTPResponse, request: httpx.Request, done: Callable[[bool], None]
    ) -> None:
        self._answer = answer
        self._request = request
        self._done = done
        self._finished = False
        self._closed = False

    def __iter__(self) -> Iterator[bytes]:
        while True:
            with _reading(self._request):
                part = self._answer.read(_CHUNK)
            if not part:
                if self._answer.length:  # http.client's read(amt) ends quietly short of Content-Length
                    raise httpx.RemoteProtocolError(
                        f"the server closed the connection {self._answer.length} bytes short of the body",
                        request=self._request,
                    )
                self._finished = True
                return
            yield part

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if not self._finished:
            self._answer.close()
        self._done(self._finished)
