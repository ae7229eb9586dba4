"""What the MyUnisoftClient tests share: the fake's secrets and societies, a harness that builds
clients and records what they send and sleep, books and entries to post, and clients on
hand-made answers (httpx.MockTransport) for what the fake does not give."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from local.fakes.myunisoft import FakeMyUnisoft
from paysync.config import MyUnisoftSettings
from paysync.myunisoft.client import MyUnisoftAccess, MyUnisoftClient
from paysync.myunisoft.ratelimit import RatePacer

SECRET = "partner-secret-XYZ-987"
TOKEN = "society-token-ABC-123"
CABINET = "cabinet-token-DEF-456"
SOCIETY, OTHER_SOCIETY, FOREIGN_SOCIETY = 3, 4, 99


class Harness:
    """Builds clients on the fake and records what they send and how long they sleep."""

    def __init__(self, fake: FakeMyUnisoft) -> None:
        self.fake = fake
        self.sleeps: list[float] = []
        self.sent: list[httpx.Request] = []
        self._clients: list[httpx.Client] = []

    def settings(self, **changes: Any) -> MyUnisoftSettings:
        values: dict[str, Any] = {
            "api_url": self.fake.api_url,
            "timeout_seconds": 2.0,
            "max_attempts": 4,
            "backoff_seconds": 0.5,
            "rate_limit": 1000,
            "rate_window_seconds": 1.0,
        }
        values.update(changes)
        return MyUnisoftSettings(**values)

    def client(
        self,
        token: str = TOKEN,
        society_id: int | None = None,
        *,
        secret: str = SECRET,
        pacer: RatePacer | None = None,
        transport: httpx.BaseTransport | None = None,
        real_sleep: bool = False,
        **settings: Any,
    ) -> MyUnisoftClient:
        http = httpx.Client(transport=transport, event_hooks={"request": [self.sent.append]})
        self._clients.append(http)
        sleep: Callable[[float], None] = self._real_sleep if real_sleep else self.sleeps.append
        return MyUnisoftClient(
            MyUnisoftAccess(token, secret, society_id),
            self.settings(**settings),
            http=http,
            pacer=pacer or RatePacer(1000, 1.0),
            sleep=sleep,
        )

    def _real_sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        time.sleep(seconds)

    def close(self) -> None:
        for http in self._clients:
            http.close()


def books(fake: FakeMyUnisoft, society: int = SOCIETY) -> dict[str, int]:
    return {
        "diary": fake.add_diary(society, "30", "JOURNAL DE PAIE"),
        "421": fake.add_account(society, "421000", "REMUNERATIONS DUES"),
        "641": fake.add_account(society, "641100", "SALAIRES"),
        "exercice": fake.add_exercice(society, "2024-01-01", "2024-12-31"),
    }


def entry(
    ids: dict[str, int], partner_id: str | None = "paysync-3-2024-03-x", **changes: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "entry_list": [
            {
                "account_id": ids["641"],
                "label": "Salaires",
                "debit": 100.0,
                "credit": 0,
                "deadline": "2024-03-31",
            },
            {"account_id": ids["421"], "label": "Net", "debit": 0, "credit": 100.0, "deadline": "2024-03-31"},
        ],
        "date_piece": "2024-03-31",
        "etablissement_id": SOCIETY,
        "diary_id": ids["diary"],
        "json": '{"source": "paysync"}',
    }
    if partner_id is not None:
        body["entry_origin_partner_id"] = partner_id
    body.update(changes)
    return body


def mock_client(answer: Callable[[httpx.Request], httpx.Response]) -> MyUnisoftClient:
    return MyUnisoftClient(
        MyUnisoftAccess("t", "s", None),
        MyUnisoftSettings(api_url="https://api.test/api/v1"),
        http=httpx.Client(transport=httpx.MockTransport(answer)),
        pacer=RatePacer(100, 1),
        sleep=lambda _: None,
    )
