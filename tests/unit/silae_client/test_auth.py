"""OAuth2 and the token cache (``paysync.silae.auth``) through SilaeClient, against FakeSilae over
real HTTP (httpx.MockTransport only where the fake cannot produce the answer)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from local.fakes.silae import FakeSilae
from paysync.config import SilaeSettings
from paysync.silae.auth import CachedToken, SilaeCredentials, TokenCache, default_token_cache
from paysync.silae.client import SilaeClient
from paysync.silae.errors import (
    SilaeAuthenticationError,
)
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
        SilaeSettings(**MOCKED_URLS),
        http=httpx.Client(transport=httpx.MockTransport(transport)),
        token_cache=TokenCache(),
    )
    with pytest.raises(SilaeAuthenticationError) as caught:
        client.check_token()
    assert "bad secret ***" in str(caught.value)
    assert_no_secret(caught.value)
