"""The fake MyUnisoft on a free port with one partner secret, three societies and two tokens."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from local.fakes.myunisoft import FakeMyUnisoft
from tests.unit.fake_myunisoft.support import CABINET, FOREIGN_SOCIETY, OTHER_SOCIETY, SECRET, SOCIETY, TOKEN


@pytest.fixture
def fake() -> Iterator[FakeMyUnisoft]:
    server = FakeMyUnisoft(rate_limit=1000, rate_window_seconds=1.0)
    server.start()
    server.add_partner_secret(SECRET)
    server.add_society(SOCIETY, "ACME", schema_id=1)
    server.add_society(OTHER_SOCIETY, "BETA", schema_id=1)
    server.add_society(FOREIGN_SOCIETY, "ELSEWHERE", schema_id=2)
    server.add_society_token(TOKEN, SOCIETY)
    server.add_cabinet_token(CABINET, schema_id=1)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def http(fake: FakeMyUnisoft) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fake.api_url, timeout=5) as client:
        yield client
