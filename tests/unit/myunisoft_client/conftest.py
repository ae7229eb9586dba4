"""Fixtures of the MyUnisoftClient tests: a fresh FakeMyUnisoft on 127.0.0.1 for each test, and
the harness that builds clients on it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local.fakes.myunisoft import FakeMyUnisoft
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
    server = FakeMyUnisoft(rate_limit=1000, rate_window_seconds=1.0)
    server.start()
    server.add_partner_secret(SECRET)
    for society, name, schema in (
        (SOCIETY, "ACME", 1),
        (OTHER_SOCIETY, "BETA", 1),
        (FOREIGN_SOCIETY, "X", 2),
    ):
        server.add_society(society, name, schema_id=schema)
    server.add_society_token(TOKEN, SOCIETY)
    server.add_cabinet_token(CABINET, schema_id=1)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def harness(fake: FakeMyUnisoft) -> Iterator[Harness]:
    h = Harness(fake)
    try:
        yield h
    finally:
        h.close()
