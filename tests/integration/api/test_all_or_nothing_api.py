"""A write is all or nothing: a refused request writes nothing anywhere, and a store failing in the
middle of a save leaves the state as it was before the request."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from tests.integration.api.conftest import Api, paris_today
from tests.integration.api.stores import failing_writes, snapshot

PAYROLL = {
    "client_id": "cid-tout-ou-rien-0001",
    "client_secret": "cs-tout-ou-rien-a1b2",
    "subscription_key": "sk-tout-ou-rien-c3d4",
    "secret_generated_on": "2026-09-15",
}


def _future() -> str:
    return (paris_today() + timedelta(days=1)).isoformat()


def test_a_refused_dossier_save_writes_no_secret(api: Api) -> None:
    """The issue's case: a new société token with a payroll block dated in the future."""
    secrets = api.env.services.secrets
    body = {
        "myunisoft_societe_token": "tok-societe-jamais-ecrit",
        "payroll": {**PAYROLL, "secret_generated_on": _future()},
    }
    refused = api.call("PUT", "/dossiers/cafe-gare", key=api.lemoine, json=body)
    assert (
        refused.status_code == 422 and refused.json()["details"][0]["field"] == "payroll.secret_generated_on"
    )
    assert secrets.myunisoft_token("dossier", "cafe-gare") == "tok-societe-201"
    assert secrets.payroll("dossier", "cafe-gare") is None
    # A new id: no orphan secret either.
    refused = api.call("PUT", "/dossiers/cafe-neuf", key=api.lemoine, json={"name": "Café neuf", **body})
    assert refused.status_code == 422
    assert secrets.myunisoft_token("dossier", "cafe-neuf") is None
    assert api.env.services.config.get_dossier("cafe-neuf") is None


def _refused_requests(api: Api) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(method, path, key, httpx arguments): every write route, with bodies it must refuse."""
    a, d, lm = api.admin, api.dupont, api.lemoine
    token = {"myunisoft_societe_token": "tok-refuse-0001"}
    future = {"payroll": {**PAYROLL, "secret_generated_on": _future()}}
    old = {"payroll": {**PAYROLL, "secret_generated_on": "2015-12-31"}}
    json_ = {"Content-Type": "application/json"}
    bad_bodies: list[dict[str, Any]] = [
        {"content": b"[" * 1000, "headers": json_},
        {"content": b'{"name": 1' + b"1" * 4300 + b"}", "headers": json_},
        {"content": b'{"name": "a", "name": "b"}', "headers": json_},
        {"content": b'{"name": "\xff"}', "headers": json_},
        {"content": b'{"name": "x"}', "headers": {"Content-Type": "text/plain"}},
        {"content": b'{"name": "x"}'},
        {"content": b'{"name": "x"}', "headers": {"Content-Type": "application/jsonx"}},
    ]
    requests: list[tuple[str, str, str, dict[str, Any]]] = []
    for path, key in (
        ("/firms/cabinet-dupont", a),
        ("/firms/cabinet-nouveau", a),
        ("/dossiers/cafe-gare", lm),
        ("/dossiers/dossier-nouveau", d),
        ("/dossiers/cafe-gare/sync", lm),
        ("/firms/cabinet-dupont/test-connection", d),
        ("/admin/api-keys", a),
        ("/dossiers/menuiserie-girard/accounts/438600", lm),
    ):
        method = "POST" if path.endswith(("sync", "test-connection", "api-keys")) else "PUT"
        requests += [(method, path, key, body) for body in bad_bodies]
    requests += [
        # the use case's own refusals, each after a part of the request that would be valid
        ("PUT", "/dossiers/cafe-gare", lm, {"json": {**token, **future}}),
        ("PUT", "/dossiers/cafe-gare", lm, {"json": {**token, **old}}),
        ("PUT", "/dossiers/cafe-gare", lm, {"json": {**token, "pending_period": "2999-01"}}),
        ("PUT", "/dossiers/cafe-gare", lm, {"json": {**token, "firm_id": "cabinet-dupont"}}),
        ("PUT", "/dossiers/cafe-gare", d, {"json": {**token, "name": "Pris"}}),  # another firm's id
        ("PUT", "/dossiers/dossier-nouveau", d, {"json": {**token, **future, "name": "N"}}),
        ("PUT", "/dossiers/dossier-nouveau", d, {"json": {**token}}),  # a creation without its name
        ("PUT", "/dossiers/dossier-nouveau", a, {"json": {**token, "name": "N"}}),  # nor its firm
        (
            "PUT",
            "/dossiers/dossier-nouveau",
            d,
            {"json": {**token, "name": "N", "firm_id": "fiduciaire-lemoine"}},
        ),
        ("PUT", "/firms/cabinet-dupont", a, {"json": {"myunisoft_cabinet_token": "tok-x", **future}}),
        (
            "PUT",
            "/firms/cabinet-nouveau",
            a,
            {"json": {"myunisoft_cabinet_token": "tok-x", "payroll": PAYROLL}},
        ),
        ("PUT", "/firms/cabinet-nouveau", d, {"json": {"name": "N", "myunisoft_cabinet_token": "tok-x"}}),
        ("PUT", "/firms/fiduciaire-lemoine", d, {"json": {"myunisoft_cabinet_token": "tok-x"}}),
        ("POST", "/dossiers/cafe-gare/sync", lm, {"json": {"period": "2999-01"}}),
        ("POST", "/dossiers/cafe-gare/sync", d, {"json": {}}),
        ("POST", "/admin/api-keys", a, {"json": {"scope": "firm", "firm_id": "nulle-part"}}),
        ("POST", "/admin/api-keys", d, {"json": {"scope": "admin"}}),
        ("DELETE", "/admin/api-keys/0123456789abcdef", a, {}),
        ("DELETE", "/dossiers/cafe-gare/payroll-credentials", d, {}),
        ("PUT", "/dossiers/cafe-gare/accounts/438600", d, {"json": {"account_id": 1}}),
    ]
    return requests


def test_refused_requests_leave_every_table_and_every_secret_as_they_were(api: Api) -> None:
    before = snapshot()
    for method, path, key, arguments in _refused_requests(api):
        answer = api.call(method, path, key=key, **arguments)
        assert 400 <= answer.status_code < 500, (method, path, arguments, answer.text)
    assert snapshot() == before


def _saves(api: Api) -> list[tuple[str, str, str, dict[str, Any]]]:
    """Saves that write several times: secrets, then items (method, path, key, body)."""
    return [
        (
            "PUT",
            "/dossiers/cafe-gare",
            api.lemoine,
            {"name": "Café", "run_day": 9, "myunisoft_societe_token": "tok-societe-neuf", "payroll": PAYROLL},
        ),
        (
            "PUT",
            "/dossiers/dossier-neuf",
            api.lemoine,
            {"name": "Neuf", "auto_pull": True, "myunisoft_societe_token": "tok-neuf", "payroll": PAYROLL},
        ),
        (
            "PUT",
            "/firms/fiduciaire-lemoine",
            api.admin,
            {"name": "Fiduciaire", "payroll": PAYROLL, "myunisoft_cabinet_token": "tok-cabinet-neuf"},
        ),
        (
            "PUT",
            "/firms/cabinet-neuf",
            api.admin,
            {"name": "Neuf", "payroll": PAYROLL, "myunisoft_cabinet_token": "tok-cabinet-neuf"},
        ),
        ("DELETE", "/dossiers/transports-bernard/payroll-credentials", api.dupont, {}),
    ]


def test_a_store_failing_in_the_middle_of_a_save_leaves_the_state_as_before(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert api.env.services.config.get_dossier("transports-bernard").payroll_override is not None  # type: ignore[union-attr]
    before = snapshot(versions=False)  # an undone secret write leaves a version behind, not current
    with failing_writes(monkeypatch) as failing:
        for method, path, key, body in _saves(api):
            at = 1
            while True:
                failing.arm(at)
                answer = api.call(method, path, key=key, json=body or None)
                if not failing.failed or answer.status_code < 300:
                    # The save made fewer writes (all of them were tried), or the one that failed was
                    # not needed any more (letting go of a hold, which lapses by itself).
                    assert answer.status_code < 300, answer.text
                    break
                assert answer.status_code == 500, (path, at, answer.text)
                assert snapshot(versions=False) == before, (path, at)
                at += 1
            assert at >= 2, path  # there was a second write to fail
            failing.arm(0)
            before = snapshot(versions=False)  # the save went through: the next one starts from here


def test_a_save_that_fails_after_its_secrets_puts_back_the_previous_values(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The values themselves: the société token and the dossier's credentials are the old ones."""
    secrets = api.env.services.secrets
    old_payroll = secrets.payroll("firm", "fiduciaire-lemoine")
    body = {"payroll": PAYROLL, "myunisoft_cabinet_token": "tok-cabinet-neuf"}
    with failing_writes(monkeypatch) as failing:
        failing.arm(3)  # the token, the credentials, then the firm's item
        assert api.call("PUT", "/firms/fiduciaire-lemoine", key=api.admin, json=body).status_code == 500
    assert secrets.payroll("firm", "fiduciaire-lemoine") == old_payroll
    assert secrets.myunisoft_token("firm", "fiduciaire-lemoine") is None  # it had none: none again
    assert api.env.services.config.get_firm("fiduciaire-lemoine").payroll.secret_generated_on != date(
        2026, 9, 15
    )  # type: ignore[union-attr]
