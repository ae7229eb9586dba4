"""FakeSilae's front doors over plain httpx (no paysync client involved): the token endpoint, API
Management's checks of key and token, and the secrets' expiration warnings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from local.fakes.silae import FakeSilae, format_expiration_warning
from tests.unit.fake_silae.support import (
    CLIENT_ID,
    ENTRIES,
    KEY,
    LIST,
    MAY_BODY,
    NOW,
    SECRET,
    call,
    get_token,
    token_form,
)

# -- token endpoint -----------------------------------------------------------------------------------


def test_token_response_fields(fake: FakeSilae, http: httpx.Client) -> None:
    fake.token_lifetime_seconds = 1800
    response = http.post("/oauth2/v2.0/token", data=token_form())
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "not_before", "expires_on", "resource"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 1800
    assert body["not_before"] == int(NOW.timestamp())
    assert body["expires_on"] == int(NOW.timestamp()) + 1800
    assert fake.auth_url.endswith("/oauth2/v2.0/token")
    assert fake.api_url.endswith("/payroll")


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
        ({"scope": "https://other/.default"}, 400, "invalid_scope"),
        ({"client_secret": ""}, 400, "invalid_request"),
        ({"client_id": "unknown"}, 401, "invalid_client"),
        ({"client_secret": "wrong"}, 401, "invalid_client"),
    ],
)
def test_token_refusals(http: httpx.Client, form: dict[str, str], status: int, error: str) -> None:
    response = http.post("/oauth2/v2.0/token", data=token_form(**form))
    assert response.status_code == status
    assert response.json()["error"] == error
    assert "error_description" in response.json()


def test_token_requires_a_form_body(http: httpx.Client) -> None:
    response = http.post("/oauth2/v2.0/token", json=token_form())
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_expired_secret_is_invalid_client(fake: FakeSilae, http: httpx.Client) -> None:
    fake.add_api_account(CLIENT_ID, SECRET, secret_expires_at=NOW - timedelta(seconds=1))
    response = http.post("/oauth2/v2.0/token", data=token_form())
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert "expired" in response.json()["error_description"]


def test_secondary_secret_works_until_it_expires(fake: FakeSilae, http: httpx.Client) -> None:
    fake.add_api_account(
        CLIENT_ID,
        SECRET,
        secret_expires_at=NOW + timedelta(days=300),
        secondary_secret="second",
        secondary_expires_at=NOW + timedelta(days=1),
    )
    get_token(http, client_secret="second")
    fake.clock = (NOW + timedelta(days=2)).timestamp
    assert http.post("/oauth2/v2.0/token", data=token_form(client_secret="second")).status_code == 401


def test_scope_is_configurable(fake: FakeSilae, http: httpx.Client) -> None:
    fake.scope = "api://custom/.default"
    get_token(http, scope="api://custom/.default")


def test_deactivated_account(fake: FakeSilae, http: httpx.Client) -> None:
    token = get_token(http)
    fake.deactivate_api_account(CLIENT_ID)
    assert http.post("/oauth2/v2.0/token", data=token_form()).json()["error"] == "invalid_client"
    # its access configurations stop working too
    response = call(http, LIST, token=token)
    assert response.status_code == 401
    assert "invalid subscription key" in response.json()["message"]


# -- gateway checks -----------------------------------------------------------------------------------


def test_missing_subscription_key(http: httpx.Client) -> None:
    response = call(http, LIST, token=get_token(http), key=None)
    assert response.status_code == 401
    assert response.json() == {
        "statusCode": 401,
        "message": "Access denied due to missing subscription key. Make sure to include subscription key "
        "when making requests to an API.",
    }


def test_invalid_subscription_keys(fake: FakeSilae, http: httpx.Client) -> None:
    token = get_token(http)
    expected = {
        "statusCode": 401,
        "message": "Access denied due to invalid subscription key. Make sure to provide a valid key for an "
        "active subscription.",
    }
    assert call(http, LIST, token=token, key="nope").json() == expected
    fake.revoke_subscription_key(KEY)
    revoked = call(http, LIST, token=token)
    assert (revoked.status_code, revoked.json()) == (401, expected)


def test_key_of_another_api_account_is_invalid(fake: FakeSilae, http: httpx.Client) -> None:
    fake.add_api_account("other", "other-secret", secret_expires_at=NOW + timedelta(days=90))
    fake.add_access_configuration("other-key", "other", ["D1"])
    response = call(http, LIST, token=get_token(http), key="other-key")
    assert response.status_code == 401
    assert "invalid subscription key" in response.json()["message"]


def test_subscription_key_is_checked_before_the_token(http: httpx.Client) -> None:
    response = call(http, LIST, token=None, key="nope")
    assert "subscription key" in response.json()["message"]


@pytest.mark.parametrize("token", [None, "forged"])
def test_missing_or_unknown_token(http: httpx.Client, token: str | None) -> None:
    response = call(http, LIST, token=token)
    assert response.status_code == 401
    assert "invalid_token" in response.headers["WWW-Authenticate"]
    assert "subscription" not in response.json()["message"]


def test_token_expires_after_its_lifetime(fake: FakeSilae, http: httpx.Client) -> None:
    token = get_token(http)
    fake.clock = lambda: NOW.timestamp() + 3599
    assert call(http, LIST, token=token).status_code == 200
    fake.clock = lambda: NOW.timestamp() + 3600
    assert call(http, LIST, token=token).status_code == 401


def test_revoked_tokens(fake: FakeSilae, http: httpx.Client) -> None:
    token = get_token(http)
    fake.revoke_tokens(CLIENT_ID)
    assert call(http, LIST, token=token).status_code == 401


# -- expiration warnings ------------------------------------------------------------------------------


@pytest.mark.parametrize(("days_left", "warned"), [(32, False), (31, True), (1, True)])
def test_expiration_warning_in_the_last_31_days(
    fake: FakeSilae, http: httpx.Client, days_left: int, warned: bool
) -> None:
    expiry = NOW + timedelta(days=days_left)
    fake.add_api_account(CLIENT_ID, SECRET, secret_expires_at=expiry)
    token = get_token(http)
    ok = call(http, LIST, token=token)
    refused = call(http, ENTRIES, MAY_BODY, token=token, dossiers="D9")
    for response in (ok, refused):
        if warned:
            assert response.headers["X-PrimaryKeyExpirationWarning"] == format_expiration_warning(expiry)
        else:
            assert "X-PrimaryKeyExpirationWarning" not in response.headers
        assert "X-SecondaryKeyExpirationWarning" not in response.headers


def test_secondary_expiration_warning(fake: FakeSilae, http: httpx.Client) -> None:
    fake.add_api_account(
        CLIENT_ID,
        SECRET,
        secret_expires_at=NOW + timedelta(days=200),
        secondary_secret="second",
        secondary_expires_at=NOW + timedelta(days=3),
    )
    response = call(http, LIST, token=get_token(http))
    assert "X-PrimaryKeyExpirationWarning" not in response.headers
    assert response.headers["X-SecondaryKeyExpirationWarning"] == format_expiration_warning(
        NOW + timedelta(days=3)
    )


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2030, 3, 13, 9, 0, 5, tzinfo=UTC), "13/03/2030 10:00:05 AM"),
        (datetime(2030, 7, 1, 10, 30, tzinfo=UTC), "01/07/2030 12:30:00 PM"),
        (datetime(2030, 12, 31, 23, 15, tzinfo=UTC), "01/01/2031 12:15:00 AM"),
        (datetime(2030, 12, 31, 22, 59, 59, tzinfo=UTC), "31/12/2030 11:59:59 PM"),
    ],
)
def test_expiration_warning_format(moment: datetime, text: str) -> None:
    assert format_expiration_warning(moment) == text
