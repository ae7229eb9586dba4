"""The template provisioned on a fresh moto, behind a server or in-process."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto import mock_aws

from local.moto_server import MotoServer
from local.provision import LocalResources, provision


@pytest.fixture(scope="module")
def moto_server() -> Iterator[MotoServer]:
    server = MotoServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(params=["moto_server", "in_process"])
def stack(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalResources]:
    """The template provisioned on a fresh moto, either behind a server or in-process."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    if request.param == "moto_server":
        server: MotoServer = request.getfixturevalue("moto_server")
        server.reset()
        yield provision(endpoint_url=server.endpoint_url)
    else:
        with mock_aws():
            yield provision(endpoint_url=None)
