"""Fixtures of the MyUnisoftClient tests: a fresh FakeMyUnisoft on 127.0.0.1 for each test, and
the harness that builds clients on it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local.fakes.myunisoft import FakeMyUnisoft
from tests.fake_servers import myunisoft_firm, running
from tests.unit.myunisoft_client.support import (
    CABINET,
    FOREIGN_SOCIETY,
    OTHER_SOCIETY,
    SECRET,
    SOCIETY,
    TOKEN,
    Harness,
)


@pytest.fixture
def fake() -> Iterator[FakeMyUnisoft]:
    societies = (SOCIETY, OTHER_SOCIETY, FOREIGN_SOCIETY)
    with running(myunisoft_firm(secret=SECRET, token=TOKEN, cabinet=CABINET, societies=societies)) as server:
        yield server


@pytest.fixture
def harness(fake: FakeMyUnisoft) -> Iterator[Harness]:
    h = Harness(fake)
    try:
        yield h
    finally:
        h.close()
