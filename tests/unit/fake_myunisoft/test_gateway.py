"""The MyUnisoft fake's gateway over raw HTTP (no paysync client involved): request ids, rate
headers, authentication, cabinet tokens and society-id, rate and concurrency limits, faults."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from local.fakes.myunisoft import FakeMyUnisoft
from local.fakes.server import Fault
from tests.unit.fake_myunisoft.support import (
    CABINET,
    FOREIGN_SOCIETY,
    OTHER_SOCIETY,
    SECRET,
    SOCIETY,
    TOKEN,
    assert_error,
    auth,
)


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
