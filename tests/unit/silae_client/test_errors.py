"""SilaeClient's failures: API Management's refusals of the clé de configuration, API errors,
retries, and secrets kept out of every error and log. Against FakeSilae over real HTTP
(httpx.MockTransport only for third-party gateway wordings)."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from local.fakes.server import Fault
from local.fakes.silae import FakeSilae
from paysync.config import SilaeSettings
from paysync.errors import TransientError
from paysync.silae.auth import SilaeCredentials, TokenCache
from paysync.silae.client import SilaeClient
from paysync.silae.errors import (
    SilaeApiError,
    SilaeError,
    SilaeRateLimitError,
    SilaeRecoverableApiError,
    SilaeResponseError,
    SilaeSubscriptionKeyError,
    SilaeTransientError,
)
from paysync.vendor_http.retry import MAX_RETRY_AFTER_SECONDS
from tests.unit.silae_client.support import (
    CLIENT_ID,
    KEY,
    MAY,
    MOCKED_URLS,
    SECRET,
    MakeClient,
    Sleeps,
    assert_no_secret,
)

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
        SilaeSettings(**MOCKED_URLS),
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


def test_backoff_is_capped_as_for_every_vendor(
    fake: FakeSilae, make_client: MakeClient, sleeps: Sleeps
) -> None:
    fake.faults.add(Fault("gateway", times=None, status=502, path_contains="/payroll/"))
    with pytest.raises(SilaeTransientError):
        make_client(max_attempts=4, backoff_seconds=20).list_dossier_numbers()
    assert sleeps == [20, 30, 30]  # no longer 20, 40, 80


def test_rate_limit_retry_after_as_an_http_date() -> None:
    now = datetime(2025, 3, 14, 9, 0, 0, tzinfo=UTC).timestamp()
    answers = iter(
        [
            httpx.Response(429, headers={"Retry-After": "Fri, 14 Mar 2025 09:00:05 GMT"}, text="slow down"),
            httpx.Response(200, json={"listeNumerosDossiers": ["D001"]}),
        ]
    )

    def transport(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            return httpx.Response(200, json={"access_token": "tok", "expires_in": 3600})
        return next(answers)

    sleeps = Sleeps()
    client = SilaeClient(
        SilaeCredentials("c", SECRET, KEY),
        SilaeSettings(**MOCKED_URLS),
        http=httpx.Client(transport=httpx.MockTransport(transport)),
        token_cache=TokenCache(),
        sleep=sleeps,
        clock=lambda: now,
    )
    assert client.list_dossier_numbers() == ["D001"]
    assert sleeps == [5.0]


# -- secrets ------------------------------------------------------------------------------------------


def test_credentials_repr_hides_secrets() -> None:
    credentials = SilaeCredentials(CLIENT_ID, SECRET, KEY)
    assert CLIENT_ID in repr(credentials)
    assert SECRET not in repr(credentials)
    assert KEY not in repr(credentials)
    assert SECRET not in repr(
        SilaeClient(credentials, SilaeSettings(**MOCKED_URLS), token_cache=TokenCache())
    )


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
