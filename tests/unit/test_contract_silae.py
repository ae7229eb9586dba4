"""The client's requests and the fake's answers against Silae's own OpenAPI file.

The spec is read from ../shared/contracts (never copied in). Its objects do not forbid extra
properties, so each definition is also checked in a *strict* form (``additionalProperties: false``)
to catch a misspelt field on either side. ``format: date-time`` is checked by hand: the API uses
naive ``YYYY-MM-DDTHH:MM:SS``, which RFC 3339 format checkers would reject.
"""

from __future__ import annotations

import base64
import copy
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from jsonschema import Draft4Validator

from local.fakes.server import Fault
from local.fakes.silae import FakeSilae
from paysync.config import SilaeSettings
from paysync.domain.periods import Period
from paysync.silae.client import (
    ENTRIES_PATH,
    FILES_PATH,
    LIST_DOSSIER_NUMBERS_PATH,
    LIST_DOSSIERS_PATH,
    SUBSCRIPTION_KEY_HEADER,
    SilaeClient,
    SilaeCredentials,
    TokenCache,
)
from paysync.silae.errors import SilaeError
from tests.contracts import load_contract

CLIENT_ID, SECRET, KEY = "contract-client", "contract-secret", "contract-key"
PERIOD = Period(2024, 2)
NAIVE_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
OPERATIONS = [LIST_DOSSIER_NUMBERS_PATH, ENTRIES_PATH, FILES_PATH]
RUPTURES = [
    {
        "libelle": "Paie février",
        "totalDebit": 3000.0,
        "totalCredit": 3000.0,
        "ecritures": [
            {
                "codeJournal": "PA",
                "periode": "2024-02-01T00:00:00",
                "compte": "641000",
                "libelle": "Salaires",
                "sens": "D",
                "valeur": 3000.0,
                "indexRepartition": 0,
                "pctRepartition": 100.0,
            },
            {
                "codeJournal": "PA",
                "periode": "2024-02-01T00:00:00",
                "compte": "421000",
                "libelle": "Net",
                "sens": "C",
                "valeur": 3000.0,
                "indexRepartition": 0,
                "pctRepartition": 100.0,
            },
        ],
    }
]


@pytest.fixture(scope="module")
def spec() -> Any:
    return load_contract("silae", "paie-rest-api-openapi.json")


def _strict(node: Any) -> Any:
    if isinstance(node, dict):
        node = {key: _strict(value) for key, value in node.items()}
        if node.get("type") == "object" and "properties" in node:
            node.setdefault("additionalProperties", False)
    elif isinstance(node, list):
        node = [_strict(item) for item in node]
    return node


def validator(spec: Any, ref: str, *, strict: bool = True) -> Draft4Validator:
    definitions = copy.deepcopy(spec["definitions"])
    return Draft4Validator({"$ref": ref, "definitions": _strict(definitions) if strict else definitions})


def assert_valid(spec: Any, ref: str, instance: Any, *, strict: bool = True) -> None:
    errors = [error.message for error in validator(spec, ref, strict=strict).iter_errors(instance)]
    assert errors == [], f"{ref}: {errors}"


def operation(spec: Any, path: str) -> Any:
    assert path in spec["paths"], f"{path} is not in the OpenAPI file"
    return spec["paths"][path]["post"]


def body_ref(spec: Any, path: str) -> str | None:
    bodies = [p for p in operation(spec, path).get("parameters", []) if p["in"] == "body"]
    return bodies[0]["schema"]["$ref"] if bodies else None


def response_ref(spec: Any, path: str, status: int) -> str:
    ref: str = operation(spec, path)["responses"][str(status)]["schema"]["$ref"]
    return ref


@pytest.fixture
def fake(silae_server: FakeSilae) -> FakeSilae:
    server = silae_server
    server.reset()
    server.add_api_account(CLIENT_ID, SECRET, secret_expires_at=datetime.now(UTC) + timedelta(days=10))
    server.add_access_configuration(KEY, CLIENT_ID, ["D1"])
    server.set_payroll("D1", PERIOD, RUPTURES, files=[("od.pdf", b"%PDF-1.4")])
    return server


@pytest.fixture
def client(fake: FakeSilae) -> Iterator[SilaeClient]:
    settings = SilaeSettings(auth_url=fake.auth_url, api_url=fake.api_url, max_attempts=1)
    with SilaeClient(SilaeCredentials(CLIENT_ID, SECRET, KEY), settings, token_cache=TokenCache()) as silae:
        yield silae


@pytest.fixture
def http(fake: FakeSilae) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fake.url, timeout=5) as raw:
        yield raw


def raw_call(
    fake: FakeSilae, http: httpx.Client, path: str, body: Any, dossiers: str | None = "D1"
) -> httpx.Response:
    token = http.post(
        "/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": CLIENT_ID,
            "client_secret": SECRET,
            "scope": SilaeSettings(auth_url=fake.auth_url, api_url=fake.api_url).scope,
        },
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}", SUBSCRIPTION_KEY_HEADER: KEY}
    if dossiers is not None:
        headers["dossiers"] = dossiers
    return http.post("/payroll" + path, headers=headers, json=body)


# -- the spec itself ----------------------------------------------------------------------------------


def test_operations_and_definitions_are_where_the_client_expects(spec: Any) -> None:
    assert spec["basePath"] == "/payroll"
    assert body_ref(spec, LIST_DOSSIER_NUMBERS_PATH) is None
    assert body_ref(spec, ENTRIES_PATH) == "#/definitions/EcrituresComptables4Request"
    assert body_ref(spec, FILES_PATH) == "#/definitions/DossierPeriodeRangeRequest"
    assert response_ref(spec, LIST_DOSSIER_NUMBERS_PATH, 200) == "#/definitions/ListeNumerosDossiersResponse"
    assert response_ref(spec, ENTRIES_PATH, 200) == "#/definitions/EcrituresComptablesAvecRuptures"
    assert response_ref(spec, FILES_PATH, 200) == "#/definitions/RecupererFichiersEcrituresComptablesResponse"
    for path in OPERATIONS:
        for status in (400, 401, 500):
            assert response_ref(spec, path, status) == "#/definitions/ApiErrors"


# -- what the client sends ----------------------------------------------------------------------------


def test_client_requests_match_the_spec(spec: Any, fake: FakeSilae, client: SilaeClient) -> None:
    client.list_dossier_numbers()
    client.fetch_entries("D1", PERIOD)
    client.fetch_files("D1", PERIOD)

    for path in OPERATIONS:
        (request,) = fake.requests_to(path)
        op = operation(spec, path)
        for parameter in op["parameters"]:
            if parameter["in"] == "header" and parameter.get("required"):
                assert request.header(parameter["name"]), f"{path}: header {parameter['name']} missing"
        assert (request.header("authorization") or "").startswith("Bearer ")  # security: oauth2
        assert "application/json" in op["consumes"]
        ref = body_ref(spec, path)
        if ref is None:
            assert request.body == b""
            continue
        assert (request.header("content-type") or "").startswith("application/json")
        body = request.json()
        assert_valid(spec, ref, body)
        definition = spec["definitions"][ref.rsplit("/", 1)[1]]
        for name, prop in definition["properties"].items():
            if prop.get("format") == "date-time" and name in body:
                assert NAIVE_DATE_TIME.match(body[name]), f"{path}: {name}={body[name]!r}"
        assert request.header("dossiers") == body["numeroDossier"]


def test_strict_validation_would_catch_a_misspelt_field(spec: Any) -> None:
    ref = "#/definitions/EcrituresComptables4Request"
    assert not validator(spec, ref).is_valid({"numeroDossier": "D1", "periodeDebu": "2024-02-01T00:00:00"})
    assert not validator(spec, ref).is_valid({"periodeDebut": "2024-02-01T00:00:00"})
    assert not validator(spec, ref).is_valid({"numeroDossier": 12})


# -- what the fake answers ----------------------------------------------------------------------------


def test_fake_success_responses_match_the_spec(spec: Any, fake: FakeSilae, http: httpx.Client) -> None:
    body = {"numeroDossier": "D1", "periodeDebut": "2024-02-01T00:00:00", "periodeFin": "2024-02-29T00:00:00"}
    answers = {
        LIST_DOSSIER_NUMBERS_PATH: raw_call(fake, http, LIST_DOSSIER_NUMBERS_PATH, None, dossiers=None),
        ENTRIES_PATH: raw_call(
            fake, http, ENTRIES_PATH, {**body, "avecToutesLesRepartitionsAnalytiques": False}
        ),
        FILES_PATH: raw_call(fake, http, FILES_PATH, body),
    }
    for path, response in answers.items():
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/json")
        assert_valid(spec, response_ref(spec, path, 200), response.json())
    entries = answers[ENTRIES_PATH].json()
    assert entries["ruptures"], "the example must exercise the nested definitions"
    for key in ("periodeDebut", "periodeFin"):
        assert NAIVE_DATE_TIME.match(entries[key])
    for line in entries["ruptures"][0]["ecritures"]:
        assert NAIVE_DATE_TIME.match(line["periode"])
    (fichier,) = answers[FILES_PATH].json()["fichiers"]
    base64.b64decode(fichier["document"], validate=True)  # format: byte


def test_fake_api_errors_match_the_spec(spec: Any, fake: FakeSilae, http: httpx.Client) -> None:
    body = {"numeroDossier": "D1", "periodeDebut": "2024-02-01T00:00:00", "periodeFin": "2024-02-29T00:00:00"}
    answers: list[httpx.Response] = [
        raw_call(fake, http, ENTRIES_PATH, body, dossiers=None),  # 1011
        raw_call(fake, http, ENTRIES_PATH, {"periodeDebut": body["periodeDebut"]}),  # validation
        raw_call(fake, http, FILES_PATH, {**body, "numeroDossier": "D9"}, dossiers="D9"),  # no access
    ]
    for fault in (
        Fault("recoverable", path_contains="/payroll/"),
        Fault("unrecoverable", path_contains="/payroll/"),
        Fault("status", status=500, path_contains="/payroll/"),
        Fault("status", status=400, path_contains="/payroll/"),
    ):
        fake.faults.add(fault)
        answers.append(raw_call(fake, http, ENTRIES_PATH, body))
    for response in answers:
        assert response.status_code in (400, 500), response.text
        payload = response.json()
        assert_valid(spec, response_ref(spec, ENTRIES_PATH, response.status_code), payload)
        assert set(payload) == {"errors", "recoverable", "source"}  # all present, though none is required
        assert payload["errors"] and all(set(item) == {"code", "message"} for item in payload["errors"])


def test_gateway_401_bodies_are_not_api_errors(spec: Any, fake: FakeSilae, http: httpx.Client) -> None:
    """API Management answers before the API: its bodies fit ApiErrors only loosely (no
    property is required), so they are checked against the schema non-strictly, and the client
    must not read them as ApiErrors."""
    missing_key = http.post("/payroll" + LIST_DOSSIER_NUMBERS_PATH)
    bad_token = http.post(
        "/payroll" + LIST_DOSSIER_NUMBERS_PATH,
        headers={SUBSCRIPTION_KEY_HEADER: KEY, "Authorization": "Bearer x"},
    )
    for response in (missing_key, bad_token):
        assert response.status_code == 401
        payload = response.json()
        assert_valid(spec, response_ref(spec, LIST_DOSSIER_NUMBERS_PATH, 401), payload, strict=False)
        assert set(payload) == {"statusCode", "message"}


def test_client_reads_every_error_the_fake_can_give(fake: FakeSilae, client: SilaeClient) -> None:
    for kind in ("recoverable", "unrecoverable", "rate_limit", "gateway"):
        fake.faults.add(Fault(kind, path_contains="/payroll/"))
        with pytest.raises(SilaeError):
            client.fetch_entries("D1", PERIOD)
    with pytest.raises(SilaeError):
        client.fetch_entries("D9", PERIOD)


# -- ListeDossiers (discovery) ----------------------------------------------------------------------------


def test_list_dossiers_request_and_answer_match_the_spec(
    spec: Any, fake: FakeSilae, client: SilaeClient
) -> None:
    assert body_ref(spec, LIST_DOSSIERS_PATH) == "#/definitions/ListeDossiersRequest"
    assert response_ref(spec, LIST_DOSSIERS_PATH, 200) == "#/definitions/ListeDossiersResponse"
    fake.set_dossier_properties("D1", "BOULANGERIE MARTIN SARL", siret="412 345 670 00019", groupe="G1")
    fake.add_access_configuration(KEY, CLIENT_ID, ["D1", "D2"])  # D2: no properties, its number alone
    dossiers = client.list_dossiers()
    assert [d.number for d in dossiers] == ["D1", "D2"]
    (request,) = fake.requests_to(LIST_DOSSIERS_PATH)
    for parameter in operation(spec, LIST_DOSSIERS_PATH)["parameters"]:
        if parameter["in"] == "header" and parameter.get("required"):
            assert request.header(parameter["name"]), parameter["name"]
    assert_valid(spec, "#/definitions/ListeDossiersRequest", request.json())


def test_the_fake_s_dossier_listing_matches_the_spec(spec: Any, fake: FakeSilae, http: httpx.Client) -> None:
    fake.set_dossier_properties(
        "D1",
        "Café des Arts",
        siret="",
        groupe="Ouest",
        etat_dossier=2,
        numero_interne="42",
        jour_paiement_max_ssoc=5,
    )
    for body in ({}, {"typeDossiers": 1, "etatDossier": 2}):
        response = raw_call(fake, http, LIST_DOSSIERS_PATH, body, dossiers=None)
        assert response.status_code == 200, response.text
        assert_valid(spec, response_ref(spec, LIST_DOSSIERS_PATH, 200), response.json())
        assert_valid(spec, "#/definitions/ListeDossiersRequest", body)
    (row,) = response.json()["listeDossiers"]
    assert set(row) == set(spec["definitions"]["ProprietesDossier"]["properties"])  # every property given
