"""The fake MyUnisoft on a free port with one partner secret, three societies and two tokens."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from local.fakes.myunisoft import FakeMyUnisoft
from tests.fake_servers import myunisoft_firm, running
from tests.unit.fake_myunisoft.support import CABINET, FOREIGN_SOCIETY, OTHER_SOCIETY, SECRET, SOCIETY, TOKEN


@pytest.fixture
def fake() -> Iterator[FakeMyUnisoft]:
    societies = (SOCIETY, OTHER_SOCIETY, FOREIGN_SOCIETY)
    with running(myunisoft_firm(secret=SECRET, token=TOKEN, cabinet=CABINET, societies=societies)) as server:
        yield server


@pytest.fixture
def http(fake: FakeMyUnisoft) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fake.api_url, timeout=5) as client:
        yield client
