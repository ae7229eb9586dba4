"""The client and MyUnisoft's rate limit: its own pacer, the server's ``X-Rate-Limit-*`` headers
and 429s. Over the fake on 127.0.0.1 and hand-made answers."""

from __future__ import annotations

import time

import httpx
import pytest

from local.fakes.myunisoft import FakeMyUnisoft
from local.fakes.server import Fault
from paysync.config import MyUnisoftSettings
from paysync.myunisoft.client import MyUnisoftAccess, MyUnisoftClient
from paysync.myunisoft.ratelimit import RatePacer
from tests.unit.myunisoft_client.support import (
    SECRET,
    TOKEN,
    Harness,
    books,
)


# -- rate limits -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("unit", ["s", "ms"])
def test_a_429_waits_for_the_reset_through_the_pacer(
    harness: Harness, fake: FakeMyUnisoft, unit: str
) -> None:
    books(fake)
    fake.rate_reset_unit = unit  # type: ignore[assignment]
    fake.faults.add(Fault("rate_limit", times=1, seconds=3, path_contains="/diary"))
    pacer_sleeps: list[float] = []
    pacer = RatePacer(1000, 1, sleep=pacer_sleeps.append)
    client = harness.client(pacer=pacer)
    assert len(client.list_diaries()) == 1
    assert client.calls == 2
    assert harness.sleeps == [pytest.approx(3, abs=0.5)]  # the client's sleep, given to the pacer
    assert pacer_sleeps == []


def test_the_server_s_rate_headers_are_obeyed_without_a_single_429(
    harness: Harness, fake: FakeMyUnisoft
) -> None:
    """The client is configured for 1000 calls per window; the server's headers say 3 (Total, and
    Remaining 0 with its Reset): the client slows down to that without ever being refused."""
    books(fake)
    fake.rate_limit, fake.rate_window_seconds = 3, 0.3
    client = harness.client(real_sleep=True, pacer=RatePacer(1000, 0.3))
    started = time.time()
    for _ in range(7):
        client.list_diaries()
    assert client.calls == 7  # no 429, no retry
    assert client.pacer.limit == 3
    assert 0.55 <= time.time() - started < 1.0
    assert client.pacer.total_waited > 0


def test_a_real_429_from_the_fake_is_absorbed(harness: Harness, fake: FakeMyUnisoft) -> None:
    """Calls made by someone else with the same token exhaust the window: the client waits it out."""
    books(fake)
    fake.rate_limit, fake.rate_window_seconds = 2, 0.3
    with httpx.Client() as other:
        for _ in range(2):
            other.get(
                fake.api_url + "/diary",
                headers={"Authorization": f"Bearer {TOKEN}", "X-Third-Party-Secret": SECRET},
            )
    client = harness.client(real_sleep=True)
    assert len(client.list_diaries()) == 1
    assert client.calls == 2  # one 429, then success after the reset
    assert 0 < harness.sleeps[0] <= 0.35


def test_the_client_paces_itself(harness: Harness, fake: FakeMyUnisoft) -> None:
    books(fake)
    pacer = RatePacer(2, 0.2)
    client = harness.client(pacer=pacer, real_sleep=True)
    started = time.time()
    for _ in range(5):
        client.list_diaries()
    assert time.time() - started >= 0.35  # 5 calls at 2 per 0.2 s
    assert fake.call_count("/diary") == 5


def test_a_429_with_only_a_reset_header_holds_until_it() -> None:
    answers = iter(
        [
            httpx.Response(
                429,
                json={"error": {"code": "ERR-TOO-MANY-REQUEST", "message": "m", "details": ""}},
                headers={"X-Rate-Limit-Reset": str(int((time.time() + 2) * 1000))},  # milliseconds
            ),
            httpx.Response(200, json=[]),
        ]
    )
    sleeps: list[float] = []
    client = MyUnisoftClient(
        MyUnisoftAccess("t", "s", None),
        MyUnisoftSettings(api_url="https://api.test/api/v1"),
        http=httpx.Client(transport=httpx.MockTransport(lambda request: next(answers))),
        pacer=RatePacer(100, 1),
        sleep=sleeps.append,
    )
    assert client.list_diaries() == []
    assert sleeps == [pytest.approx(2, abs=0.3)]


def test_a_429_without_rate_headers_backs_off() -> None:
    answers = iter(
        [
            httpx.Response(
                429, json={"error": {"code": "ERR-TOO-MANY-REQUEST", "message": "m", "details": ""}}
            ),
            httpx.Response(200, json=[]),
        ]
    )
    sleeps: list[float] = []
    client = MyUnisoftClient(
        MyUnisoftAccess("t", "s", None),
        MyUnisoftSettings(api_url="https://api.test/api/v1", backoff_seconds=0.25),
        http=httpx.Client(transport=httpx.MockTransport(lambda request: next(answers))),
        pacer=RatePacer(100, 1),
        sleep=sleeps.append,
    )
    assert client.list_diaries() == []
    assert sleeps == [0.25]
