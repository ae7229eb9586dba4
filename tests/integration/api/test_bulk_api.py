"""Onboarding in one call (``POST /firms/{firm_id}/dossiers/bulk``) on the demo world: the accepted
proposals created with the shared defaults, each item reported on its own, a repeat that writes
nothing, and every way an item can fail without stopping the others."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.api.conftest import Api
from tests.integration.api.stores import failing_writes, snapshot

BULK = "/firms/cabinet-dupont/dossiers/bulk"
DEFAULTS = {
    "run_day": 3,
    "auto_pull": True,
    "auto_create_accounts": True,
    "contact_emails": ["Paie@Dupont-Associes.fr"],
}
FLEURISTE = {
    "dossier_id": "fleuriste",
    "name": "Fleuriste Éléonore",
    "society_id": 105,
    "payroll_dossier_number": "000105",
}
RESULT_KEYS = {"index", "dossier_id", "result", "message", "details"}


def _bulk(api: Api, items: list[Any], *, defaults: Any = None, key: str | None = None) -> Any:
    body = {"items": items, **({"defaults": defaults} if defaults is not None else {})}
    answer = api.ok("POST", BULK, key=key or api.dupont, json=body)
    assert set(answer) == {"firm_id", "counts", "results"} and answer["firm_id"] == "cabinet-dupont"
    assert [r["index"] for r in answer["results"]] == list(range(len(items)))
    assert all(set(r) == RESULT_KEYS for r in answer["results"])
    assert sum(answer["counts"].values()) == len(items)
    return answer


def _results(answer: Any) -> list[tuple[str | None, str]]:
    return [(r["dossier_id"], r["result"]) for r in answer["results"]]


def _accepted(api: Api) -> list[dict[str, Any]]:
    """What the console sends for the sure proposals not configured yet."""
    found = api.ok("POST", "/firms/cabinet-dupont/discovery", key=api.dupont)
    return [
        {
            "dossier_id": f"onb-{p['payroll_dossier_number']}",
            "name": p["society_name"],
            "society_id": p["society_id"],
            "payroll_dossier_number": p["payroll_dossier_number"],
        }
        for p in found["proposals"]
        if p["how"] in ("siren", "name") and not p["configured_dossier_id"]
    ]


def test_accepted_proposals_are_created_with_the_defaults_and_a_repeat_writes_nothing(api: Api) -> None:
    items = _accepted(api)
    assert [i["payroll_dossier_number"] for i in items] == ["000105", "000106", "000108", "000112"]
    items[1]["run_day"] = 12  # an item's own value wins over the defaults
    answer = _bulk(api, items, defaults=DEFAULTS)
    assert _results(answer) == [(i["dossier_id"], "created") for i in items]
    assert answer["counts"] == {
        "created": 4,
        "updated": 0,
        "unchanged": 0,
        "conflict": 0,
        "invalid": 0,
        "failed": 0,
    }
    assert all(r["message"] is None and r["details"] == [] for r in answer["results"])
    listed = {
        d["dossier_id"]: d
        for d in api.ok("GET", "/firms/cabinet-dupont/dossiers", key=api.dupont)["dossiers"]
    }
    for item in items:
        dossier = listed[item["dossier_id"]]
        assert (dossier["society_id"], dossier["payroll_dossier_number"], dossier["name"]) == (
            item["society_id"],
            item["payroll_dossier_number"],
            item["name"],
        )
        assert dossier["auto_pull"] is True and dossier["auto_create_accounts"] is True
        assert dossier["contact_emails"] == ["paie@dupont-associes.fr"]
        assert dossier["run_day"] == item.get("run_day", 3)

    before = snapshot()
    again = _bulk(api, items, defaults=DEFAULTS)
    assert _results(again) == [(i["dossier_id"], "unchanged") for i in items]
    assert snapshot() == before  # not even updated_at


def test_an_existing_dossier_is_updated_with_the_given_fields_only(api: Api) -> None:
    config = api.env.services.config
    before = config.get_dossier("boulangerie-martin")
    assert before is not None and before.run_day != 3
    item = {"dossier_id": "boulangerie-martin", "society_id": 101, "payroll_dossier_number": "000101"}
    assert _results(_bulk(api, [item])) == [("boulangerie-martin", "unchanged")]
    assert _results(_bulk(api, [item], defaults={"run_day": 3})) == [("boulangerie-martin", "updated")]
    after = config.get_dossier("boulangerie-martin")
    assert after is not None and after.run_day == 3
    assert after.model_dump(exclude={"run_day", "updated_at"}) == before.model_dump(
        exclude={"run_day", "updated_at"}
    )
    assert _results(_bulk(api, [item], defaults={"run_day": 3})) == [("boulangerie-martin", "unchanged")]


def test_each_item_is_saved_or_refused_on_its_own(api: Api) -> None:
    good = FLEURISTE
    items: list[Any] = [
        good,
        {**good, "dossier_id": "typo", "society_id": "105", "payroll_dossier_number": "000108"},
        {"dossier_id": "sans-numero", "name": "Sans numéro", "society_id": 108},
        {
            **good,
            "dossier_id": "jeton",
            "payroll_dossier_number": "000112",
            "myunisoft_societe_token": "tok-secret-9z",
        },
        42,
        {**good, "dossier_id": "Majuscules!", "payroll_dossier_number": "000112"},
        {"dossier_id": "sans-nom", "society_id": 112, "payroll_dossier_number": "000112"},
        {**good, "name": "Fleuriste encore"},  # the same id twice in one call
        {**good, "dossier_id": "fleuriste-bis"},  # 000105 is fleuriste's now
        {**good, "dossier_id": "boulangerie-bis", "payroll_dossier_number": "000101"},  # boulangerie-martin's
        {**good, "dossier_id": "cafe-gare", "payroll_dossier_number": "000112"},  # another firm's id
        {
            **good,
            "dossier_id": "roux",
            "name": "Roux Architecture",
            "society_id": 112,
            "payroll_dossier_number": "000112",
        },
    ]
    answer = _bulk(api, items)
    assert _results(answer) == [
        ("fleuriste", "created"),
        ("typo", "invalid"),
        ("sans-numero", "invalid"),
        ("jeton", "invalid"),
        (None, "invalid"),
        (None, "invalid"),
        ("sans-nom", "invalid"),
        ("fleuriste", "invalid"),
        ("fleuriste-bis", "conflict"),
        ("boulangerie-bis", "conflict"),
        ("cafe-gare", "conflict"),
        ("roux", "created"),
    ]
    details = [[(d["field"], d["message"]) for d in r["details"]] for r in answer["results"]]
    assert details[1] == [("society_id", "doit être un nombre entier")]
    assert details[2] == [("payroll_dossier_number", "champ obligatoire")]
    assert details[3] == [("myunisoft_societe_token", "champ inconnu")]
    assert details[4] == [("body", "doit être un objet JSON")]
    assert details[5][0][0] == "dossier_id"
    assert details[6] == [("name", "Le nom du dossier est obligatoire à sa création.")]
    assert details[7][0][0] == "dossier_id"
    results = answer["results"]
    assert all(r["message"] for r in results if r["result"] != "created")
    assert "fleuriste" in results[8]["message"] and "105" in results[8]["message"]
    assert "boulangerie-martin" in results[9]["message"]
    assert "existe déjà" in results[10]["message"]
    assert "tok-secret-9z" not in str(answer)
    config = api.env.services.config
    for refused in ("typo", "sans-numero", "jeton", "sans-nom", "fleuriste-bis", "boulangerie-bis"):
        assert config.get_dossier(refused) is None, refused
    fleuriste, cafe = config.get_dossier("fleuriste"), config.get_dossier("cafe-gare")
    assert fleuriste is not None and fleuriste.name == "Fleuriste Éléonore"
    assert cafe is not None and cafe.firm_id == "fiduciaire-lemoine" and cafe.society_id == 201
    assert api.env.services.secrets.myunisoft_token("dossier", "jeton") is None


def test_an_operator_cannot_move_a_dossier_to_another_firm(api: Api) -> None:
    item = {"dossier_id": "cafe-gare", "name": "Café", "society_id": 201, "payroll_dossier_number": "000201"}
    answer = _bulk(api, [item], key=api.admin)
    assert _results(answer) == [("cafe-gare", "conflict")]
    assert "fiduciaire-lemoine" in answer["results"][0]["message"]


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"items": [{}] * 501}, "items", "au plus 500 dossiers par appel (501 reçus)"),
        ({"items": []}, "items", "au moins 1"),
        ({"items": [{}], "defaults": {"run_day": 45}}, "defaults.run_day", "inférieur ou égal à 31"),
        (
            {"items": [{}], "defaults": {"myunisoft_cabinet_token": "tok-x"}},
            "defaults.myunisoft_cabinet_token",
            "champ inconnu",
        ),
        ({"item": []}, "items", "champ obligatoire"),
    ],
)
def test_a_call_whose_shape_is_wrong_is_refused_whole(api: Api, body: Any, field: str, words: str) -> None:
    before = snapshot()
    answer = api.call("POST", BULK, key=api.dupont, json=body)
    assert answer.status_code == 422, answer.text
    details = {d["field"]: d["message"] for d in answer.json()["details"]}
    assert words in details[field], details
    assert snapshot() == before


def test_only_the_firm_s_own_credential_or_an_operator_s(api: Api) -> None:
    item = FLEURISTE
    before = snapshot()
    # Another firm's id answers as a missing one would (issue 11), as on every route.
    assert api.call("POST", BULK, key=api.lemoine, json={"items": [item]}).status_code == 404
    assert api.call("POST", BULK, json={"items": [item]}).status_code == 401
    missing = api.call("POST", "/firms/cabinet-inconnu/dossiers/bulk", key=api.admin, json={"items": [item]})
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    assert snapshot() == before
    assert _results(_bulk(api, [item], key=api.admin)) == [("fleuriste", "created")]


def test_a_store_failing_on_one_item_fails_that_item_only(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    items = _accepted(api)
    with failing_writes(monkeypatch) as failing:
        failing.arm(2)  # the second item's creation
        answer = _bulk(api, items)
    assert _results(answer) == [
        (items[0]["dossier_id"], "created"),
        (items[1]["dossier_id"], "failed"),
        *((i["dossier_id"], "created") for i in items[2:]),
    ]
    assert "Renvoyez la même demande" in answer["results"][1]["message"]
    assert "InternalServerError" not in str(answer) and "injected" not in str(answer)
    assert api.env.services.config.get_dossier(items[1]["dossier_id"]) is None
    again = _bulk(api, items)
    assert [r for _, r in _results(again)] == ["unchanged", "created", "unchanged", "unchanged"]
