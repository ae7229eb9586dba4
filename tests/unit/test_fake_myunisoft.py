"""The MyUnisoft fake's own rules, over raw HTTP (no paysync client involved)."""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from local.fakes.myunisoft import CATALOGUE, FakeMyUnisoft
from local.fakes.server import Fault

SECRET = "partner-secret-1"
TOKEN = "society-token-1"
CABINET = "cabinet-token-1"
SOCIETY, OTHER_SOCIETY, FOREIGN_SOCIETY = 3, 4, 99


@pytest.fixture
def fake() -> Iterator[FakeMyUnisoft]:
    server = FakeMyUnisoft(rate_limit=1000, rate_window_seconds=1.0)
    server.start()
    server.add_partner_secret(SECRET)
    server.add_society(SOCIETY, "ACME", schema_id=1)
    server.add_society(OTHER_SOCIETY, "BETA", schema_id=1)
    server.add_society(FOREIGN_SOCIETY, "ELSEWHERE", schema_id=2)
    server.add_society_token(TOKEN, SOCIETY)
    server.add_cabinet_token(CABINET, schema_id=1)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def http(fake: FakeMyUnisoft) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fake.api_url, timeout=5) as client:
        yield client


def auth(token: str = TOKEN, secret: str | None = SECRET, society: int | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    if secret is not None:
        headers["X-Third-Party-Secret"] = secret
    if society is not None:
        headers["society-id"] = str(society)
    return headers


def assert_error(response: httpx.Response, code: str, status: int | None = None) -> dict[str, Any]:
    """The documented error shape, the catalogue's message, request ids that agree."""
    assert response.status_code == (status or CATALOGUE[code][0]), response.text
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert error["code"] == code
    assert error["message"] == CATALOGUE[code][1] or "%1" in CATALOGUE[code][1]
    details = error["details"]
    assert {"url", "method", "requestedAt", "requestId"} <= set(details)
    assert details["requestId"] == response.headers["request-id"]
    assert details["method"] == response.request.method
    assert details["url"].endswith(response.request.url.raw_path.decode())
    return dict(error)


def setup_books(fake: FakeMyUnisoft, society: int = SOCIETY) -> dict[str, int]:
    ids = {
        "diary": fake.add_diary(society, "30", "JOURNAL DE PAIE"),
        "421": fake.add_account(society, "421000", "PERSONNEL REMUNERATIONS DUES"),
        "641": fake.add_account(society, "641100", "SALAIRES"),
        "open": fake.add_exercice(society, "2024-01-01", "2024-12-31"),
        "closed": fake.add_exercice(society, "2023-01-01", "2023-12-31", closed=True),
    }
    return ids


def entry_body(ids: dict[str, int], **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "entry_list": [
            {
                "account_id": ids["641"],
                "label": "Salaires",
                "debit": 1234.56,
                "credit": 0,
                "deadline": "2024-03-31",
            },
            {
                "account_id": ids["421"],
                "label": "Net à payer",
                "debit": 0,
                "credit": 1234.56,
                "deadline": "2024-03-31",
            },
        ],
        "date_piece": "2024-03-31",
        "period_from": "2024-03-01",
        "period_to": "2024-03-31",
        "etablissement_id": SOCIETY,
        "diary_id": ids["diary"],
        "entry_origin_partner_id": "paysync-3-2024-03-a",
        "json": '{"source": "paysync"}',
        "pj_list": [
            {"name": "journal.pdf", "type": "application/pdf", "content": base64.b64encode(b"%PDF").decode()}
        ],
    }
    body.update(overrides)
    return body


# -- health, headers ----------------------------------------------------------------------------------
def test_health_needs_no_auth_and_has_a_request_id(fake: FakeMyUnisoft) -> None:
    response = httpx.get(fake.url + "/api/partners/health")
    assert response.status_code == 200
    assert response.headers["request-id"].startswith("req-")


def test_every_api_response_has_a_fresh_request_id_and_rate_headers(
    fake: FakeMyUnisoft, http: httpx.Client
) -> None:
    responses = [http.get("/diary", headers=auth()), http.get("/diary", headers=auth()), http.get("/diary")]
    ids = {r.headers["request-id"] for r in responses}
    assert len(ids) == 3
    for response in responses:
        assert response.headers["X-Rate-Limit-Total"] == "1000"
        int(response.headers["X-Rate-Limit-Remaining"])
        assert float(response.headers["X-Rate-Limit-Reset"]) > time.time() - 1
    assert responses[0].status_code == 200
    assert_error(responses[2], "ERR-INVALID-AUTH-HEADER")


# -- authentication -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({"X-Third-Party-Secret": SECRET}, "ERR-INVALID-AUTH-HEADER"),
        ({"Authorization": TOKEN, "X-Third-Party-Secret": SECRET}, "ERR-INVALID-AUTH-HEADER"),
        ({"Authorization": f"Basic {TOKEN}", "X-Third-Party-Secret": SECRET}, "ERR-INVALID-AUTH-HEADER"),
        ({"Authorization": "Bearer", "X-Third-Party-Secret": SECRET}, "ERR-INVALID-AUTH-HEADER"),
        (auth(secret=None), "ERR-SECRET-HEADER-NOT-SET"),
        (auth(secret="not-a-secret"), "ERR-INVALID-SECRET"),
        (auth(token="unknown-token"), "ERR-API-TOKEN-NOT-FOUND"),
    ],
    ids=["no-auth", "no-bearer", "basic", "empty-bearer", "no-secret", "bad-secret", "unknown-token"],
)
def test_authentication_failures(http: httpx.Client, headers: dict[str, str], code: str) -> None:
    assert_error(http.get("/diary", headers=headers), code)


def test_gateway_statuses(http: httpx.Client) -> None:
    assert http.get("/diary", headers=auth(secret=None)).status_code == 401
    assert http.get("/diary", headers=auth(secret="nope")).status_code == 403
    assert http.get("/diary", headers=auth(token="nope")).status_code == 401


def test_inactive_secret_and_revoked_token(fake: FakeMyUnisoft, http: httpx.Client) -> None:
    fake.add_partner_secret("waiting-secret", active=False)
    assert_error(http.get("/diary", headers=auth(secret="waiting-secret")), "ERR-INVALID-SECRET")
    fake.set_partner_secret_active("waiting-secret", True)
    assert http.get("/diary", headers=auth(secret="waiting-secret")).status_code == 200
    fake.revoke_token(TOKEN)
    assert_error(http.get("/diary", headers=auth()), "ERR-API-TOKEN-NOT-FOUND")


def test_any_accepted_call_activates_a_new_key(fake: FakeMyUnisoft, http: httpx.Client) -> None:
    assert not fake.token_activated(TOKEN)
    http.get("/diary", headers=auth(secret="bad"))
    assert not fake.token_activated(TOKEN)
    body = http.get("/key/info", params={"mode": "extended"}, headers=auth()).json()
    assert fake.token_activated(TOKEN)
    assert body["isActivated"] is True
    assert body["target"] == {
        "type": "api",
        "schemaId": 1,
        "thirdPartyId": body["target"]["thirdPartyId"],
        "societyId": 3,
    }
    assert {"path": "/api/v1/entry", "method": "post"} in body["routes"]


def test_key_info_without_mode_lists_routes_and_cabinet_target(http: httpx.Client) -> None:
    routes = http.get("/key/info", headers=auth()).json()
    assert isinstance(routes, list)
    assert {"path": "/api/v1/diary", "method": "get"} in routes
    target = http.get("/key/info", params={"mode": "extended"}, headers=auth(CABINET)).json()["target"]
    assert target["type"] == "firm"
    assert target["schemaId"] == 1
    assert "societyId" not in target


def test_unknown_route_is_forbidden_after_authentication(http: httpx.Client) -> None:
    assert_error(http.get("/nothing/here", headers=auth(secret=None)), "ERR-SECRET-HEADER-NOT-SET")
    assert_error(http.get("/nothing/here", headers=auth()), "ERR-FORBIDDEN-ROUTE")


# -- cabinet tokens ------------------------------------------------------------------------------------
def test_cabinet_token_needs_a_society_of_its_schema(fake: FakeMyUnisoft, http: httpx.Client) -> None:
    fake.add_diary(SOCIETY, "30", "PAIE ACME")
    fake.add_diary(OTHER_SOCIETY, "31", "PAIE BETA")
    assert_error(http.get("/diary", headers=auth(CABINET)), "SOCIETE10")
    assert_error(http.get("/diary", headers=auth(CABINET, society=FOREIGN_SOCIETY)), "DROIT1")
    assert_error(http.get("/diary", headers=auth(CABINET, society=12345)), "DROIT1")
    assert_error(http.get("/diary", headers={**auth(CABINET), "society-id": "abc"}), "DROIT1")
    assert [d["name"] for d in http.get("/diary", headers=auth(CABINET, society=SOCIETY)).json()] == [
        "PAIE ACME"
    ]
    assert [d["name"] for d in http.get("/diary", headers=auth(CABINET, society=OTHER_SOCIETY)).json()] == [
        "PAIE BETA"
    ]
    # a société token always reads its own dossier
    assert [d["name"] for d in http.get("/diary", headers=auth(society=OTHER_SOCIETY)).json()] == [
        "PAIE ACME"
    ]


def test_society_route(http: httpx.Client) -> None:
    listing = http.get("/society", headers=auth(CABINET)).json()
    assert sorted(s["society_id"] for s in listing["society_array"]) == [SOCIETY, OTHER_SOCIETY]
    assert http.get("/society", headers=auth(CABINET, society=OTHER_SOCIETY)).json()["name"] == "BETA"
    assert http.get("/society", headers=auth()).json()["society_id"] == SOCIETY


# -- rate limit, concurrency, maintenance ---------------------------------------------------------
@pytest.mark.parametrize("unit", ["s", "ms"])
def test_sliding_window_per_token(fake: FakeMyUnisoft, http: httpx.Client, unit: str) -> None:
    fake.rate_limit, fake.rate_window_seconds, fake.rate_reset_unit = 3, 0.4, unit  # type: ignore[assignment]
    first = time.time()
    remaining = [http.get("/diary", headers=auth()).headers["X-Rate-Limit-Remaining"] for _ in range(3)]
    assert remaining == ["2", "1", "0"]
    refused = http.get("/diary", headers=auth())
    assert_error(refused, "ERR-TOO-MANY-REQUEST", 429)
    reset = float(refused.headers["X-Rate-Limit-Reset"])
    reset = reset / 1000 if unit == "ms" else reset
    assert first + 0.4 - 0.05 <= reset <= time.time() + 0.4
    assert refused.headers["X-Rate-Limit-Remaining"] == "0"
    # another token has its own window
    assert http.get("/diary", headers=auth(CABINET, society=SOCIETY)).status_code == 200
    time.sleep(max(0.0, reset - time.time()) + 0.02)
    assert http.get("/diary", headers=auth()).status_code == 200


def test_concurrent_calls_on_one_route_are_limited(fake: FakeMyUnisoft, http: httpx.Client) -> None:
    fake.concurrency_limit = 1
    fake.route_delays["/api/v1/diary"] = 1.0
    results: list[int] = []
    slow = threading.Thread(
        target=lambda: results.append(httpx.get(fake.api_url + "/diary", headers=auth()).status_code)
    )
    slow.start()
    # Wait for the slow call to be inside the fake (not a fixed sleep: the machine may be loaded).
    deadline = time.monotonic() + 5
    while fake.call_count("/diary") < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert_error(http.get("/diary", headers=auth()), "ERR-TOO-MANY-CONCURRENT-REQUEST", 429)
    assert http.get("/society/exercice", headers=auth()).status_code == 200  # another route is free
    slow.join()
    assert results == [200]


def test_maintenance(fake: FakeMyUnisoft, http: httpx.Client) -> None:
    fake.maintenance = True
    assert_error(http.get("/diary", headers=auth()), "ERR-API-UNDER-MAINTENANCE", 503)
    fake.maintenance = False
    assert http.get("/diary", headers=auth()).status_code == 200


def test_faults(fake: FakeMyUnisoft, http: httpx.Client) -> None:
    fake.faults.add(Fault("rate_limit", seconds=5, path_contains="/diary"))
    fake.faults.add(Fault("maintenance", path_contains="/account"))
    fake.faults.add(Fault("concurrency", path_contains="/society/exercice"))
    fake.faults.add(Fault("status", status=502, path_contains="/entry/id"))
    limited = http.get("/diary", headers=auth())
    assert_error(limited, "ERR-TOO-MANY-REQUEST", 429)
    assert float(limited.headers["X-Rate-Limit-Reset"]) == pytest.approx(time.time() + 5, abs=1)
    assert_error(http.get("/account", params={"mode": 2}, headers=auth()), "ERR-API-UNDER-MAINTENANCE", 503)
    assert_error(http.get("/society/exercice", headers=auth()), "ERR-TOO-MANY-CONCURRENT-REQUEST", 429)
    assert_error(http.get("/entry/id", params={"id_origin": "x"}, headers=auth()), "ERR-HTTP", 502)
    assert http.get("/diary", headers=auth()).status_code == 200  # each fault hit once


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


# -- entries -----------------------------------------------------------------------------------------
def test_create_entry_stores_it_with_attachments(fake: FakeMyUnisoft, http: httpx.Client) -> None:
    ids = setup_books(fake)
    body = entry_body(ids)
    body["entry_list"][0]["pj_list"] = [{"name": "a.txt", "type": "text/plain", "content": "aGk="}]
    response = http.post("/entry", params={"type": "e"}, json=body, headers=auth())
    assert response.status_code == 200, response.text
    created = response.json()
    entry_id = created["entry_array"][0]["entry_id"]
    assert created["debit_total"] == created["credit_total"] == 1234.56
    [stored] = fake.entries(SOCIETY)
    assert stored["entry_id"] == entry_id
    assert stored["entry_origin_partner_id"] == "paysync-3-2024-03-a"
    assert stored["request_id"] == response.headers["request-id"]
    assert [(line["account_id"], line["debit"], line["credit"]) for line in stored["lines"]] == [
        (ids["641"], 1234.56, 0),
        (ids["421"], 0, 1234.56),
    ]
    assert [(a["name"], a["content"], a["source"]) for a in stored["attachments"]] == [
        ("journal.pdf", b"%PDF", "pj_list"),
        ("a.txt", b"hi", "line"),
    ]
    assert fake.entries(OTHER_SOCIETY) == []


def test_find_entry_by_partner_id(fake: FakeMyUnisoft, http: httpx.Client) -> None:
    ids = setup_books(fake)
    missing = http.get("/entry/id", params={"id_origin": "paysync-3-2024-03-a"}, headers=auth())
    assert missing.status_code == 200
    assert missing.content == b""
    entry_id = http.post("/entry", params={"type": "e"}, json=entry_body(ids), headers=auth()).json()[
        "entry_array"
    ][0]["entry_id"]
    found = http.get("/entry/id", params={"id_origin": "paysync-3-2024-03-a"}, headers=auth()).json()
    assert found == {
        "id_entry": entry_id,
        "type": "ENTRIES",
        "json_metadata_partners": '{"source": "paysync"}',
    }
    # another dossier does not see it
    other = http.get(
        "/entry/id", params={"id_origin": "paysync-3-2024-03-a"}, headers=auth(CABINET, society=4)
    )
    assert other.content == b""


def test_partner_id_is_strictly_unique_per_dossier(fake: FakeMyUnisoft, http: httpx.Client) -> None:
    ids = setup_books(fake)
    assert http.post("/entry", params={"type": "e"}, json=entry_body(ids), headers=auth()).status_code == 200
    assert_error(http.post("/entry", params={"type": "e"}, json=entry_body(ids), headers=auth()), "GBL6")
    assert len(fake.entries(SOCIETY)) == 1
    without = entry_body(ids)
    del without["entry_origin_partner_id"]
    for _ in range(2):
        assert http.post("/entry", params={"type": "e"}, json=without, headers=auth()).status_code == 200
    assert len(fake.entries(SOCIETY)) == 3


def _post(http: httpx.Client, body: Any, **params: str) -> httpx.Response:
    return http.post("/entry", params={"type": "e", **params}, json=body, headers=auth())


def test_entry_business_rules(fake: FakeMyUnisoft, http: httpx.Client) -> None:
    ids = setup_books(fake)
    foreign = fake.add_account(OTHER_SOCIETY, "641100", "SALAIRES BETA")
    closed_diary = fake.add_diary(SOCIETY, "31", "PAIE FERMEE", closed=True)
    an_diary = fake.add_diary(SOCIETY, "40", "A NOUVEAUX", diary_type_code="AN")
    other_diary = fake.add_diary(OTHER_SOCIETY, "30", "PAIE BETA")
    deleted = fake.add_account(SOCIETY, "641200", "PRIMES")
    fake.delete_account(SOCIETY, deleted)

    def line(index: int, **changes: Any) -> dict[str, Any]:
        body = entry_body(ids)
        body["entry_list"][index].update(changes)
        return body

    cases: list[tuple[dict[str, Any], str]] = [
        (entry_body(ids, etablissement_id=OTHER_SOCIETY), "ECR48"),
        (entry_body(ids, diary_id=999), "JOURNAL3"),
        (entry_body(ids, diary_id=other_diary), "JOURNAL3"),
        (entry_body(ids, diary_id=closed_diary), "JOURNAL2"),
        (entry_body(ids, diary_id=an_diary), "JOURNAL13"),
        (entry_body(ids, date_piece="2025-01-31"), "ECR10"),
        (entry_body(ids, date_piece="2023-06-30"), "ECR9"),
        (line(0, account_id=foreign), "COMPTE5"),
        (line(0, account_id=deleted), "COMPTE5"),
        (line(0, account_id=424242), "COMPTE5"),
        (line(0, debit=-1234.56), "ECR2"),
        (line(0, credit=1), "ECR27"),
        (line(0, debit=1234.57), "ECR1"),
    ]
    for body, code in cases:
        assert_error(_post(http, body), code)
    assert fake.entries(SOCIETY) == []
    # balance is checked to the cent, not in floating point
    body = entry_body(ids)
    body["entry_list"] = [
        {"account_id": ids["641"], "label": "a", "debit": 0.1, "credit": 0, "deadline": "2024-03-31"},
        {"account_id": ids["641"], "label": "b", "debit": 0.2, "credit": 0, "deadline": "2024-03-31"},
        {"account_id": ids["421"], "label": "c", "debit": 0, "credit": 0.3, "deadline": "2024-03-31"},
    ]
    assert _post(http, body).status_code == 200


def test_entry_shape_errors(fake: FakeMyUnisoft, http: httpx.Client) -> None:
    ids = setup_books(fake)
    missing = entry_body(ids)
    del missing["entry_list"]
    assert_error(_post(http, missing), "ECR43")
    assert_error(_post(http, entry_body(ids, entry_list=[])), "ECR43")
    long_label = entry_body(ids)
    long_label["entry_list"][0]["label"] = "x" * 51
    error = assert_error(_post(http, long_label), "ECR4")
    assert any(f.startswith("entry_list.0.label") for f in error["details"]["fields"])
    bad_pj = entry_body(ids, pj_list=[{"name": "a.zip", "type": "application/zip", "content": ""}])
    assert_error(_post(http, bad_pj), "ECR4")
    raw = http.post("/entry", params={"type": "e"}, content=b"{not json", headers=auth())
    assert_error(raw, "ECR4")
    other_type = _post(http, entry_body(ids), type="o")
    error = assert_error(other_type, "ECR17")
    assert error["message"] == "Impossible de créer une écriture de type o"
    assert fake.entries(SOCIETY) == []


def test_invalid_base64_is_stored_and_flagged(fake: FakeMyUnisoft, http: httpx.Client) -> None:
    ids = setup_books(fake)
    body = entry_body(ids, pj_list=[{"name": "Apercu.pdf", "type": "application/pdf", "content": "..."}])
    assert _post(http, body).status_code == 200
    [attachment] = fake.entries(SOCIETY)[0]["attachments"]
    assert attachment["valid_base64"] is False


def test_add_document(fake: FakeMyUnisoft, http: httpx.Client) -> None:
    ids = setup_books(fake)
    entry_id = _post(http, entry_body(ids)).json()["entry_array"][0]["entry_id"]

    def upload(content: bytes = b"%PDF-1.4", **params: Any) -> httpx.Response:
        query = {"location": "ENTRIES", "object_id": entry_id, "filename_extension": "bulletins mars.pdf"}
        query.update({"type_result": 1, **params})
        headers = {**auth(), "Content-Type": "application/octet-stream"}
        return http.post("/document/add_all_types", params=query, content=content, headers=headers)

    response = upload()
    assert response.status_code == 200
    attachments = fake.entries(SOCIETY)[0]["attachments"]
    assert attachments[-1]["name"] == "bulletins mars.pdf"
    assert attachments[-1]["content"] == b"%PDF-1.4"
    assert attachments[-1]["source"] == "document"
    assert_error(upload(object_id=999), "ECR4")
    assert_error(upload(location="NOWHERE"), "ECR4")
    assert_error(upload(filename_extension=""), "DOCUMENT4")
    assert_error(upload(filename_extension="virus.exe"), "DOCUMENT9")
    assert_error(upload(content=b""), "DOCUMENT6")
    assert_error(
        http.post(
            "/document/add_all_types",
            params={"location": "ENTRIES", "object_id": entry_id, "filename_extension": "a.pdf"},
            content=b"x",
            headers=auth(CABINET, society=OTHER_SOCIETY),
        ),
        "ECR4",
    )
