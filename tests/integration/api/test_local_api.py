"""The local API behaves as API Gateway and Lambda do: requests run concurrently, each function in as
many containers as it has invocations at once; what API Gateway answers by itself is JSON; a
burst of clients waits in the listen backlog instead of being refused."""

from __future__ import annotations

import select
import socket
import threading
from typing import Any

import httpx
import pytest

from local.serve import LocalApi
from tests.integration.api.conftest import Api


def test_requests_to_one_function_run_at_once_each_seeing_its_own_request(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from paysync.api.routes import settings

    # Each request waits for the other inside the function, then reads who is calling: only
    # invocations running at once, each with its own request, get through.
    barrier = threading.Barrier(2, timeout=10)
    original = settings.caller

    def meet_then_read(router: Any) -> Any:
        barrier.wait()
        return original(router)

    monkeypatch.setattr(settings, "caller", meet_then_read)
    answers: dict[str, httpx.Response] = {}

    def get(firm_id: str, key: str, base: str) -> None:
        with httpx.Client(base_url=base, timeout=30) as client:
            answers[firm_id] = client.get(f"/firms/{firm_id}", headers={"Authorization": f"Bearer {key}"})

    with LocalApi() as server:
        threads = [
            threading.Thread(target=get, args=(firm_id, key, server.url))
            for firm_id, key in (("cabinet-dupont", api.dupont), ("fiduciaire-lemoine", api.lemoine))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    for firm_id, answer in answers.items():
        assert answer.status_code == 200, answer.text
        assert answer.json()["firm_id"] == firm_id
    assert server.containers["SettingsApiFunction"].started == 2  # one container per invocation at once


def test_what_api_gateway_answers_by_itself_is_json(api: Api) -> None:
    base = str(api.http.base_url).rstrip("/")
    root = base.rsplit("/", 1)[0]
    with httpx.Client(timeout=30) as client:
        for method in ("PROPFIND", "TRACE", "FOO"):
            refused = client.request(method, f"{base}/firms/cabinet-dupont")
            assert refused.status_code == 405 and refused.headers["Allow"] == "GET, PUT", method
            assert refused.json()["code"] == "request_refused"
        undeclared = client.request("PATCH", f"{base}/firms/cabinet-dupont", headers={"Authorization": "x"})
        assert undeclared.status_code == 404 and undeclared.json()["code"] == "not_found"
        assert client.delete(f"{base}/admin/api-keys").json()["code"] == "not_found"
        assert client.get(f"{base}/nowhere").status_code == 404
        outside = client.get(f"{root}/v2/firms/cabinet-dupont")
        assert outside.status_code == 403 and outside.json() == {"message": "Forbidden"}
        head = client.head(f"{base}/firms/cabinet-dupont")
        assert head.status_code == 404 and head.content == b""
    # A request http.server cannot even parse: API Gateway's default 4XX answer, in JSON.
    host, port = api.http.base_url.host, api.http.base_url.port
    with socket.create_connection((host, port), timeout=10) as raw:
        raw.sendall(b"PUT /v1/firms/cabinet-dupont HTTP/1.1\r\nHost: x\r\nContent-Length: many\r\n\r\n")
        reply = b"".join(iter(lambda: raw.recv(65536), b"")).decode()  # until the server closes
    status, _, rest = reply.partition("\r\n")
    assert " 400 " in status and "application/json" in rest and '"code": "request_refused"' in rest


def test_a_burst_of_50_clients_waits_in_the_backlog(api: Api) -> None:
    from local.threaded_http import BackgroundServer

    # Nobody accepts yet: connections are held by the listen backlog (socketserver's default holds 5).
    server = BackgroundServer(("127.0.0.1", 0), httpx.Client)  # type: ignore[arg-type]
    clients = [socket.socket() for _ in range(50)]
    try:
        for client in clients:
            client.setblocking(False)
            client.connect_ex(server.server_address)
        pending = set(clients)
        while pending:
            _, writable, _ = select.select([], list(pending), [], 5)
            if not writable:
                break  # the others' handshakes were dropped: they would be retried, then refused
            pending -= set(writable)
        assert not pending and all(c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0 for c in clients)
    finally:
        for client in clients:
            client.close()
        server.server_close()
    # And served: 50 requests at once through the local API, every one answered.
    barrier = threading.Barrier(50, timeout=30)
    statuses: list[int] = []

    def fetch() -> None:
        with httpx.Client(base_url=api.http.base_url, timeout=60) as client:
            barrier.wait()
            statuses.append(client.get("/openapi.json").status_code)

    threads = [threading.Thread(target=fetch) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 50
