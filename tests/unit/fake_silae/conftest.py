"""One fake Silae per module, emptied for each test: an API account, an access configuration to
dossiers D1 and D2, and a clock stopped at NOW."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest

from local.fakes.silae import FakeSilae
from tests.unit.fake_silae.support import CLIENT_ID, KEY, NOW, SECRET


@pytest.fixture
def fake(silae_server: FakeSilae) -> FakeSilae:
    server = silae_server
    server.reset()
    now = [NOW.timestamp()]
    server.clock = lambda: now[0]
    server.add_api_account(CLIENT_ID, SECRET, secret_expires_at=NOW + timedelta(days=365))
    server.add_access_configuration(KEY, CLIENT_ID, ["D1", "D2"])
    return server


@pytest.fixture
def http(fake: FakeSilae) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fake.url, timeout=5) as client:
        yield client
