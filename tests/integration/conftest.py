from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from tests.harness import Env, local_env

NIGHT = date(2026, 11, 21)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Env]:
    with local_env(monkeypatch) as e:
        yield e


@pytest.fixture
def world(env: Env):  # type: ignore[no-untyped-def]
    from local.demo_data import seed

    svc = env.services
    return seed(env.silae, env.myunisoft, svc.config, svc.secrets, NIGHT)
