"""MyUnisoftClient over the fake on 127.0.0.1 (and a few hand-made answers through MockTransport)."""

from __future__ import annotations

import datetime as dt
import json
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

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

SECRET = "partner-secret-XYZ-987"
TOKEN = "society-token-ABC-123"
CABINET = "cabinet-token-DEF-456"
SOCIETY, OTHER_SOCIETY, FOREIGN_SOCIETY = 3, 4, 99


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


@pytest.fixture
def harness(fake: FakeMyUnisoft) -> Iterator[Harness]:
    h = Harness(fake)
    try:
        yield h
    finally:
        h.close()


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


# -- routes ------------------------------------------------------------------------------------------------
def test_key_info(harness: Harness, fake: FakeMyUnisoft) -> None:
    info = harness.client().key_info()
    assert fake.token_activated(TOKEN)
    assert (info.token_type, info.is_cabinet, info.schema_id, info.society_id) == (
        "societe",
        False,
        1,
        SOCIETY,
    )
    assert info.allows("POST", "/entry")
    assert harness.sent[0].url.params["mode"] == "extended"
    firm = harness.client(CABINET, SOCIETY).key_info()
    assert (firm.token_type, firm.schema_id, firm.society_id) == ("cabinet", 1, None)


def test_diaries_accounts_exercices(harness: Harness, fake: FakeMyUnisoft) -> None:
    ids = books(fake)
    fake.add_diary(SOCIETY, "01", "ACHATS", diary_type_code="ACH", closed=True)
    fake.add_exercice(SOCIETY, "2023-01-01", "2023-12-31", closed=True)
    client = harness.client()
    diaries = client.list_diaries()
    assert [(d.code, d.is_payroll, d.closed) for d in diaries] == [("30", True, False), ("01", False, True)]
    accounts = client.list_accounts()
    assert {a.account_number: a.account_id for a in accounts} == {"421000": ids["421"], "641100": ids["641"]}
    assert harness.sent[-1].url.params["mode"] == "2"
    assert "begin_by" not in harness.sent[-1].url.params
    years = client.list_exercices()
    assert [(y.start_date, y.end_date, y.closed) for y in years] == [
        (dt.date(2024, 1, 1), dt.date(2024, 12, 31), False),
        (dt.date(2023, 1, 1), dt.date(2023, 12, 31), True),
    ]
    assert years[0].contains(dt.date(2024, 3, 31))


def test_find_or_create_account(harness: Harness, fake: FakeMyUnisoft) -> None:
    ids = books(fake)
    client = harness.client()
    assert client.find_or_create_account("421000", "ignored").account_id == ids["421"]
    padded = client.find_or_create_account("6411", "PRIMES")  # MyUnisoft pads it to 641100
    assert (padded.account_id, padded.account_number, padded.label) == (ids["641"], "641100", "SALAIRES")
    new = client.find_or_create_account("645", "CHARGES SOCIALES")
    assert (new.account_number, new.label) == ("645000", "CHARGES SOCIALES")
    with pytest.raises(MyUnisoftError) as caught:
        client.find_or_create_account("A645", "x")
    assert (caught.value.code, caught.value.status) == ("COMPTE6", 400)


def test_create_find_and_attach(harness: Harness, fake: FakeMyUnisoft) -> None:
    ids = books(fake)
    client = harness.client()
    assert client.find_entry_by_origin("paysync-3-2024-03-x") is None
    created = client.create_entry(entry(ids))
    assert not created.recovered
    assert created.request_id == client.last_request_id
    assert created.request_id == fake.entries(SOCIETY)[0]["request_id"]
    found = client.find_entry_by_origin("paysync-3-2024-03-x")
    assert found is not None
    assert (found.id_entry, found.type, found.json_metadata_partners) == (
        created.entry_id,
        "ENTRIES",
        '{"source": "paysync"}',
    )
    client.attach_document(created.entry_id, "journal de paie.pdf", b"%PDF-1.4 binary \x00\xff")
    upload = harness.sent[-1]
    assert upload.headers["Content-Type"] == "application/octet-stream"
    assert upload.url.params["location"] == "ENTRIES"
    assert upload.url.params["object_id"] == str(created.entry_id)
    assert upload.url.params["filename_extension"] == "journal de paie.pdf"
    assert upload.url.params["type_result"] == "1"
    [stored] = fake.entries(SOCIETY)
    assert stored["attachments"][-1]["content"] == b"%PDF-1.4 binary \x00\xff"


def test_request_ids_are_kept(harness: Harness, fake: FakeMyUnisoft) -> None:
    books(fake)
    client = harness.client()
    client.list_diaries()
    client.list_accounts()
    with pytest.raises(MyUnisoftError):
        client.find_or_create_account("", "x")
    assert len(client.request_ids) == 3
    assert len(set(client.request_ids)) == 3
    assert client.last_request_id == client.request_ids[-1]
    assert client.calls == 3


def test_health(harness: Harness) -> None:
    assert harness.client().health() is True


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


# -- writes are never blindly repeated --------------------------------------------------------------------
class LoseFirstAnswer(httpx.BaseTransport):
    """The request reaches the server and is applied; its answer never comes back."""

    def __init__(self, path: str) -> None:
        self._inner = httpx.HTTPTransport()
        self._path = path
        self.lost = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        if request.method == "POST" and request.url.path.endswith(self._path) and not self.lost:
            response.read()
            response.close()
            self.lost += 1
            raise httpx.ReadTimeout("answer lost", request=request)
        return response

    def close(self) -> None:
        self._inner.close()


def test_a_lost_answer_is_resolved_by_looking_the_entry_up(harness: Harness, fake: FakeMyUnisoft) -> None:
    ids = books(fake)
    transport = LoseFirstAnswer("/entry")
    client = harness.client(transport=transport)
    created = client.create_entry(entry(ids))
    assert transport.lost == 1
    assert created.recovered
    [stored] = fake.entries(SOCIETY)
    assert created.entry_id == stored["entry_id"]
    assert [r.url.path for r in harness.sent] == ["/api/v1/entry", "/api/v1/entry/id"]


def test_an_entry_not_applied_is_posted_again_once(harness: Harness, fake: FakeMyUnisoft) -> None:
    ids = books(fake)
    fake.faults.add(Fault("reset", times=1, path_contains="/api/v1/entry"))
    client = harness.client()
    created = client.create_entry(entry(ids))
    assert not created.recovered
    assert len(fake.entries(SOCIETY)) == 1
    assert [r.url.path for r in harness.sent] == ["/api/v1/entry", "/api/v1/entry/id", "/api/v1/entry"]
    assert harness.sleeps == [0.5]


def test_a_5xx_on_create_is_checked_before_posting_again(harness: Harness, fake: FakeMyUnisoft) -> None:
    ids = books(fake)
    fake.faults.add(Fault("status", times=1, status=500, path_contains="/api/v1/entry"))
    created = harness.client().create_entry(entry(ids))
    assert len(fake.entries(SOCIETY)) == 1
    assert created.entry_id == fake.entries(SOCIETY)[0]["entry_id"]


def test_a_rate_limited_create_is_simply_retried(harness: Harness, fake: FakeMyUnisoft) -> None:
    ids = books(fake)
    fake.faults.add(Fault("rate_limit", times=1, seconds=1, path_contains="/api/v1/entry"))
    client = harness.client()
    client.create_entry(entry(ids))
    assert [r.url.path for r in harness.sent] == ["/api/v1/entry", "/api/v1/entry"]  # no look-up needed
    assert len(fake.entries(SOCIETY)) == 1


def test_without_a_partner_id_a_lost_answer_is_raised(harness: Harness, fake: FakeMyUnisoft) -> None:
    ids = books(fake)
    client = harness.client(transport=LoseFirstAnswer("/entry"))
    with pytest.raises(MyUnisoftAmbiguousWriteError) as caught:
        client.create_entry(entry(ids, partner_id=None))
    assert isinstance(caught.value, MyUnisoftTransientError)
    assert client.calls == 1
    assert len(fake.entries(SOCIETY)) == 1  # it was applied: the caller must not blindly repost


def test_posting_an_existing_partner_id_returns_the_existing_entry(
    harness: Harness, fake: FakeMyUnisoft
) -> None:
    ids = books(fake)
    client = harness.client()
    first = client.create_entry(entry(ids))
    second = client.create_entry(entry(ids))
    assert second.entry_id == first.entry_id
    assert second.recovered
    assert len(fake.entries(SOCIETY)) == 1


def test_a_lost_attachment_answer_is_not_repeated(harness: Harness, fake: FakeMyUnisoft) -> None:
    ids = books(fake)
    entry_id = harness.client().create_entry(entry(ids)).entry_id
    fake.faults.add(Fault("status", times=1, status=502, path_contains="/document"))
    client = harness.client()
    with pytest.raises(MyUnisoftAmbiguousWriteError) as caught:
        client.attach_document(entry_id, "a.pdf", b"%PDF")
    assert (caught.value.code, caught.value.status, client.calls) == ("ERR-HTTP", 502, 1)
    fake.faults.add(Fault("maintenance", times=1, path_contains="/document"))
    client.attach_document(entry_id, "a.pdf", b"%PDF")  # refused at the gateway: safe to repeat
    assert client.calls == 3


# -- answers the fake does not give -----------------------------------------------------------------------
def mock_client(answer: Callable[[httpx.Request], httpx.Response]) -> MyUnisoftClient:
    return MyUnisoftClient(
        MyUnisoftAccess("t", "s", None),
        MyUnisoftSettings(api_url="https://api.test/api/v1"),
        http=httpx.Client(transport=httpx.MockTransport(answer)),
        pacer=RatePacer(100, 1),
        sleep=lambda _: None,
    )


@pytest.mark.parametrize("body", [b"", b"null", b"{}", b"[]", b'{"id_entry": null}'])
def test_not_found_shapes(body: bytes) -> None:
    client = mock_client(lambda request: httpx.Response(200, content=body))
    assert client.find_entry_by_origin("x") is None


def test_a_404_on_the_lookup_is_an_error_not_an_absence() -> None:
    body = {"error": {"code": "ERR-HTTP", "message": "", "details": ""}}
    client = mock_client(lambda request: httpx.Response(404, json=body))
    with pytest.raises(MyUnisoftError) as caught:
        client.find_entry_by_origin("x")
    assert caught.value.status == 404


@pytest.mark.parametrize(
    "answer",
    [{"entry_id": 7}, {"id_entry": 7}, {"type": "E", "entry_array": [{"entry_id": 7}]}, [{"entry_id": 7}]],
)
def test_created_entry_id_is_found_in_the_plausible_shapes(answer: Any) -> None:
    client = mock_client(lambda request: httpx.Response(200, json=answer, headers={"request-id": "req-9"}))
    created = client.create_entry({"entry_origin_partner_id": "p"})
    assert (created.entry_id, created.request_id, created.recovered) == (7, "req-9", False)


def test_a_creation_answer_without_id_is_resolved_by_the_partner_id() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(200, content=b"")
        assert request.url.params["id_origin"] == "p"
        return httpx.Response(200, json={"id_entry": 11, "type": "ENTRIES"})

    created = mock_client(answer).create_entry({"entry_origin_partner_id": "p"})
    assert (created.entry_id, created.recovered) == (11, True)


def test_a_chart_in_several_pages_still_returns_what_came() -> None:
    page = {
        "rows_number": 3,
        "pages_number": 2,
        "account_array": [{"account_id": 1, "account_number": "401"}],
    }
    accounts = mock_client(lambda request: httpx.Response(200, json=page)).list_accounts()
    assert [a.account_id for a in accounts] == [1]


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
