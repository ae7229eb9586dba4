"""The MyUnisoft fake's dossier routes over raw HTTP: diaries, accounts, exercices."""

from __future__ import annotations

import httpx
import pytest

from local.fakes.myunisoft import FakeMyUnisoft
from tests.unit.fake_myunisoft.support import (
    OTHER_SOCIETY,
    SOCIETY,
    assert_error,
    auth,
)


# -- diaries, accounts, exercices -----------------------------------------------------------------
def test_diaries_and_filters(fake: FakeMyUnisoft, http: httpx.Client) -> None:
    paie = fake.add_diary(SOCIETY, "30", "JOURNAL DE PAIE")
    fake.add_diary(SOCIETY, "01", "JOURNAL D'ACHATS", diary_type_code="ACH")
    everything = http.get("/diary", headers=auth()).json()
    assert len(everything) == 2
    assert http.get("/diary", params={"type": "OD_PAIE"}, headers=auth()).json() == [
        {
            "code": "30",
            "name": "JOURNAL DE PAIE",
            "closed": False,
            "account": None,
            "blocked": False,
            "diary_id": paie,
            "diary_type_id": 11,
            "diary_type_code": "OD_PAIE",
            "diary_type_name": "OD Paie",
        }
    ]
    assert [d["code"] for d in http.get("/diary", params={"code": "01"}, headers=auth()).json()] == ["01"]
    assert [d["code"] for d in http.get("/diary", params={"q": "achats"}, headers=auth()).json()] == ["01"]


def test_find_or_create_account(fake: FakeMyUnisoft, http: httpx.Client) -> None:
    existing = fake.add_account(SOCIETY, "421000", "REMUNERATIONS DUES")
    found = http.post(
        "/account", json={"account_number": "421000", "label": "whatever"}, headers=auth()
    ).json()
    assert found == {
        "account_id": existing,
        "account_number": "421000",
        "label": "REMUNERATIONS DUES",
        "counterpart_account": None,
    }
    created = http.post("/account", json={"account_number": "251", "label": "test25"}, headers=auth()).json()
    assert created["account_number"] == "251000"  # padded, as in the vendor's example
    again = http.post("/account", json={"account_number": "251000", "label": "x"}, headers=auth()).json()
    assert again["account_id"] == created["account_id"]
    tiers = http.post("/account", json={"account_number": "411NAME", "label": "account name"}, headers=auth())
    assert tiers.json()["account_number"] == "411NAME"
    assert_error(
        http.post("/account", json={"account_number": "A411", "label": "x"}, headers=auth()), "COMPTE6"
    )
    assert_error(
        http.post("/account", json={"account_number": "0411", "label": "x"}, headers=auth()), "COMPTE6"
    )
    assert_error(
        http.post("/account", json={"account_number": "4" * 21, "label": "x"}, headers=auth()), "COMPTE7"
    )
    assert_error(http.post("/account", json={"label": "x"}, headers=auth()), "COMPTE3")
    assert_error(http.post("/account", json={"account_number": "6411"}, headers=auth()), "COMPTE4")
    assert (
        http.post("/account", json={"account_number": "4" * 20, "label": "x"}, headers=auth()).status_code
        == 200
    )


def test_chart_of_accounts_routes(fake: FakeMyUnisoft, http: httpx.Client) -> None:
    ids = [fake.add_account(SOCIETY, f"4{i:05d}", f"COMPTE {i}") for i in range(8)]
    fake.add_account(OTHER_SOCIETY, "999999", "NOT MINE")
    detailed = http.get("/account", params={"mode": 2}, headers=auth()).json()
    assert detailed["rows_number"] == 8
    assert detailed["pages_number"] == 1
    assert [a["account_id"] for a in detailed["account_array"]] == ids
    assert {"account_id", "account_number", "label", "closed", "blocked", "society_id"} <= set(
        detailed["account_array"][0]
    )
    one = http.get("/account", params={"mode": 2, "begin_by": "400003"}, headers=auth()).json()
    assert [a["account_id"] for a in one["account_array"]] == [ids[3]]
    simplified = http.get("/account", params={"mode": 1}, headers=auth()).json()
    assert len(simplified) == 5  # the documented default limit
    assert len(http.get("/account", params={"mode": 1, "limit": 100}, headers=auth()).json()) == 8
    v2 = http.get("/account/v2", params={"begin_by": "40000"}, headers=auth()).json()
    assert len(v2) == 8
    assert (
        http.get("/account/v2", params={"account_id": ids[1]}, headers=auth()).json()[0]["account_number"]
        == "400001"
    )


def test_rename_and_delete_accounts(fake: FakeMyUnisoft, http: httpx.Client) -> None:
    account = fake.add_account(SOCIETY, "421000", "REMUNERATIONS")
    fake.rename_account(SOCIETY, account, new_number="421100", new_label="NET A PAYER")
    row = http.get("/account", params={"mode": 2}, headers=auth()).json()["account_array"][0]
    assert (row["account_id"], row["account_number"], row["label"]) == (account, "421100", "NET A PAYER")
    fake.delete_account(SOCIETY, account)
    assert http.get("/account", params={"mode": 2}, headers=auth()).json()["account_array"] == []
    recreated = http.post(
        "/account", json={"account_number": "421100", "label": "NET"}, headers=auth()
    ).json()
    assert recreated["account_id"] != account
    with pytest.raises(KeyError):
        fake.rename_account(OTHER_SOCIETY, recreated["account_id"], new_label="x")


def test_exercices_use_compact_dates(fake: FakeMyUnisoft, http: httpx.Client) -> None:
    fake.add_exercice(SOCIETY, "2023-01-01", "2023-12-31", closed=True)
    fake.add_exercice(SOCIETY, "2024-01-01", "2024-12-31")
    rows = http.get("/society/exercice", headers=auth()).json()
    assert [(r["start_date"], r["end_date"], r["closed"], r["label"]) for r in rows] == [
        ("20240101", "20241231", False, "N"),
        ("20230101", "20231231", True, "N-1"),
    ]
    assert rows[0]["duration"] == 12
