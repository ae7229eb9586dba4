"""The template provisioned on a fresh moto, behind the tests' server or in-process (the benchmarks
provision in-process: ``provision(endpoint_url=None)`` inside ``moto.mock_aws()``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto import mock_aws

from local.moto_server import MotoServer
from local.provision import LocalResources, provision
from tests.aws_endpoint import fresh_aws
from tests.aws_endpoint import moto_server as shared_moto_server


@pytest.fixture
def moto_server() -> MotoServer:
    """This worker's moto server (the tests reset it, and name its endpoint)."""
    return shared_moto_server()


@pytest.fixture(params=["moto_server", "in_process"])
def stack(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalResources]:
    """The template provisioned on a fresh moto, either behind a server or in-process."""
    if request.param == "moto_server":
        yield provision(endpoint_url=fresh_aws(monkeypatch))
    else:
        monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
        with mock_aws():
            yield provision(endpoint_url=None)
