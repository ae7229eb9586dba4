"""FakeSilae's dossier operations over plain httpx (no paysync client involved): the dossiers
header, body checks, entries and files by period, injected faults, the request log."""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any

import httpx
import pytest

from local.fakes.server import Fault
from local.fakes.silae import FakeSilae
from paysync.domain.payroll import Direction, PayrollGroup, PayrollLine
from tests.unit.fake_silae.support import (
    ENTRIES,
    FILES,
    KEY,
    LIST,
    MAY,
    MAY_BODY,
    call,
    get_token,
    token_form,
)

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


# -- ListeDossiers -----------------------------------------------------------------------------------
DOSSIERS = "/payroll/v1/InfosTechniquesDossiers/ListeDossiers"


def test_list_dossiers_gives_the_properties_of_the_dossiers_the_configuration_reaches(
    fake: FakeSilae, http: httpx.Client
) -> None:
    fake.set_dossier_properties("D1", "BOULANGERIE MARTIN SARL", siret="412 345 670 00019", groupe="Nord")
    fake.set_dossier_properties("D3", "HORS CONFIGURATION", siret="52345678800018")  # not reachable
    response = call(http, DOSSIERS, {}, token=get_token(http))
    assert response.status_code == 200, response.text
    assert response.json() == {
        "listeDossiers": [
            {
                "numero": "D1",
                "raisonSociale": "BOULANGERIE MARTIN SARL",
                "siret": "412 345 670 00019",
                "groupe": "Nord",
                "jourPaiementMaxSSOC": 0,
                "etatDossier": 1,
                "numeroInterne": "",
            },
            {"numero": "D2"},  # given no properties
        ]
    }


def test_list_dossiers_filters_on_the_state_asked_for(fake: FakeSilae, http: httpx.Client) -> None:
    fake.set_dossier_properties("D1", "OUVERT")
    fake.set_dossier_properties("D2", "FERME", etat_dossier=2)
    token = get_token(http)
    closed = call(http, DOSSIERS, {"etatDossier": 2}, token=token).json()["listeDossiers"]
    assert [row["numero"] for row in closed] == ["D2"]
    assert [row["numero"] for row in call(http, DOSSIERS, {}, token=token).json()["listeDossiers"]] == [
        "D1",
        "D2",
    ]


@pytest.mark.parametrize("body", [["D1"], {"etatDossier": "2"}, {"typeDossiers": True}])
def test_list_dossiers_refuses_a_body_of_the_wrong_shape(http: httpx.Client, body: Any) -> None:
    response = call(http, DOSSIERS, body, token=get_token(http))
    assert response.status_code == 400
    assert response.json()["recoverable"] is False
