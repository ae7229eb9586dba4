"""Discovery over HTTP on the demo world: every proposal, the closed dossier, configured pairs and
conflicts, candidate credentials, and each vendor failing while the other side is still answered."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from local.demo_data import PARTNER_SECRET
from local.fakes.server import Fault
from tests.integration.api.conftest import Api

DUPONT_OPEN = ["000101", "000102", "000104", "000105", "000106", "000108", "000110", "000111", "000112"]
# What discovery should propose for each of Dupont's open payroll dossiers: (how, society, confidence,
# paysync dossier already tying the pair).
DUPONT_PROPOSALS: dict[str, tuple[str, int | None, float, str | None]] = {
    "000101": ("siren", 101, 1.0, "boulangerie-martin"),  # a SIRET with spaces against a SIREN
    "000102": ("siren", 102, 1.0, "garage-leroy"),  # two establishments: the exact SIRET decides
    "000104": ("siren", 104, 1.0, "transports-bernard"),  # "TRANSPORTS BERNARD SAS" is "S.A.S. Transports…"
    "000105": ("name", 105, 0.7, None),  # accents and a legal form, no SIREN on either side
    "000106": ("siren", 106, 1.0, None),  # the second establishment
    "000108": ("siren", 108, 1.0, None),  # the homonym in Paris (another SIREN) is left out
    "000110": ("ambiguous", None, 0.0, None),  # two namesakes without SIREN
    "000111": ("none", None, 0.0, None),  # MyUnisoft does not have it
    "000112": ("siren", 112, 0.9, None),  # same SIREN, another name
}


def _discover(api: Api, firm_id: str = "cabinet-dupont", *, key: str | None = None, json: Any = None) -> Any:
    answer = api.ok("POST", f"/firms/{firm_id}/discovery", key=key or api.dupont, json=json)
    assert set(answer) == {
        "firm_id",
        "payroll_dossiers",
        "closed_payroll_dossiers",
        "societies",
        "proposals",
        "diagnoses",
    }
    assert answer["firm_id"] == firm_id
    for side in answer["diagnoses"].values():
        for found in side:
            assert found["code"] and found["message"] and found["remedy"], found
    return answer


def _proposals(answer: Any) -> dict[str, Any]:
    return {p["payroll_dossier_number"]: p for p in answer["proposals"]}


def _codes(answer: Any) -> dict[str, list[str]]:
    return {side: [d["code"] for d in found] for side, found in answer["diagnoses"].items()}


def test_every_demo_dossier_of_the_firm_is_proposed_correctly(api: Api) -> None:
    answer = _discover(api)
    assert _codes(answer) == {"payroll": [], "myunisoft": []}
    assert [d["number"] for d in answer["payroll_dossiers"]] == DUPONT_OPEN
    boulangerie = answer["payroll_dossiers"][0]
    assert (boulangerie["name"], boulangerie["siret"], boulangerie["siren"]) == (
        "BOULANGERIE MARTIN SARL",
        "412 345 670 00019",
        "412345670",
    )
    assert [s["society_id"] for s in answer["societies"]] == [
        101,
        102,
        103,
        104,
        105,
        106,
        108,
        109,
        110,
        111,
        112,
    ]
    proposals = _proposals(answer)
    assert list(proposals) == DUPONT_OPEN
    found = {
        number: (p["how"], p["society_id"], p["confidence"], p["configured_dossier_id"])
        for number, p in proposals.items()
    }
    assert found == DUPONT_PROPOSALS
    assert all(p["conflicts"] == [] for p in proposals.values())
    assert proposals["000101"]["society_name"] == "Boulangerie Martin"
    assert proposals["000101"]["payroll_name"] == "BOULANGERIE MARTIN SARL"
    cafes = proposals["000110"]["candidates"]
    assert [(c["society_id"], c["city"], c["how"]) for c in cafes] == [
        (110, "NANTES", "name"),
        (111, "RENNES", "name"),
    ]
    assert proposals["000101"]["candidates"] == []


def test_the_closed_payroll_dossier_is_listed_apart(api: Api) -> None:
    answer = _discover(api)
    (closed,) = answer["closed_payroll_dossiers"]
    assert (closed["number"], closed["name"], closed["state"], closed["configured_dossier_ids"]) == (
        "000107",
        "IMPRIMERIE VASSEUR",
        2,
        [],
    )
    assert "000107" not in _proposals(answer)


def test_the_closed_states_are_the_deployment_s(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    from paysync.entrypoints import reset_container_state

    monkeypatch.setenv("SILAE_CLOSED_DOSSIER_STATES", "1, 2")
    reset_container_state()
    answer = _discover(api)
    assert answer["payroll_dossiers"] == [] and answer["proposals"] == []
    assert len(answer["closed_payroll_dossiers"]) == 10


def test_a_configured_dossier_that_contradicts_the_proposal_is_named(api: Api) -> None:
    api.ok(
        "PUT",
        "/dossiers/fleuriste-typo",
        key=api.dupont,
        json={"name": "Fleuriste (saisie à la main)", "society_id": 109, "payroll_dossier_number": "000105"},
        status=201,
    )
    proposal = _proposals(_discover(api))["000105"]
    assert (proposal["society_id"], proposal["configured_dossier_id"]) == (105, None)
    assert proposal["conflicts"] == [{"dossier_id": "fleuriste-typo", "society_id": 109}]


def test_without_a_cabinet_token_the_payroll_side_is_listed_and_nothing_proposed(api: Api) -> None:
    answer = _discover(api, "fiduciaire-lemoine", key=api.lemoine)
    assert _codes(answer) == {"payroll": [], "myunisoft": ["MYUNISOFT-CABINET-TOKEN-MISSING"]}
    assert [d["number"] for d in answer["payroll_dossiers"]] == [
        "000201",
        "000202",
        "000203",
        "000204",
        "000205",
    ]
    assert answer["societies"] == []
    assert {(p["how"], p["society_id"], p["configured_dossier_id"]) for p in answer["proposals"]} == {
        ("none", None, None)
    }
    assert all(p["conflicts"] == [] for p in answer["proposals"])
    assert "Connecteurs cabinet" in answer["diagnoses"]["myunisoft"][0]["remedy"]


def test_silae_failing_is_a_payroll_diagnosis_and_the_societies_are_still_listed(api: Api) -> None:
    api.env.silae.faults.add(Fault(kind="status", status=503, times=None, path_contains="/payroll/"))
    answer = _discover(api)
    assert _codes(answer) == {"payroll": ["TRANSIENT-EXHAUSTED"], "myunisoft": []}
    assert answer["diagnoses"]["payroll"][0]["details"]["service"] == "Silae"
    assert answer["payroll_dossiers"] == [] and answer["proposals"] == []
    assert len(answer["societies"]) == 11


def test_a_refused_subscription_key_is_its_own_diagnosis(api: Api) -> None:
    api.env.silae.revoke_subscription_key("key-dupont-aa01")
    answer = _discover(api)
    assert _codes(answer) == {"payroll": ["SubscriptionKeyInvalid"], "myunisoft": []}
    assert len(answer["societies"]) == 11


def test_myunisoft_failing_is_a_myunisoft_diagnosis_and_the_payroll_side_is_still_listed(api: Api) -> None:
    api.env.myunisoft.revoke_token("tok-cabinet-dupont")
    answer = _discover(api)
    assert _codes(answer) == {"payroll": [], "myunisoft": ["ERR-API-TOKEN-NOT-FOUND"]}
    assert [d["number"] for d in answer["payroll_dossiers"]] == DUPONT_OPEN
    assert answer["societies"] == []
    assert {p["how"] for p in answer["proposals"]} == {"none"}
    assert all(p["conflicts"] == [] and p["configured_dossier_id"] is None for p in answer["proposals"])


def test_myunisoft_unavailable_and_a_missing_partner_secret(api: Api) -> None:
    api.env.myunisoft.faults.add(Fault(kind="maintenance", times=None, path_contains="/society"))
    answer = _discover(api)
    assert _codes(answer) == {"payroll": [], "myunisoft": ["TRANSIENT-EXHAUSTED"]}
    assert answer["diagnoses"]["myunisoft"][0]["details"]["service"] == "MyUnisoft"
    assert len(answer["payroll_dossiers"]) == len(DUPONT_OPEN)

    import boto3

    boto3.client("secretsmanager").delete_secret(
        SecretId=api.env.services.settings.partner_secret_name, ForceDeleteWithoutRecovery=True
    )
    assert _codes(_discover(api))["myunisoft"] == ["PARTNER-SECRET-MISSING"]


def test_both_sides_failing_still_answers(api: Api) -> None:
    api.env.myunisoft.set_partner_secret_active(PARTNER_SECRET, False)
    config = api.env.services.config
    firm = config.get_firm("cabinet-dupont")
    config.put_firm(firm.model_copy(update={"payroll": None}))  # type: ignore[union-attr]
    answer = _discover(api)
    assert _codes(answer) == {"payroll": ["SILAE5"], "myunisoft": ["ERR-INVALID-SECRET"]}
    assert answer["payroll_dossiers"] == answer["societies"] == answer["proposals"] == []


def test_candidate_credentials_are_used_and_never_stored(api: Api) -> None:
    dupont_credentials = {
        "payroll": {
            "client_id": "cid-dupont-5c1a",
            "client_secret": "secret-dupont-71b2",
            "subscription_key": "key-dupont-aa01",
            "secret_generated_on": (date.today() - timedelta(days=30)).isoformat(),
        },
        "myunisoft_cabinet_token": "tok-cabinet-dupont",
    }
    answer = _discover(api, "cabinet-martin", key=api.admin, json=dupont_credentials)
    found = {
        n: (p["how"], p["society_id"], p["configured_dossier_id"]) for n, p in _proposals(answer).items()
    }
    # The same proposals as Dupont's, none configured: the firm does not exist yet.
    assert found == {n: (how, society, None) for n, (how, society, _, _) in DUPONT_PROPOSALS.items()}
    assert api.env.services.config.get_firm("cabinet-martin") is None
    assert api.env.services.secrets.payroll("firm", "cabinet-martin") is None
    assert api.env.services.secrets.myunisoft_token("firm", "cabinet-martin") is None

    wrong = {"payroll": {**dupont_credentials["payroll"], "client_secret": "not-it"}}
    refused = _discover(api, key=api.dupont, json=wrong)
    assert _codes(refused) == {"payroll": ["SILAE15"], "myunisoft": []}  # the saved cabinet token still lists

    societe = _discover(api, key=api.dupont, json={"myunisoft_cabinet_token": "tok-societe-201"})
    assert _codes(societe) == {"payroll": [], "myunisoft": ["MYUNISOFT-NOT-CABINET-TOKEN"]}
    assert societe["societies"] == [] and len(societe["payroll_dossiers"]) == len(DUPONT_OPEN)


def test_only_the_firm_s_own_credential_or_an_operator_s(api: Api) -> None:
    # Another firm's id answers as a missing one would (issue 11): nothing tells which firms exist.
    assert api.call("POST", "/firms/cabinet-dupont/discovery", key=api.lemoine).status_code == 404
    assert api.call("POST", "/firms/cabinet-dupont/discovery").status_code == 401
    assert _discover(api, key=api.admin)["proposals"]
    unknown = api.call(
        "POST", "/firms/cabinet-dupont/discovery", key=api.dupont, json={"payroll_dossier_number": "000101"}
    )
    assert unknown.status_code == 422, unknown.text
