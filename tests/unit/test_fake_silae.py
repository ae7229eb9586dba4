"""FakeSilae's own rules, spoken to with plain httpx (no paysync client involved)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from local.fakes.server import Fault
from local.fakes.silae import FakeSilae, format_expiration_warning
from paysync.config import SILAE_DEFAULT_SCOPE
from paysync.domain.payroll import Direction, PayrollGroup, PayrollLine
from paysync.domain.periods import Period

NOW = datetime(2030, 3, 10, 9, 0, tzinfo=UTC)
CLIENT_ID, SECRET, KEY = "cid", "the-secret", "the-key"
MAY = Period(2030, 5)
LIST = "/payroll/v1/InfosTechniquesDossiers/ListeNumerosDossiers"
ENTRIES = "/payroll/v1/EcrituresComptables/EcrituresComptables4"
FILES = "/payroll/v1/EcrituresComptables/RecupererFichiersEcrituresComptables"
MAY_BODY = {"numeroDossier": "D1", "periodeDebut": "2030-05-01T00:00:00", "periodeFin": "2030-05-31T00:00:00"}


@pytest.fixture(scope="module")
def server() -> Iterator[FakeSilae]:
    fake = FakeSilae()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def fake(server: FakeSilae) -> FakeSilae:
    server.reset()
    now = [NOW.timestamp()]
    server.clock = lambda: now[0]
    server.add_api_account(CLIENT_ID, SECRET, secret_expires_at=NOW + timedelta(days=365))
    server.add_access_configuration(KEY, CLIENT_ID, ["D1", "D2"])
    return server


@pytest.fixture
def http(fake: FakeSilae) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fake.url, timeout=5) as client:
        yield client


def token_form(**overrides: str) -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "client_id": CLIENT_ID,
        "client_secret": SECRET,
        "scope": SILAE_DEFAULT_SCOPE,
        **overrides,
    }


def get_token(http: httpx.Client, **overrides: str) -> str:
    response = http.post("/oauth2/v2.0/token", data=token_form(**overrides))
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def call(
    http: httpx.Client,
    path: str,
    body: Any = None,
    *,
    token: str | None = None,
    key: str | None = KEY,
    dossiers: str | None = None,
) -> httpx.Response:
    headers = {}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if key is not None:
        headers["Ocp-Apim-Subscription-Key"] = key
    if dossiers is not None:
        headers["dossiers"] = dossiers
    return (
        http.post(path, headers=headers, json=body) if body is not None else http.post(path, headers=headers)
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


# -- dossier operations -------------------------------------------------------------------------------


def test_list_dossier_numbers(http: httpx.Client) -> None:
    response = call(http, LIST, token=get_token(http))
    assert response.status_code == 200
    assert response.json() == {"listeNumerosDossiers": ["D1", "D2"]}


@pytest.mark.parametrize("dossiers", [None, "", ",,"])
def test_dossiers_header_required(http: httpx.Client, dossiers: str | None) -> None:
    response = call(http, ENTRIES, MAY_BODY, token=get_token(http), dossiers=dossiers)
    assert response.status_code == 400
    assert response.json() == {
        "errors": [{"code": "1011", "message": "la valeur de la liste de dossiers est nulle ou vide"}],
        "recoverable": False,
        "source": "Api",
    }


@pytest.mark.parametrize(
    "body",
    [
        {"periodeDebut": "2030-05-01T00:00:00", "periodeFin": "2030-05-31T00:00:00"},
        {**MAY_BODY, "numeroDossier": ""},
        {**MAY_BODY, "periodeDebut": "mai"},
        {**MAY_BODY, "periodeDebut": "2030-06-01T00:00:00"},
        {**MAY_BODY, "avecToutesLesRepartitionsAnalytiques": "non"},
        ["D1"],
    ],
)
def test_request_body_validation(http: httpx.Client, body: Any) -> None:
    response = call(http, ENTRIES, body, token=get_token(http), dossiers="D1")
    assert response.status_code == 400
    assert response.json()["recoverable"] is False
    assert response.json()["errors"][0]["code"] == "VALIDATION"


def test_body_dossier_must_be_in_the_header(http: httpx.Client) -> None:
    response = call(http, ENTRIES, MAY_BODY, token=get_token(http), dossiers="D2")
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "DOSSIER_HORS_ENTETE"


def test_dossier_outside_the_access_configuration(fake: FakeSilae, http: httpx.Client) -> None:
    body = {**MAY_BODY, "numeroDossier": "D9"}
    response = call(http, FILES, body, token=get_token(http), dossiers="D9")
    assert response.status_code == 400
    assert response.json()["recoverable"] is False
    assert response.json()["errors"][0]["code"] == fake.dossier_denied_code == FakeSilae.DOSSIER_DENIED_CODE
    fake.dossier_denied_code = "1099"
    response = call(http, FILES, body, token=get_token(http), dossiers="D9")
    assert response.json()["errors"][0]["code"] == "1099"


def test_entries_by_period(fake: FakeSilae, http: httpx.Client) -> None:
    rupture = {"libelle": "Paie", "totalDebit": 10.5, "totalCredit": 10.5, "ecritures": []}
    fake.set_payroll("D1", MAY, [rupture])
    fake.set_payroll("D1", MAY.next(), [{**rupture, "libelle": "Juin"}])
    token = get_token(http)
    response = call(
        http, ENTRIES, {**MAY_BODY, "avecToutesLesRepartitionsAnalytiques": False}, token=token, dossiers="D1"
    )
    assert response.status_code == 200
    assert response.json() == {
        "numeroDossier": "D1",
        "periodeDebut": "2030-05-01T00:00:00",
        "periodeFin": "2030-05-31T00:00:00",
        "ruptures": [rupture],
    }
    april = {**MAY_BODY, "periodeDebut": "2030-04-01T00:00:00", "periodeFin": "2030-04-30T00:00:00"}
    assert call(http, ENTRIES, april, token=token, dossiers="D1").json()["ruptures"] == []
    both = {**MAY_BODY, "periodeFin": "2030-06-30T00:00:00"}
    assert [
        r["libelle"] for r in call(http, ENTRIES, both, token=token, dossiers="D1").json()["ruptures"]
    ] == [
        "Paie",
        "Juin",
    ]


def test_payroll_groups_are_stored_as_ruptures(fake: FakeSilae, http: httpx.Client) -> None:
    group = PayrollGroup(
        label="Paie",
        lines=(
            PayrollLine("641000", "Salaires", Direction.DEBIT, Decimal("1234.56")),
            PayrollLine("421000", "Net", Direction.CREDIT, Decimal("1234.56")),
        ),
    )
    fake.set_payroll("D1", MAY, [group])
    (rupture,) = call(http, ENTRIES, MAY_BODY, token=get_token(http), dossiers="D1").json()["ruptures"]
    assert rupture["libelle"] == "Paie"
    assert rupture["totalDebit"] == rupture["totalCredit"] == 1234.56
    assert [(e["compte"], e["sens"], e["valeur"]) for e in rupture["ecritures"]] == [
        ("641000", "D", 1234.56),
        ("421000", "C", 1234.56),
    ]
    assert rupture["ecritures"][0]["periode"] == "2030-05-01T00:00:00"


def test_files_are_base64(fake: FakeSilae, http: httpx.Client) -> None:
    fake.set_payroll("D1", MAY, [], files=[("od.pdf", b"%PDF\x00\xff")])
    response = call(http, FILES, MAY_BODY, token=get_token(http), dossiers="D1")
    assert response.status_code == 200
    (fichier,) = response.json()["fichiers"]
    assert fichier["nomFichier"] == "od.pdf"
    assert base64.b64decode(fichier["document"]) == b"%PDF\x00\xff"


def test_unknown_operation_is_a_gateway_404(http: httpx.Client) -> None:
    response = call(http, "/payroll/v1/Nope/Nope", {}, token=get_token(http))
    assert response.status_code == 404
    assert response.json()["statusCode"] == 404


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


# -- faults -------------------------------------------------------------------------------------------


def test_fault_kinds(fake: FakeSilae, http: httpx.Client) -> None:
    token = get_token(http)
    fake.faults.add(Fault("rate_limit", seconds=3))
    limited = call(http, LIST, token=token)
    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "3")

    fake.faults.add(Fault("recoverable"))
    recoverable = call(http, LIST, token=token)
    assert recoverable.status_code == 500
    assert recoverable.json()["recoverable"] is True
    assert recoverable.json()["source"] == "Server"

    fake.faults.add(Fault("unrecoverable"))
    unrecoverable = call(http, LIST, token=token)
    assert unrecoverable.status_code == 400
    assert unrecoverable.json()["recoverable"] is False

    fake.faults.add(Fault("gateway", status=504))
    gateway = call(http, LIST, token=token)
    assert gateway.status_code == 504
    assert gateway.headers["content-type"].startswith("text/html")

    fake.faults.add(Fault("status", status=503))
    injected = call(http, LIST, token=token)
    assert injected.status_code == 503
    assert injected.json()["recoverable"] is True
    assert [e["code"] for e in injected.json()["errors"]] == ["503"]

    fake.faults.add(Fault("status", status=500, path_contains="/oauth2/"))
    assert http.post("/oauth2/v2.0/token", data=token_form()).json()["error"] == "server_error"

    assert call(http, LIST, token=token).status_code == 200  # each fault hit once


def test_requests_are_recorded_and_reset(fake: FakeSilae, http: httpx.Client) -> None:
    call(http, LIST, token=get_token(http))
    assert [request.path for request in fake.requests] == ["/oauth2/v2.0/token", LIST]
    assert fake.requests_to("Liste")[0].header("ocp-apim-subscription-key") == KEY
    fake.reset()
    assert fake.requests == [] and fake.calls == []
    assert call(http, LIST, key=KEY).status_code == 401  # the configuration is gone
