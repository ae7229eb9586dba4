"""Every MyUnisoft call's way there and back (``paysync.myunisoft.transport``): credentials,
errors, retries of transient failures. Over the fake on 127.0.0.1 and hand-made answers."""

from __future__ import annotations

import datetime as dt
import json
import socket

import httpx
import pytest

from local.fakes.myunisoft import FakeMyUnisoft
from local.fakes.server import Fault
from paysync.config import MyUnisoftSettings
from paysync.myunisoft.client import MyUnisoftAccess, MyUnisoftClient
from paysync.myunisoft.errors import (
    MyUnisoftAmbiguousWriteError,
    MyUnisoftError,
    MyUnisoftTransientError,
)
from paysync.myunisoft.ratelimit import RatePacer
from tests.unit.myunisoft_client.support import (
    CABINET,
    FOREIGN_SOCIETY,
    OTHER_SOCIETY,
    SECRET,
    SOCIETY,
    TOKEN,
    Harness,
    books,
    entry,
    mock_client,
)


# -- headers ---------------------------------------------------------------------------------------------
def test_every_call_carries_token_and_secret_and_society_id_only_for_a_cabinet(
    harness: Harness, fake: FakeMyUnisoft
) -> None:
    books(fake)
    harness.client().list_diaries()
    harness.client(CABINET, SOCIETY).list_diaries()
    societe, cabinet = harness.sent
    for request in (societe, cabinet):
        assert request.headers["Authorization"] in (f"Bearer {TOKEN}", f"Bearer {CABINET}")
        assert request.headers["X-Third-Party-Secret"] == SECRET
    assert "society-id" not in societe.headers
    assert cabinet.headers["society-id"] == str(SOCIETY)


def test_a_cabinet_token_reaches_every_dossier_of_its_schema_only(
    harness: Harness, fake: FakeMyUnisoft
) -> None:
    books(fake, SOCIETY)
    fake.add_diary(OTHER_SOCIETY, "31", "PAIE BETA")
    assert [d.name for d in harness.client(CABINET, OTHER_SOCIETY).list_diaries()] == ["PAIE BETA"]
    with pytest.raises(MyUnisoftError) as caught:
        harness.client(CABINET, FOREIGN_SOCIETY).list_diaries()
    assert (caught.value.code, caught.value.status) == ("DROIT1", 403)
    assert not isinstance(caught.value, MyUnisoftTransientError)


# -- errors ------------------------------------------------------------------------------------------------
def test_business_error_carries_code_message_status_and_request_id(
    harness: Harness, fake: FakeMyUnisoft
) -> None:
    ids = books(fake)
    client = harness.client()
    unbalanced = entry(ids)
    unbalanced["entry_list"][0]["debit"] = 100.01
    with pytest.raises(MyUnisoftError) as caught:
        client.create_entry(unbalanced)
    error = caught.value
    assert not isinstance(error, MyUnisoftTransientError)
    assert error.code == "ECR1"
    assert (
        error.message
        == "Impossible de valider une écriture possédant un total débit différent du total crédit"
    )
    assert error.status == 400
    assert error.request_id is not None
    assert error.request_id == client.last_request_id
    assert error.request_id in str(error)
    assert client.calls == 1  # never retried
    assert fake.entries(SOCIETY) == []


@pytest.mark.parametrize(
    "case",
    [
        (TOKEN, "wrong-secret-QQQ", "ERR-INVALID-SECRET", 403),
        ("revoked-or-unknown-TTT", SECRET, "ERR-API-TOKEN-NOT-FOUND", 401),
    ],
    ids=["bad-secret", "unknown-token"],
)
def test_credential_errors_are_not_retried_and_never_show_secrets(
    harness: Harness, capsys: pytest.CaptureFixture[str], case: tuple[str, str, str, int]
) -> None:
    token, secret, code, status = case
    client = harness.client(token, secret=secret)
    with pytest.raises(MyUnisoftError) as caught:
        client.list_diaries()
    error = caught.value
    assert (error.code, error.status, client.calls) == (code, status, 1)
    captured = capsys.readouterr()
    for text in (
        str(error),
        repr(error),
        error.message,
        repr(client),
        repr(MyUnisoftAccess(token, secret, 3)),
    ):
        assert token not in text
        assert secret not in text
    assert token not in captured.out + captured.err
    assert secret not in captured.out + captured.err


def test_request_id_falls_back_to_the_error_details() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        body = {"error": {"code": "ECR12", "message": "m", "details": {"correlationId": "corr-1"}}}
        return httpx.Response(400, json=body)

    client = MyUnisoftClient(
        MyUnisoftAccess("t", "s", None),
        MyUnisoftSettings(api_url="https://api.test/api/v1"),
        http=httpx.Client(transport=httpx.MockTransport(answer)),
        pacer=RatePacer(100, 1),
        sleep=lambda _: None,
    )
    with pytest.raises(MyUnisoftError) as caught:
        client.list_diaries()
    assert caught.value.request_id == "corr-1"
    assert client.request_ids == ["corr-1"]


def test_a_message_echoing_a_secret_is_scrubbed() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        body = {"error": {"code": "ERR-INVALID-SECRET", "message": "bad secret s3cr3t-value", "details": ""}}
        return httpx.Response(403, json=body, headers={"request-id": "req-1"})

    client = MyUnisoftClient(
        MyUnisoftAccess("t0ken-value", "s3cr3t-value", None),
        MyUnisoftSettings(api_url="https://api.test/api/v1"),
        http=httpx.Client(transport=httpx.MockTransport(answer)),
        pacer=RatePacer(100, 1),
    )
    with pytest.raises(MyUnisoftError) as caught:
        client.key_info()
    assert "s3cr3t-value" not in str(caught.value)
    assert caught.value.request_id == "req-1"


# -- transient failures -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fault", "code", "status"),
    [
        (Fault("status", times=2, status=502, path_contains="/diary"), "ERR-HTTP", 502),
        (Fault("maintenance", times=2, path_contains="/diary"), "ERR-API-UNDER-MAINTENANCE", 503),
        (Fault("concurrency", times=2, path_contains="/diary"), "ERR-TOO-MANY-CONCURRENT-REQUEST", 429),
        (Fault("reset", times=2, path_contains="/diary"), None, None),
    ],
    ids=["5xx", "maintenance", "concurrency", "connection-reset"],
)
def test_transient_failures_are_retried_with_exponential_backoff(
    harness: Harness, fake: FakeMyUnisoft, fault: Fault, code: str | None, status: int | None
) -> None:
    books(fake)
    fake.faults.add(fault)
    client = harness.client()
    assert len(client.list_diaries()) == 1
    assert client.calls == 3
    assert harness.sleeps == [0.5, 1.0]


def test_transient_failures_end_in_a_transient_error(harness: Harness, fake: FakeMyUnisoft) -> None:
    fake.faults.add(Fault("status", times=None, status=503, path_contains="/diary"))
    client = harness.client(max_attempts=3)
    with pytest.raises(MyUnisoftTransientError) as caught:
        client.list_diaries()
    assert (caught.value.code, caught.value.status) == ("ERR-HTTP", 503)
    assert caught.value.request_id == client.last_request_id
    assert client.calls == 3
    assert harness.sleeps == [0.5, 1.0]


def test_timeouts_are_retried(harness: Harness, fake: FakeMyUnisoft) -> None:
    books(fake)
    fake.faults.add(Fault("timeout", times=1, seconds=0.5, path_contains="/diary"))
    client = harness.client(timeout_seconds=0.15)
    assert len(client.list_diaries()) == 1
    assert client.calls == 2


def test_connection_refused_is_transient() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sleeps: list[float] = []
    client = MyUnisoftClient(
        MyUnisoftAccess("t", "s", None),
        MyUnisoftSettings(api_url=f"http://127.0.0.1:{port}/api/v1", max_attempts=3, backoff_seconds=0.1),
        pacer=RatePacer(100, 1),
        sleep=sleeps.append,
    )
    with client, pytest.raises(MyUnisoftTransientError) as caught:
        client.list_exercices()
    assert caught.value.code == "ERR-NETWORK"
    assert not isinstance(caught.value, MyUnisoftAmbiguousWriteError)  # a GET is never ambiguous
    assert sleeps == [0.1, 0.2]


def test_backoff_is_capped(harness: Harness, fake: FakeMyUnisoft) -> None:
    fake.faults.add(Fault("status", times=None, status=500, path_contains="/diary"))
    with pytest.raises(MyUnisoftTransientError):
        harness.client(max_attempts=5, backoff_seconds=20).list_diaries()
    assert harness.sleeps == [20, 30, 30, 30]


def test_a_non_json_success_is_an_unexpected_response() -> None:
    client = mock_client(lambda request: httpx.Response(200, content=b"<html>"))
    with pytest.raises(MyUnisoftError) as caught:
        client.list_diaries()
    assert caught.value.code == "ERR-UNEXPECTED-RESPONSE"


def test_an_html_gateway_error_is_transient() -> None:
    calls: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if len(calls) == 1:
            return httpx.Response(502, content=b"<html>Bad Gateway</html>")
        return httpx.Response(200, content=json.dumps([]).encode())

    assert mock_client(answer).list_diaries() == []
    assert len(calls) == 2


# -- what the server asks before the next attempt --------------------------------------------------------
NOW = dt.datetime(2025, 3, 14, 9, 0, 0, tzinfo=dt.UTC).timestamp()
MAINTENANCE = {"error": {"code": "ERR-API-UNDER-MAINTENANCE", "message": "m", "details": ""}}


def scripted_client(*answers: httpx.Response, sleeps: list[float]) -> MyUnisoftClient:
    script = iter(answers)
    return MyUnisoftClient(
        MyUnisoftAccess("t", "s", None),
        MyUnisoftSettings(api_url="https://api.test/api/v1", backoff_seconds=0.5),
        http=httpx.Client(transport=httpx.MockTransport(lambda request: next(script))),
        pacer=RatePacer(100, 1),
        sleep=sleeps.append,
        clock=lambda: NOW,
    )


@pytest.mark.parametrize(
    ("retry_after", "expected_sleeps"),
    [("3", [3.0]), ("Fri, 14 Mar 2025 09:00:03 GMT", [3.0]), ("0", [])],
    ids=["seconds", "http-date", "now"],
)
def test_retry_after_is_honoured_in_seconds_or_as_an_http_date(
    retry_after: str, expected_sleeps: list[float]
) -> None:
    sleeps: list[float] = []
    client = scripted_client(
        httpx.Response(503, json=MAINTENANCE, headers={"Retry-After": retry_after}),
        httpx.Response(200, json=[]),
        sleeps=sleeps,
    )
    assert client.list_diaries() == []
    assert client.calls == 2
    assert sleeps == expected_sleeps


def test_a_retry_after_too_long_to_wait_is_raised_at_once() -> None:
    sleeps: list[float] = []
    client = scripted_client(
        httpx.Response(503, json=MAINTENANCE, headers={"Retry-After": "120"}), sleeps=sleeps
    )
    with pytest.raises(MyUnisoftTransientError) as caught:
        client.list_diaries()
    assert (caught.value.code, caught.value.retry_after) == ("ERR-API-UNDER-MAINTENANCE", 120.0)
    assert client.calls == 1  # the queue's redelivery waits, not a running Lambda
    assert sleeps == []


def test_a_408_is_transient() -> None:
    sleeps: list[float] = []
    client = scripted_client(httpx.Response(408), httpx.Response(200, json=[]), sleeps=sleeps)
    assert client.list_diaries() == []
    assert client.calls == 2
    assert sleeps == [0.5]
