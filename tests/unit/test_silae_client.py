"""SilaeClient against FakeSilae over real HTTP on 127.0.0.1 (httpx.MockTransport only where the
fake cannot produce the answer: third-party gateway wordings, unreadable headers, echoed secrets)."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from local.fakes.server import Fault
from local.fakes.silae import FakeSilae
from paysync.config import SilaeSettings
from paysync.domain.payroll import Direction, PayrollGroup, PayrollLine
from paysync.domain.periods import Period
from paysync.errors import TransientError
from paysync.silae.auth import CachedToken, SilaeCredentials, TokenCache, default_token_cache
from paysync.silae.client import SilaeClient, parse_expiration_warning
from paysync.silae.errors import (
    SilaeApiError,
    SilaeAuthenticationError,
    SilaeError,
    SilaeRateLimitError,
    SilaeRecoverableApiError,
    SilaeResponseError,
    SilaeSubscriptionKeyError,
    SilaeTransientError,
)
from paysync.vendor_http.retry import MAX_RETRY_AFTER_SECONDS

PARIS_OFFSET_SUMMER = timedelta(hours=2)
CLIENT_ID = "client-cabinet-1"
SECRET = "s3cr3t-Client-Secret-value"
KEY = "primary-subscription-key-0123"
MAY = Period(2024, 5)
RUPTURES: list[dict[str, Any]] = [
    {
        "libelle": "Paie mai 2024",
        "totalDebit": 2345.67,
        "totalCredit": 2345.67,
        "ecritures": [
            {"codeJournal": "PA", "compte": "641000", "libelle": "Salaires", "sens": "D", "valeur": 2345.67},
            {
                "codeJournal": "PA",
                "compte": "421000",
                "libelle": "Net à payer",
                "sens": "D",
                "valeur": -1800.1,
            },
            {"codeJournal": "PA", "compte": "431000", "libelle": "URSSAF", "sens": "C", "valeur": 545.57},
            {"codeJournal": "PA", "compte": "437000", "libelle": "Néant", "sens": "C", "valeur": 0.0},
        ],
    },
    {
        "libelle": "Tout à zéro",
        "totalDebit": 0,
        "totalCredit": 0,
        "ecritures": [
            {"codeJournal": "PA", "compte": "641100", "libelle": "Primes", "sens": "D", "valeur": 0}
        ],
    },
]


@pytest.fixture(scope="module")
def server() -> Iterator[FakeSilae]:
    fake = FakeSilae()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def fake(server: FakeSilae) -> FakeSilae:
    server.reset()
    server.add_api_account(CLIENT_ID, SECRET, secret_expires_at=datetime.now(UTC) + timedelta(days=200))
    server.add_access_configuration(KEY, CLIENT_ID, ["D001", "D002"])
    server.set_payroll("D001", MAY, RUPTURES, files=[("OD paie 05-2024.pdf", b"%PDF-1.7 payroll")])
    return server


class Sleeps(list[float]):
    """An injected no-op sleep that remembers what it was asked."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


MakeClient = Callable[..., SilaeClient]


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


def assert_no_secret(exc: BaseException, *secrets: str) -> None:
    for secret in (SECRET, KEY, *secrets):
        assert secret not in str(exc)
        assert secret not in repr(exc)
        assert all(secret not in str(arg) for arg in exc.args)


# -- happy paths --------------------------------------------------------------------------------------


def test_list_dossier_numbers_sends_no_dossiers_header(fake: FakeSilae, make_client: MakeClient) -> None:
    assert make_client().list_dossier_numbers() == ["D001", "D002"]
    (request,) = fake.requests_to("ListeNumerosDossiers")
    assert request.header("dossiers") is None
    assert request.header("ocp-apim-subscription-key") == KEY
    assert (request.header("authorization") or "").startswith("Bearer ")
    assert request.body == b""


def test_fetch_entries_maps_ruptures_to_groups(fake: FakeSilae, make_client: MakeClient) -> None:
    groups = make_client().fetch_entries("D001", MAY)

    assert groups == [
        PayrollGroup(
            label="Paie mai 2024",
            lines=(
                PayrollLine("641000", "Salaires", Direction.DEBIT, Decimal("2345.67")),
                # negative valeur: same amount on the other side
                PayrollLine("421000", "Net à payer", Direction.CREDIT, Decimal("1800.10")),
                PayrollLine("431000", "URSSAF", Direction.CREDIT, Decimal("545.57")),
            ),
            total_debit=Decimal("2345.67"),
            total_credit=Decimal("2345.67"),
            journal_code="PA",
        )
    ]  # the zero line and the all-zero rupture are gone
    (request,) = fake.requests_to("EcrituresComptables4")
    assert request.header("dossiers") == "D001"
    assert request.json() == {
        "numeroDossier": "D001",
        "periodeDebut": "2024-05-01T00:00:00",
        "periodeFin": "2024-05-31T00:00:00",
        "avecToutesLesRepartitionsAnalytiques": False,
    }


def test_fetch_entries_february_of_a_leap_year(fake: FakeSilae, make_client: MakeClient) -> None:
    assert make_client().fetch_entries("D001", Period(2024, 2)) == []
    assert fake.requests_to("EcrituresComptables4")[0].json()["periodeFin"] == "2024-02-29T00:00:00"


def test_amounts_are_exact_decimals(fake: FakeSilae, make_client: MakeClient) -> None:
    line = {"codeJournal": "PA", "compte": "641000", "libelle": "x", "sens": "C", "valeur": 0.1 + 0.2}
    fake.set_payroll(
        "D002", MAY, [{"libelle": "g", "totalDebit": 0.3, "totalCredit": 0.3, "ecritures": [line]}]
    )
    (group,) = make_client().fetch_entries("D002", MAY)
    assert group.lines[0].amount == Decimal("0.30")
    assert str(group.lines[0].amount) == "0.30"


def test_fetch_files_decodes_base64(fake: FakeSilae, make_client: MakeClient) -> None:
    (file,) = make_client().fetch_files("D001", MAY)
    assert file.name == "OD paie 05-2024.pdf"
    assert file.content == b"%PDF-1.7 payroll"
    (request,) = fake.requests_to("RecupererFichiers")
    assert request.header("dossiers") == "D001"
    assert request.json() == {
        "numeroDossier": "D001",
        "periodeDebut": "2024-05-01T00:00:00",
        "periodeFin": "2024-05-31T00:00:00",
    }


def test_empty_dossier_number_is_refused_before_any_call(make_client: MakeClient) -> None:
    client = make_client()
    with pytest.raises(ValueError):
        client.fetch_entries("  ", MAY)
    assert client.calls == 0


def test_domain_groups_set_on_the_fake_round_trip(fake: FakeSilae, make_client: MakeClient) -> None:
    group = PayrollGroup(
        label="Paie",
        lines=(
            PayrollLine("641000", "Salaires", Direction.DEBIT, Decimal("1000.00")),
            PayrollLine("421000", "Net", Direction.CREDIT, Decimal("1000.00")),
        ),
        total_debit=Decimal("1000.00"),
        total_credit=Decimal("1000.00"),
        journal_code="OD",
    )
    fake.set_payroll("D002", MAY, [group])
    assert make_client().fetch_entries("D002", MAY) == [group]


# -- token cache --------------------------------------------------------------------------------------


def test_one_token_for_many_api_calls(fake: FakeSilae, make_client: MakeClient) -> None:
    client = make_client()
    client.check_token()
    for _ in range(3):
        client.fetch_entries("D001", MAY)
    client.fetch_files("D001", MAY)
    client.list_dossier_numbers()
    assert fake.call_count("/oauth2/") == 1
    assert client.calls == 6  # the token included


def test_token_shared_by_clients_of_the_same_client_id(fake: FakeSilae, make_client: MakeClient) -> None:
    cache = TokenCache()
    make_client(cache=cache).list_dossier_numbers()
    make_client(cache=cache).list_dossier_numbers()
    assert fake.call_count("/oauth2/") == 1

    fake.add_api_account("client-2", "other-secret", secret_expires_at=datetime.now(UTC) + timedelta(days=90))
    fake.add_access_configuration("key-2", "client-2", ["D009"])
    make_client("client-2", "other-secret", "key-2", cache=cache).list_dossier_numbers()
    assert fake.call_count("/oauth2/") == 2
    assert CLIENT_ID in cache and "client-2" in cache


def test_changed_secret_does_not_reuse_the_old_token(fake: FakeSilae, make_client: MakeClient) -> None:
    cache = TokenCache()
    make_client(cache=cache).check_token()
    fake.add_api_account(
        CLIENT_ID, "regenerated-secret", secret_expires_at=datetime.now(UTC) + timedelta(days=365)
    )
    make_client(secret="regenerated-secret", cache=cache).check_token()
    assert fake.call_count("/oauth2/") == 2


def test_token_refetched_60_seconds_before_expiry(fake: FakeSilae, sleeps: Sleeps) -> None:
    now = [datetime.now(UTC).timestamp()]
    settings = SilaeSettings(auth_url=fake.auth_url, api_url=fake.api_url, backoff_seconds=0.0)
    with SilaeClient(
        SilaeCredentials(CLIENT_ID, SECRET, KEY),
        settings,
        token_cache=TokenCache(),
        sleep=sleeps,
        clock=lambda: now[0],
    ) as client:
        client.list_dossier_numbers()
        now[0] += 3600 - 61
        client.list_dossier_numbers()
        assert fake.call_count("/oauth2/") == 1
        now[0] += 2  # 59 s left
        client.list_dossier_numbers()
        assert fake.call_count("/oauth2/") == 2


def test_token_cache_expiry_falls_back_to_expires_on(fake: FakeSilae) -> None:
    def transport(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            return httpx.Response(200, json={"access_token": "tok-A", "expires_on": "2000"})
        return httpx.Response(200, json={"listeNumerosDossiers": []})

    now = [1000.0]
    cache = TokenCache()
    settings = SilaeSettings(auth_url="https://auth.test/token", api_url="https://api.test/payroll")
    client = SilaeClient(
        SilaeCredentials("x", SECRET, KEY),
        settings,
        http=httpx.Client(transport=httpx.MockTransport(transport)),
        token_cache=cache,
        clock=lambda: now[0],
    )
    client.check_token()
    now[0] = 1939.0
    client.check_token()
    assert client.calls == 1
    now[0] = 1941.0
    client.check_token()
    assert client.calls == 2


def test_concurrent_callers_share_one_token_fetch(fake: FakeSilae, make_client: MakeClient) -> None:
    fake.faults.latency_seconds = 0.05  # widen the race window
    cache = TokenCache()
    clients = [make_client(cache=cache) for _ in range(8)]
    barrier = threading.Barrier(len(clients))
    errors: list[BaseException] = []

    def run(client: SilaeClient) -> None:
        barrier.wait()
        try:
            client.check_token()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert fake.call_count("/oauth2/") == 1


def test_default_cache_is_shared_across_clients(fake: FakeSilae) -> None:
    client_id = "client-default-cache"
    fake.add_api_account(client_id, SECRET, secret_expires_at=datetime.now(UTC) + timedelta(days=90))
    settings = SilaeSettings(auth_url=fake.auth_url, api_url=fake.api_url)
    try:
        for _ in range(2):
            with SilaeClient(SilaeCredentials(client_id, SECRET, KEY), settings) as client:
                client.check_token()
        assert fake.call_count("/oauth2/") == 1
        default_token_cache.invalidate(client_id)
        assert client_id not in default_token_cache
    finally:
        default_token_cache.invalidate(client_id)


def test_invalidate_keeps_a_newer_token() -> None:
    cache = TokenCache()
    cache.put("c", CachedToken("new-token", expires_at=10_000.0, fingerprint="f"))
    cache.invalidate("c", "old-token")
    assert cache.get("c", "f", now=0.0) == "new-token"
    assert cache.get("c", "other-fingerprint", now=0.0) is None
    cache.invalidate("c")
    assert cache.get("c", "f", now=0.0) is None


def test_rejected_token_is_invalidated_and_refetched_once(fake: FakeSilae, make_client: MakeClient) -> None:
    client = make_client()
    client.list_dossier_numbers()
    fake.revoke_tokens()
    assert client.fetch_entries("D001", MAY)
    assert fake.call_count("/oauth2/") == 2
    assert fake.call_count("EcrituresComptables4") == 2


def test_token_refused_twice_is_an_authentication_error(fake: FakeSilae, make_client: MakeClient) -> None:
    fake.token_lifetime_seconds = 0  # every token the fake issues is already expired
    client = make_client()
    with pytest.raises(SilaeAuthenticationError) as caught:
        client.list_dossier_numbers()
    assert caught.value.status == 401
    assert caught.value.error == "invalid_token"
    assert fake.call_count("/oauth2/") == 2
    assert fake.call_count("ListeNumerosDossiers") == 2
    assert_no_secret(caught.value)


# -- authentication errors ----------------------------------------------------------------------------


def test_wrong_secret(make_client: MakeClient, sleeps: Sleeps) -> None:
    with pytest.raises(SilaeAuthenticationError) as caught:
        make_client(secret="wrong-secret-value").check_token()
    assert caught.value.status == 401
    assert caught.value.error == "invalid_client"
    assert sleeps == []  # never retried
    assert_no_secret(caught.value, "wrong-secret-value")


def test_expired_secret(fake: FakeSilae, make_client: MakeClient) -> None:
    fake.add_api_account(CLIENT_ID, SECRET, secret_expires_at=datetime.now(UTC) - timedelta(minutes=1))
    with pytest.raises(SilaeAuthenticationError) as caught:
        make_client().list_dossier_numbers()
    assert caught.value.error == "invalid_client"
    assert "expired" in str(caught.value)
    assert fake.call_count("/payroll/") == 0
    assert_no_secret(caught.value)


def test_unknown_client_and_wrong_scope(make_client: MakeClient) -> None:
    with pytest.raises(SilaeAuthenticationError) as unknown:
        make_client(client_id="nobody").check_token()
    assert unknown.value.error == "invalid_client"
    with pytest.raises(SilaeAuthenticationError) as scope:
        make_client(scope="https://example.test/.default").check_token()
    assert scope.value.status == 400
    assert scope.value.error == "invalid_scope"


def test_secret_echoed_by_the_token_endpoint_is_redacted() -> None:
    def transport(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            401, json={"error": "invalid_client", "error_description": f"bad secret {SECRET} for key {KEY}"}
        )

    client = SilaeClient(
        SilaeCredentials("c", SECRET, KEY),
        SilaeSettings(),
        http=httpx.Client(transport=httpx.MockTransport(transport)),
        token_cache=TokenCache(),
    )
    with pytest.raises(SilaeAuthenticationError) as caught:
        client.check_token()
    assert "bad secret ***" in str(caught.value)
    assert_no_secret(caught.value)


# -- subscription key errors --------------------------------------------------------------------------


def test_missing_subscription_key(make_client: MakeClient) -> None:
    with pytest.raises(SilaeSubscriptionKeyError) as caught:
        make_client(key="").list_dossier_numbers()
    assert caught.value.reason == "SubscriptionKeyNotFound"
    assert caught.value.status == 401


@pytest.mark.parametrize("case", ["unknown", "revoked", "other_account"])
def test_invalid_subscription_key(
    fake: FakeSilae, make_client: MakeClient, sleeps: Sleeps, case: str
) -> None:
    key = KEY
    if case == "unknown":
        key = "not-a-key"
    elif case == "revoked":
        fake.revoke_subscription_key(KEY)
    else:  # dossier-level key of another API account used with the firm's token (the seed's conflict)
        fake.add_api_account("client-dossier", "x", secret_expires_at=datetime.now(UTC) + timedelta(days=9))
        fake.add_access_configuration("dossier-key", "client-dossier", ["D001"])
        key = "dossier-key"
    client = make_client(key=key)
    with pytest.raises(SilaeSubscriptionKeyError) as caught:
        client.fetch_entries("D001", MAY)
    assert caught.value.reason == "SubscriptionKeyInvalid"
    assert sleeps == []
    assert fake.call_count("/oauth2/") == 1  # not mistaken for a token problem
    assert_no_secret(caught.value, key)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (
            {"statusCode": 401, "message": "Access denied due to invalid subscription key."},
            "SubscriptionKeyInvalid",
        ),
        (
            {"statusCode": 401, "message": "Access denied due to missing subscription key."},
            "SubscriptionKeyNotFound",
        ),
        ({"reason": "SubscriptionKeyNotFound"}, "SubscriptionKeyNotFound"),
        (
            "backend, authorization, SubscriptionKeyInvalid, Access denied due to invalid subscription key. "
            "Make sure to provide a valid key for an active subscription",
            "SubscriptionKeyInvalid",
        ),
    ],
)
def test_gateway_wordings_of_subscription_key_errors(body: Any, reason: str) -> None:
    def transport(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            return httpx.Response(200, json={"access_token": "tok", "expires_in": 3600})
        if isinstance(body, str):
            return httpx.Response(401, text=body)
        return httpx.Response(401, json=body)

    client = SilaeClient(
        SilaeCredentials("c", SECRET, KEY),
        SilaeSettings(),
        http=httpx.Client(transport=httpx.MockTransport(transport)),
        token_cache=TokenCache(),
    )
    with pytest.raises(SilaeSubscriptionKeyError) as caught:
        client.list_dossier_numbers()
    assert caught.value.reason == reason
    assert client.calls == 2


# -- API errors and retries ---------------------------------------------------------------------------


def test_dossier_not_in_the_access_configuration(
    fake: FakeSilae, make_client: MakeClient, sleeps: Sleeps
) -> None:
    with pytest.raises(SilaeApiError) as caught:
        make_client().fetch_entries("D404", MAY)
    error = caught.value
    assert not isinstance(error, SilaeTransientError)
    assert error.status == 400
    assert error.recoverable is False
    assert error.source == "Api"
    assert [item.code for item in error.errors] == [fake.dossier_denied_code]
    assert sleeps == []
    assert fake.call_count("EcrituresComptables4") == 1


def test_recoverable_error_retried_with_exponential_backoff_then_raised(
    fake: FakeSilae, make_client: MakeClient, sleeps: Sleeps
) -> None:
    fake.faults.add(Fault("recoverable", times=None, path_contains="EcrituresComptables4"))
    with pytest.raises(SilaeRecoverableApiError) as caught:
        make_client(max_attempts=4, backoff_seconds=0.5).fetch_entries("D001", MAY)
    assert isinstance(caught.value, TransientError)
    assert caught.value.recoverable is True
    assert caught.value.source == "Server"
    assert sleeps == [0.5, 1.0, 2.0]
    assert fake.call_count("EcrituresComptables4") == 4


def test_recoverable_error_then_success(fake: FakeSilae, make_client: MakeClient, sleeps: Sleeps) -> None:
    fake.faults.add(Fault("recoverable", times=2, path_contains="RecupererFichiers"))
    client = make_client()
    assert len(client.fetch_files("D001", MAY)) == 1
    assert sleeps == [0.01, 0.02]
    assert client.calls == 4  # token + 3 attempts


def test_unrecoverable_error_is_not_retried(fake: FakeSilae, make_client: MakeClient, sleeps: Sleeps) -> None:
    fake.faults.add(Fault("unrecoverable", path_contains="EcrituresComptables4"))
    with pytest.raises(SilaeApiError) as caught:
        make_client().fetch_entries("D001", MAY)
    assert not isinstance(caught.value, SilaeTransientError)
    assert caught.value.errors[0].code == "CONFIGURATION_INVALIDE"
    assert sleeps == []


def test_rate_limit_honours_retry_after(fake: FakeSilae, make_client: MakeClient, sleeps: Sleeps) -> None:
    fake.faults.add(Fault("rate_limit", seconds=7, path_contains="ListeNumerosDossiers"))
    assert make_client().list_dossier_numbers() == ["D001", "D002"]
    assert sleeps == [7.0]


def test_rate_limit_too_long_to_wait_is_raised_at_once(
    fake: FakeSilae, make_client: MakeClient, sleeps: Sleeps
) -> None:
    fake.faults.add(Fault("rate_limit", seconds=MAX_RETRY_AFTER_SECONDS + 1, path_contains="Liste"))
    with pytest.raises(SilaeRateLimitError) as caught:
        make_client().list_dossier_numbers()
    assert caught.value.retry_after == MAX_RETRY_AFTER_SECONDS + 1
    assert caught.value.status == 429
    assert sleeps == []


def test_gateway_5xx_without_api_errors_is_transient(
    fake: FakeSilae, make_client: MakeClient, sleeps: Sleeps
) -> None:
    fake.faults.add(Fault("gateway", times=None, status=502, path_contains="/payroll/"))
    with pytest.raises(SilaeTransientError) as caught:
        make_client().list_dossier_numbers()
    assert not isinstance(caught.value, SilaeApiError)
    assert caught.value.status == 502
    assert len(sleeps) == 2


def test_injected_503_carries_a_recoverable_api_errors(fake: FakeSilae, make_client: MakeClient) -> None:
    fake.faults.add(Fault("status", times=None, status=503, path_contains="/payroll/"))
    with pytest.raises(SilaeRecoverableApiError):
        make_client().list_dossier_numbers()


def test_timeout_is_retried(fake: FakeSilae, make_client: MakeClient, sleeps: Sleeps) -> None:
    fake.faults.add(Fault("timeout", seconds=0.6, path_contains="ListeNumerosDossiers"))
    assert make_client(timeout_seconds=0.2).list_dossier_numbers() == ["D001", "D002"]
    assert sleeps == [0.01]


def test_connection_reset_is_retried(fake: FakeSilae, make_client: MakeClient, sleeps: Sleeps) -> None:
    fake.faults.add(Fault("reset", path_contains="EcrituresComptables4"))
    assert make_client().fetch_entries("D001", MAY)
    assert len(sleeps) == 1


def test_connection_refused_raises_transient_after_max_attempts(
    make_client: MakeClient, sleeps: Sleeps
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = make_client(auth_url=f"http://127.0.0.1:{port}/oauth2/v2.0/token")
    with pytest.raises(SilaeTransientError) as caught:
        client.check_token()
    assert client.calls == 3
    assert sleeps == [0.01, 0.02]
    assert_no_secret(caught.value)


def test_token_endpoint_5xx_is_retried(fake: FakeSilae, make_client: MakeClient, sleeps: Sleeps) -> None:
    fake.faults.add(Fault("status", times=2, status=500, path_contains="/oauth2/"))
    make_client().check_token()
    assert fake.call_count("/oauth2/") == 3
    assert sleeps == [0.01, 0.02]


def test_unreadable_success_body_is_a_response_error(fake: FakeSilae, make_client: MakeClient) -> None:
    fake.set_payroll(
        "D002", MAY, [{"libelle": "g", "ecritures": [{"compte": "1", "sens": "X", "valeur": 1}]}]
    )
    with pytest.raises(SilaeResponseError):
        make_client().fetch_entries("D002", MAY)


# -- expiration warnings ------------------------------------------------------------------------------


def test_expiration_headers_are_recorded(fake: FakeSilae, make_client: MakeClient) -> None:
    primary = datetime(2031, 6, 15, 14, 30, 5, tzinfo=UTC)
    secondary = datetime(2031, 1, 2, 0, 15, 0, tzinfo=UTC)
    fake.clock = lambda: datetime(2031, 6, 1, tzinfo=UTC).timestamp()
    fake.add_api_account(
        CLIENT_ID, SECRET, secret_expires_at=primary, secondary_secret="old", secondary_expires_at=secondary
    )
    client = make_client()
    assert client.key_expiry is None
    client.list_dossier_numbers()
    assert client.key_expiry == primary
    assert client.key_expiry is not None and client.key_expiry.utcoffset() == PARIS_OFFSET_SUMMER
    assert client.secondary_key_expiry == secondary


def test_no_expiration_header_far_from_expiry(make_client: MakeClient) -> None:
    client = make_client()
    client.list_dossier_numbers()
    assert client.key_expiry is None
    assert client.secondary_key_expiry is None


def test_unreadable_expiration_header_is_logged_and_ignored(caplog: pytest.LogCaptureFixture) -> None:
    def transport(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            return httpx.Response(200, json={"access_token": "tok", "expires_in": 3600})
        return httpx.Response(
            200, headers={"X-PrimaryKeyExpirationWarning": "soon"}, json={"listeNumerosDossiers": ["A"]}
        )

    client = SilaeClient(
        SilaeCredentials("c", SECRET, KEY),
        SilaeSettings(),
        http=httpx.Client(transport=httpx.MockTransport(transport)),
        token_cache=TokenCache(),
    )
    with caplog.at_level(logging.WARNING, logger="paysync.silae.client"):
        assert client.list_dossier_numbers() == ["A"]
    assert client.key_expiry is None
    assert "X-PrimaryKeyExpirationWarning" in caplog.text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("31/12/2024 11:59:59 PM", datetime(2024, 12, 31, 23, 59, 59)),
        ("01/06/2025 12:00:00 AM", datetime(2025, 6, 1, 0, 0, 0)),
        ("01/06/2025 12:30:00 PM", datetime(2025, 6, 1, 12, 30, 0)),
        ("01/06/2025 01:05:09 AM", datetime(2025, 6, 1, 1, 5, 9)),
        ("1/6/2025 1:05:09 pm", datetime(2025, 6, 1, 13, 5, 9)),
        ("05/03/2025 11:00:00 AM", datetime(2025, 3, 5, 11, 0, 0)),  # day first
        ("05/03/2025 17:00:00", datetime(2025, 3, 5, 17, 0, 0)),  # 24-hour, no AM/PM
    ],
)
def test_parse_expiration_warning(value: str, expected: datetime) -> None:
    parsed = parse_expiration_warning(value)
    assert parsed.tzinfo is not None
    assert parsed.replace(tzinfo=None) == expected
    assert str(parsed.tzinfo) == "Europe/Paris"


def test_parse_expiration_warning_uses_paris_offsets() -> None:
    assert parse_expiration_warning("15/01/2025 12:00:00 PM").utcoffset() == timedelta(hours=1)
    assert parse_expiration_warning("15/07/2025 12:00:00 PM") == datetime(2025, 7, 15, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "garbage",
        "2025-06-01T10:00:00",
        "32/01/2025 01:00:00 AM",
        "29/02/2025 01:00:00 AM",
        "01/13/2025 01:00:00 AM",
        "01/06/2025 13:00:00 PM",
        "01/06/2025 00:00:00 AM",
        "01/06/2025 10:61:00 AM",
        "01/06/2025 10:00 AM",
        "01/06/2025 10:00:00 XM",
    ],
)
def test_parse_expiration_warning_rejects_garbage(value: str) -> None:
    with pytest.raises(ValueError):
        parse_expiration_warning(value)


# -- secrets ------------------------------------------------------------------------------------------


def test_credentials_repr_hides_secrets() -> None:
    credentials = SilaeCredentials(CLIENT_ID, SECRET, KEY)
    assert CLIENT_ID in repr(credentials)
    assert SECRET not in repr(credentials)
    assert KEY not in repr(credentials)
    assert SECRET not in repr(SilaeClient(credentials, SilaeSettings(), token_cache=TokenCache()))


def test_no_secret_or_token_in_any_error_or_log(
    fake: FakeSilae, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    tokens: list[str] = []

    def capture(response: httpx.Response) -> None:
        if response.request.url.path.endswith("/token") and response.status_code == 200:
            response.read()
            tokens.append(response.json()["access_token"])

    client = make_client()
    client._http.event_hooks["response"].append(capture)

    def with_fault(kind: str) -> Callable[[], object]:
        def run() -> object:
            fake.faults.add(Fault(kind, times=None, path_contains="/payroll/"))
            return client.list_dossier_numbers()

        return run

    scenarios: list[Callable[[], object]] = [
        lambda: client.fetch_entries("D404", MAY),
        lambda: make_client(secret="bad").check_token(),
        lambda: make_client(key="unknown-key").list_dossier_numbers(),
        *(with_fault(kind) for kind in ("recoverable", "unrecoverable", "rate_limit", "gateway")),
    ]
    errors: list[SilaeError] = []
    for scenario in scenarios:
        with pytest.raises(SilaeError) as caught:
            scenario()
        fake.faults.clear()
        errors.append(caught.value)
    assert tokens
    assert len(errors) == 7
    for error in errors:
        assert_no_secret(error, *tokens)
    for secret in (SECRET, KEY, *tokens):
        assert secret not in caplog.text
