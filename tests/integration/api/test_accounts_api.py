"""The dossier's account list ("Liste des Comptes") and the manual link, over HTTP (seed 004)."""

from __future__ import annotations

from paysync.usecases.sync_dossier import sync_run
from tests.harness import create_run
from tests.integration.api.conftest import Api

GIRARD, SOCIETY = "menuiserie-girard", 204  # its second OD uses 438600, absent from the chart


def _sync(api: Api, run_id: str) -> None:
    sync_run(api.env.services, create_run(api.env, run_id, GIRARD, str(api.world.period)).run_id)


def test_the_account_list_shows_states_matches_and_suggestions(api: Api) -> None:
    suggestion = api.env.myunisoft.add_account(SOCIETY, "438700", "Organismes sociaux - charges à payer")
    _sync(api, "first")
    body = api.ok("GET", f"/dossiers/{GIRARD}/accounts", key=api.lemoine)
    rows = {row["account_number"]: row for row in body["accounts"]}
    ok = rows["641100"]
    assert ok["state"] == "ok" and ok["state_label"] == "Correspondance OK" and ok["origin"] == "found"
    assert ok["match"]["account_number"] == "641100"
    assert rows["4421"]["match"]["account_number"] == "442100"  # MyUnisoft's padded number
    missing = rows["438600"]
    assert missing["state_label"] == "Pas de correspondance — avec suggestion(s)" and missing["match"] is None
    assert [s["account_id"] for s in missing["suggestions"]] == [suggestion]


def test_a_manual_link_fixes_a_suggestion_and_the_next_run_posts(api: Api) -> None:
    suggestion = api.env.myunisoft.add_account(SOCIETY, "438700", "Organismes sociaux - charges à payer")
    _sync(api, "first")
    linked = api.ok(
        "PUT", f"/dossiers/{GIRARD}/accounts/438600", key=api.lemoine, json={"account_id": suggestion}
    )
    assert linked == {
        "account_id": suggestion,
        "account_number": "438700",
        "label": "Organismes sociaux - charges à payer",
    }
    rows = {
        r["account_number"]: r
        for r in api.ok("GET", f"/dossiers/{GIRARD}/accounts", key=api.lemoine)["accounts"]
    }
    assert rows["438600"]["state_label"] == "Correspondance OK — code différent"
    assert rows["438600"]["origin"] == "manual"
    _sync(api, "second")
    assert len(api.env.myunisoft.entries(SOCIETY)) == 2


def test_account_routes_refuse_unknown_accounts_other_firms_and_bad_input(api: Api) -> None:
    _sync(api, "first")
    unknown = api.call(
        "PUT", f"/dossiers/{GIRARD}/accounts/438600", key=api.lemoine, json={"account_id": 424242}
    )
    assert unknown.status_code == 404 and "424242" in unknown.json()["message"]
    # Another firm's credential reaches neither route: the dossier is answered as missing.
    assert api.call("GET", f"/dossiers/{GIRARD}/accounts", key=api.dupont).status_code == 404
    foreign = api.call("PUT", f"/dossiers/{GIRARD}/accounts/438600", key=api.dupont, json={"account_id": 1})
    assert foreign.status_code == 404
    # Bad input: a number out of the pattern, a wrong type, no body.
    assert (
        api.call(
            "PUT", f"/dossiers/{GIRARD}/accounts/43-86", key=api.lemoine, json={"account_id": 1}
        ).status_code
        == 422
    )
    wrong = api.call(
        "PUT", f"/dossiers/{GIRARD}/accounts/438600", key=api.lemoine, json={"account_id": "abc"}
    )
    assert wrong.status_code == 422 and wrong.json()["details"]
    assert api.call("GET", "/dossiers/nope/accounts", key=api.admin).status_code == 404


def test_a_dossier_without_myunisoft_settings_answers_a_conflict_with_the_diagnosis(api: Api) -> None:
    answer = api.call("GET", "/dossiers/cabinet-medical-petit/accounts", key=api.lemoine)
    assert answer.status_code == 200  # configured société token: an empty list until a sync meets accounts
    config = api.env.services.config
    dossier = config.get_dossier("cafe-gare")
    config.put_dossier(dossier.model_copy(update={"society_id": None}))
    refused = api.call("GET", "/dossiers/cafe-gare/accounts", key=api.lemoine)
    assert refused.status_code == 409
    assert refused.json()["message"].startswith("MYUNISOFT-SOCIETY-MISSING")
