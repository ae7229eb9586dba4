"""The HTTP API over the local stack: template.yaml's routes and authorizer, the fakes, and AWS
either on the tests' moto server (``api``, emptied for each test) or behind a moto server of its own
as ``make serve`` runs it (``served``, one per module, for races)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from local.serve import LocalApi
from tests.harness import Env

JSON = {"Content-Type": "application/json"}
DUPONT, LEMOINE = "cabinet-dupont", "fiduciaire-lemoine"


@dataclass
class Api:
    """An HTTP client of the served API, with an operator key and one key per demo firm."""

    env: Env
    world: Any
    http: httpx.Client
    admin: str
    dupont: str  # cabinet-dupont's key
    lemoine: str  # fiduciaire-lemoine's key

    def call(
        self, method: str, path: str, *, key: str | None = None, json: Any = None, **kwargs: Any
    ) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
        if json is not None:
            headers.setdefault("Content-Type", "application/json")
            kwargs["json"] = json
        return self.http.request(method, path, headers=headers, **kwargs)

    def ok(
        self, method: str, path: str, *, key: str | None = None, json: Any = None, status: int = 200
    ) -> Any:
        response = self.call(method, path, key=key or self.admin, json=json)
        assert response.status_code == status, response.text
        return response.json() if response.content else None


def paris_today() -> date:
    return datetime.now(ZoneInfo("Europe/Paris")).date()


def issue_key(env: Env, scope: str, firm_id: str | None = None) -> str:
    from paysync.storage.apikeys import ApiKeyRepository
    from paysync.usecases.api_keys import issue

    svc = env.services
    _, key = issue(
        ApiKeyRepository(svc.settings.config_table),
        svc.config,
        scope=scope,  # type: ignore[arg-type]
        firm_id=firm_id,
        label="tests",
        now=svc.clock(),
    )
    return key.plaintext


@pytest.fixture
def api(env: Env, world: Any) -> Iterator[Api]:
    admin = issue_key(env, "admin")
    dupont = issue_key(env, "firm", "cabinet-dupont")
    lemoine = issue_key(env, "firm", "fiduciaire-lemoine")
    with LocalApi() as server, httpx.Client(base_url=server.url, timeout=30) as http:
        yield Api(env=env, world=world, http=http, admin=admin, dupont=dupont, lemoine=lemoine)


@pytest.fixture(scope="module")
def served() -> Iterator[Api]:
    """The API as `make serve` runs it: moto server, the fakes, the demo world, concurrent requests.
    One per test module (races are tried on fresh ids, so the trials do not disturb each other)."""
    from local.demo_data import seed
    from local.fakes.myunisoft import FakeMyUnisoft
    from local.fakes.silae import FakeSilae
    from local.stack import LocalStack
    from tests.harness import FAST_ENV, reset_library_caches
    from tests.integration.conftest import NIGHT

    window = float(FAST_ENV["MYUNISOFT_RATE_WINDOW_SECONDS"])
    with (
        pytest.MonkeyPatch.context() as patch,
        FakeSilae() as silae,
        FakeMyUnisoft(rate_window_seconds=window) as myunisoft,
    ):
        stack = LocalStack()
        resources = stack.start()
        try:
            env = {**resources.function_environment("SettingsApiFunction")}
            env.update(resources.function_environment("SyncWorkerFunction"))
            env.update(FAST_ENV)
            env.update(
                SILAE_AUTH_URL=silae.auth_url,
                SILAE_API_URL=silae.api_url,
                MYUNISOFT_API_URL=myunisoft.api_url,
            )
            for name, value in env.items():
                patch.setenv(name, value)
            reset_library_caches()
            local = Env(
                resources=resources,
                silae=silae,
                myunisoft=myunisoft,
                queue_url=resources.queue_url("SyncQueue"),
                dlq_url=resources.queue_url("SyncDeadLetterQueue"),
            )
            svc = local.services
            world = seed(silae, myunisoft, svc.config, svc.secrets, NIGHT)
            keys = [issue_key(local, "admin"), *(issue_key(local, "firm", f) for f in (DUPONT, LEMOINE))]
            with LocalApi() as server, httpx.Client(base_url=server.url, timeout=30) as http:
                yield Api(local, world, http, *keys)
        finally:
            stack.stop()
            reset_library_caches()
