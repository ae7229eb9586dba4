"""Fixtures of the SilaeClient tests: FakeSilae over real HTTP on 127.0.0.1, one per test module,
reset and seeded for each test, and clients built on it with a sleep that only remembers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from local.fakes.silae import FakeSilae
from paysync.config import SilaeSettings
from paysync.silae.auth import SilaeCredentials, TokenCache
from paysync.silae.client import SilaeClient
from tests.unit.silae_client.support import (
    CLIENT_ID,
    KEY,
    MAY,
    RUPTURES,
    SECRET,
    MakeClient,
    Sleeps,
)


@pytest.fixture
def fake(silae_server: FakeSilae) -> FakeSilae:
    server = silae_server
    server.reset()
    server.add_api_account(CLIENT_ID, SECRET, secret_expires_at=datetime.now(UTC) + timedelta(days=200))
    server.add_access_configuration(KEY, CLIENT_ID, ["D001", "D002"])
    server.set_payroll("D001", MAY, RUPTURES, files=[("OD paie 05-2024.pdf", b"%PDF-1.7 payroll")])
    return server


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def make_client(fake: FakeSilae, sleeps: Sleeps) -> Iterator[MakeClient]:
    clients: list[SilaeClient] = []

    def make(
        client_id: str = CLIENT_ID,
        secret: str = SECRET,
        key: str = KEY,
        *,
        cache: TokenCache | None = None,
        **settings: Any,
    ) -> SilaeClient:
        values: dict[str, Any] = {
            "auth_url": fake.auth_url,
            "api_url": fake.api_url,
            "timeout_seconds": 2.0,
            "max_attempts": 3,
            "backoff_seconds": 0.01,
            **settings,
        }
        client = SilaeClient(
            SilaeCredentials(client_id, secret, key),
            SilaeSettings(**values),
            token_cache=cache if cache is not None else TokenCache(),
            sleep=sleeps,
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
