"""The tests' AWS: one moto server per test process (each xdist worker has its own), started on
first use, and emptied for every test that asks for AWS, as ``moto.mock_aws()`` emptied it.

paysync and the tests' own boto3 calls reach it over HTTP through ``AWS_ENDPOINT_URL``, as a Lambda
reaches AWS: nothing is intercepted in-process, so any AWS client that speaks HTTP meets it. The
server is a thread of this process (moto keeps its state per process), so what puts moto's backends
right (``local.moto_fidelity``, a test's lock around them) applies to it too.
"""

from __future__ import annotations

import atexit
import os
import threading

import pytest

from local.moto_server import MotoServer
from local.provision import DEFAULT_REGION
from local.stack import endpoint_environment

_lock = threading.Lock()
_server: MotoServer | None = None


def moto_server() -> MotoServer:
    """This process's moto server, started on the first call."""
    global _server  # noqa: PLW0603 - one per process, started lazily
    with _lock:
        if _server is None:
            server = MotoServer()
            server.start()
            atexit.register(server.stop)
            _server = server
        return _server


def fresh_aws(monkeypatch: pytest.MonkeyPatch, region: str = DEFAULT_REGION) -> str:
    """An empty AWS, and every boto3 client pointed at it (endpoint, region, dummy credentials)
    until ``monkeypatch`` is undone; its endpoint URL."""
    server = moto_server()
    server.reset()
    endpoint_url = server.endpoint_url
    assert endpoint_url is not None
    for key, value in endpoint_environment(endpoint_url, region, os.environ).items():
        if value is None:
            monkeypatch.delenv(key, raising=False)
        else:
            monkeypatch.setenv(key, value)
    return endpoint_url
