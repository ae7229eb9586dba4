"""paysync's HTTP/1.1 transport under httpx (``paysync.vendor_http.http11``) against a scripted server
on loopback: kept-alive connections reused and dropped when they should be, bodies in every framing,
and, for every way an exchange can fail, the same httpx exception as httpx's own transport (httpcore)
raises, since the vendor clients decide on it whether a write may have reached the server."""

from __future__ import annotations

import json
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import closing, suppress
from pathlib import Path
from unittest import mock

import httpx
import pytest

from paysync.vendor_http.http11 import Http11Transport
from paysync.vendor_http.retry import may_have_been_sent, may_still_run
from tests.certificates import certificate, common_name, new_key, pem, server_context
from tests.fresh_python import run_script

Script = Callable[[socket.socket, int], None]  # one accepted connection, its number


class Server:
    """Accepts connections on loopback and hands each to ``script`` in its own thread."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connections = 0
        self.requests: list[bytes] = []
        self._threads: list[threading.Thread] = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            thread = threading.Thread(target=self._serve, args=(connection, self.connections), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, connection: socket.socket, number: int) -> None:
        with connection, suppress(OSError):
            self.script(connection, number)

    def close(self) -> None:
        self.listener.close()


def read_request(connection: socket.socket, requests: list[bytes] | None = None) -> bytes:
    """One whole request (headers, then a Content-Length or chunked body); b"" when the client left."""
    data = b""
    while b"\r\n\r\n" not in data:
        part = connection.recv(65536)
        if not part:
            return b""
        data += part
    head, _, body = data.partition(b"\r\n\r\n")
    lower = head.lower()
    if b"content-length:" in lower:
        length = int(lower.split(b"content-length:")[1].split(b"\r\n")[0])
        while len(body) < length:
            body += connection.recv(65536)
    elif b"transfer-encoding: chunked" in lower:
        while not body.endswith(b"0\r\n\r\n"):
            body += connection.recv(65536)
    whole = head + b"\r\n\r\n" + body
    if requests is not None:
        requests.append(whole)
    return whole


def answer(body: bytes = b"ok", *, extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n%s" % (len(body), extra, body)


def serving(script: Script) -> closing[Server]:
    return closing(Server(script))


def keep_alive(server_requests: list[bytes]) -> Script:
    def script(connection: socket.socket, _: int) -> None:
        while read_request(connection, server_requests):
            connection.sendall(answer())

    return script


def client(transport: httpx.BaseTransport | None = None, timeout: float = 2.0) -> httpx.Client:
    return httpx.Client(transport=transport or Http11Transport(), timeout=timeout)


# ------------------------------------------------------------------------- connections


def test_one_connection_carries_successive_requests() -> None:
    requests: list[bytes] = []
    with serving(keep_alive(requests)) as server, client() as http:
        answers = [http.get(f"{server.url}/{n}").text for n in range(3)]
    assert answers == ["ok"] * 3
    assert server.connections == 1
    assert [request.split(b" ")[1] for request in requests] == [b"/0", b"/1", b"/2"]


def test_a_connection_the_server_closed_while_idle_is_not_used_again() -> None:
    def once_then_close(connection: socket.socket, _: int) -> None:
        read_request(connection)
        connection.sendall(answer())  # keep-alive by default, but the server closes it

    with serving(once_then_close) as server, client() as http:
        first = http.get(server.url).status_code
        threading.Event().wait(0.2)  # the FIN arrives
        second = http.get(server.url).status_code
    assert (first, second) == (200, 200)
    assert server.connections == 2


def test_connection_close_and_a_body_left_unread_are_not_pooled() -> None:
    def script(connection: socket.socket, number: int) -> None:
        while read_request(connection):
            extra = b"Connection: close\r\n" if number == 1 else b""
            connection.sendall(answer(b"x" * 200_000, extra=extra))

    with serving(script) as server, client() as http:
        assert len(http.get(server.url).content) == 200_000  # connection 1: "Connection: close"
        with http.stream("GET", server.url) as streamed:  # connection 2: closed unread
            next(streamed.iter_raw(10))
        assert len(http.get(server.url).content) == 200_000  # connection 3
        assert len(http.get(server.url).content) == 200_000  # connection 3 again
    assert server.connections == 3


def test_threads_share_the_pool_one_request_per_connection_at_a_time() -> None:
    requests: list[bytes] = []
    with serving(keep_alive(requests)) as server, client() as http:
        results: list[str] = []

        def work() -> None:
            for n in range(5):
                results.append(http.get(f"{server.url}/{n}").text)

        threads = [threading.Thread(target=work) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert results == ["ok"] * 30
    assert len(requests) == 30
    assert server.connections <= 6


def test_an_answer_read_after_the_transport_closed_closes_its_connection() -> None:
    left = threading.Event()

    def script(connection: socket.socket, _: int) -> None:
        while read_request(connection):
            connection.sendall(answer())
        left.set()  # the client closed the connection

    transport = Http11Transport()
    with serving(script) as server, client(transport) as http:
        with http.stream("GET", server.url) as streamed:
            transport.close()
            assert streamed.read() == b"ok"
        assert left.wait(2)


def test_an_expired_idle_connection_is_replaced() -> None:
    requests: list[bytes] = []
    with serving(keep_alive(requests)) as server, client(Http11Transport(keepalive_expiry=0.0)) as http:
        http.get(server.url)
        threading.Event().wait(0.01)
        http.get(server.url)
    assert server.connections == 2


# ------------------------------------------------------------------------------ bodies


def test_bodies_in_every_framing_and_raw_header_bytes_come_through() -> None:
    requests: list[bytes] = []

    def script(connection: socket.socket, _: int) -> None:
        while request := read_request(connection, requests):
            path = request.split(b" ")[1]
            if path == b"/chunked":
                connection.sendall(
                    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
                )
            elif path == b"/until-close":
                connection.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall of it")
                return
            elif path == b"/head":
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n")
            elif path == b"/no-content":
                connection.sendall(b"HTTP/1.1 204 No Content\r\n\r\n")
            else:
                connection.sendall(
                    answer(b"ok", extra=b'Content-Disposition: attachment; filename="r\xe9sum\xe9"\r\n')
                )

    def generated() -> Iterator[bytes]:
        yield b"part one, "
        yield b"part two"

    with serving(script) as server, client() as http:
        assert http.get(f"{server.url}/chunked").content == b"abcde"
        assert http.head(f"{server.url}/head").headers["content-length"] == "50"
        assert http.request("DELETE", f"{server.url}/no-content").status_code == 204
        named = http.get(server.url)
        assert named.headers.raw[-1] == (b"Content-Disposition", b'attachment; filename="r\xe9sum\xe9"')
        posted = http.post(f"{server.url}/bytes", content=b'{"a": 1}', headers={"X-Trace": "t"})
        assert posted.status_code == 200
        http.post(f"{server.url}/generated", content=generated())
        assert http.get(f"{server.url}/until-close").content == b"all of it"
    sent_bytes, sent_chunks = requests[4], requests[5]
    assert sent_bytes.startswith(b"POST /bytes HTTP/1.1\r\n")
    assert b"\r\ncontent-length: 8\r\n" in sent_bytes.lower() and sent_bytes.endswith(b'\r\n\r\n{"a": 1}')
    assert sent_bytes.lower().count(b"\r\nhost: ") == 1 and b"x-trace: t" in sent_bytes.lower()
    assert sent_chunks.endswith(b"\r\n\r\nA\r\npart one, \r\n8\r\npart two\r\n0\r\n\r\n")
    assert server.connections == 1  # all on one connection, the last one closed by the server


# ---------------------------------------------------------------------------------- TLS


def test_https_verifies_the_server_against_the_context_it_was_given(tmp_path: Path) -> None:
    authority_key, server_key = new_key(), new_key()
    authority = certificate(common_name("paysync test authority"), authority_key)
    host = "localhost"
    leaf = certificate(common_name(host), server_key, authority.subject, authority_key, ca=False, host=host)
    tls = server_context(tmp_path, leaf, server_key)
    requests: list[bytes] = []

    def script(connection: socket.socket, _: int) -> None:
        try:
            secured = tls.wrap_socket(connection, server_side=True)
        except (ssl.SSLError, OSError):
            return  # the client refused the certificate
        with secured:
            keep_alive(requests)(secured, 1)

    trusting = ssl.create_default_context(cadata=pem(authority).decode("ascii"))
    with serving(script) as server:
        url = f"https://{host}:{server.port}/"
        with client(Http11Transport(trusting)) as http:
            assert [http.get(url).text for _ in range(2)] == ["ok", "ok"]
        assert server.connections == 1  # the TLS connection kept alive
        with (
            client(Http11Transport(ssl.create_default_context())) as http,
            pytest.raises(httpx.ConnectError) as refused,
        ):
            http.post(url, content=b"{}")
    assert "CERTIFICATE_VERIFY_FAILED" in str(refused.value)
    assert not may_have_been_sent(refused.value)
    assert len(requests) == 2


# --------------------------------------------------------------------- failures, as httpcore


def _silent(connection: socket.socket, _: int) -> None:
    read_request(connection)
    threading.Event().wait(3)


def _hang_up(connection: socket.socket, _: int) -> None:
    read_request(connection)


def _not_http(connection: socket.socket, _: int) -> None:
    read_request(connection)
    connection.sendall(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")


def _short_body(connection: socket.socket, _: int) -> None:
    read_request(connection)
    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")


def _stalled_body(connection: socket.socket, _: int) -> None:
    read_request(connection)
    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
    threading.Event().wait(3)


def _reset(connection: socket.socket, _: int) -> None:
    read_request(connection)
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")


FAILURES = {
    "no answer in time": (_silent, httpx.ReadTimeout),
    "closed without answering": (_hang_up, httpx.RemoteProtocolError),
    "not HTTP": (_not_http, httpx.RemoteProtocolError),
    "closed mid-body": (_short_body, httpx.RemoteProtocolError),
    "body stalls": (_stalled_body, httpx.ReadTimeout),
    "reset after the request": (_reset, (httpx.ReadError, httpx.RemoteProtocolError)),
}
TRANSPORTS = {"paysync": Http11Transport, "httpcore": httpx.HTTPTransport}


@pytest.mark.parametrize("transport", TRANSPORTS.values(), ids=TRANSPORTS.keys())
@pytest.mark.parametrize("failure", FAILURES.values(), ids=FAILURES.keys())
def test_each_failure_raises_what_httpcore_raises(
    failure: tuple[Script, type[Exception] | tuple[type[Exception], ...]],
    transport: type[httpx.BaseTransport],
) -> None:
    script, expected = failure
    with (
        serving(script) as server,
        client(transport(), timeout=0.5) as http,
        pytest.raises(expected) as raised,
    ):
        http.post(server.url, content=b"{}")
    assert may_have_been_sent(raised.value)  # type: ignore[arg-type]


@pytest.mark.parametrize("transport", TRANSPORTS.values(), ids=TRANSPORTS.keys())
def test_a_refused_connection_was_never_sent(transport: type[httpx.BaseTransport]) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]  # bound, not listening: refused
        with client(transport()) as http, pytest.raises(httpx.ConnectError) as raised:
            http.post(f"http://127.0.0.1:{port}/", content=b"{}")
    assert not may_have_been_sent(raised.value)


def test_a_connect_timeout_was_never_sent_and_a_read_timeout_may_still_run() -> None:
    with (
        mock.patch("http.client.HTTPConnection.connect", side_effect=TimeoutError("timed out")),
        client() as http,
        pytest.raises(httpx.ConnectTimeout) as connect,
    ):
        http.get("http://127.0.0.1:9/")
    assert not may_have_been_sent(connect.value)
    with serving(_silent) as server, client(timeout=0.3) as http, pytest.raises(httpx.ReadTimeout) as read:
        http.post(server.url, content=b"{}")
    assert may_still_run(read.value)


def test_a_failed_exchange_never_returns_its_connection_to_the_pool() -> None:
    def script(connection: socket.socket, number: int) -> None:
        if number == 1:
            read_request(connection)
            threading.Event().wait(1)  # the client gives up: its connection is dropped
            return
        while read_request(connection):
            connection.sendall(answer())

    with serving(script) as server, client(timeout=0.3) as http:
        with pytest.raises(httpx.ReadTimeout):
            http.get(server.url)
        assert http.get(server.url).text == "ok"  # on a new connection, not the timed-out one
    assert server.connections == 2


_VENDOR_CALL = """
import json, sys
from http.server import BaseHTTPRequestHandler, HTTPServer
import threading

class Answer(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass

server = HTTPServer(("127.0.0.1", 0), Answer)
threading.Thread(target=server.serve_forever, daemon=True).start()
from paysync.vendor_http.client import new_http_client

with new_http_client() as client:
    status = client.get(f"http://127.0.0.1:{server.server_port}/").status_code
print(json.dumps({"status": status, "loaded": sorted(sys.modules)}))
"""


def test_a_vendor_call_in_a_fresh_interpreter_loads_neither_httpcore_nor_h11() -> None:
    outcome = json.loads(run_script(_VENDOR_CALL, {}).strip().splitlines()[-1])
    assert outcome["status"] == 200
    assert not {"httpcore", "h11", "anyio"} & {name.split(".")[0] for name in outcome["loaded"]}
