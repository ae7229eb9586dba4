"""Access: the authorizer in front of every route, API credentials issued, listed and revoked."""

from __future__ import annotations

import boto3
import pytest

from tests.integration.api.conftest import Api


def test_every_route_but_the_documentation_needs_a_valid_credential(api: Api) -> None:
    paths = [
        ("GET", "/firms/cabinet-dupont"),
        ("PUT", "/dossiers/boulangerie-martin"),
        ("POST", "/dossiers/boulangerie-martin/sync"),
        ("POST", "/dossiers/boulangerie-martin/test-connection"),
        ("GET", "/admin/api-keys"),
    ]
    revoked_like = api.dupont[:-4] + ("AAAA" if not api.dupont.endswith("AAAA") else "BBBB")
    for method, path in paths:
        for headers in (
            {},
            {"Authorization": "Bearer nope"},
            {"Authorization": f"Bearer {revoked_like}"},  # well-formed, wrong secret
            {"Authorization": "Basic dXNlcjpwYXNz"},
        ):
            answer = api.call(method, path, headers=headers)
            assert answer.status_code == 401, (method, path, headers)
            body = answer.json()
            assert body["code"] == "unauthorized" and "clé d'API" in body["message"]
            assert answer.headers["WWW-Authenticate"] == "Bearer"
    assert api.call("GET", "/openapi.json").status_code == 200
    assert api.call("GET", "/swagger").status_code == 200
    unknown = api.call("GET", "/nowhere", key=api.admin)
    assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"


def test_an_operator_issues_lists_and_revokes_firm_credentials(api: Api) -> None:
    issued = api.ok(
        "POST",
        "/admin/api-keys",
        json={"scope": "firm", "firm_id": "fiduciaire-lemoine", "label": "ERP"},
        status=201,
    )
    key = issued["api_key"]
    assert key.startswith(f"psk_{issued['key_id']}_") and issued["scope"] == "firm" and issued["active"]
    assert api.ok("GET", "/firms/fiduciaire-lemoine", key=key)["name"] == "Fiduciaire Lemoine"
    assert api.call("GET", "/firms/cabinet-dupont", key=key).status_code == 404  # as if missing

    listed = api.ok("GET", "/admin/api-keys?firm_id=fiduciaire-lemoine")["keys"]
    assert issued["key_id"] in {k["key_id"] for k in listed}
    assert all("api_key" not in k for k in listed)
    # Only the hash is stored.
    table = boto3.resource("dynamodb").Table(api.env.services.settings.config_table)
    item = table.get_item(Key={"pk": f"APIKEY#{issued['key_id']}"})["Item"]
    assert key not in repr(item) and key.split("_", 2)[2] not in repr(item)  # the random part may hold "_"

    assert api.call("DELETE", f"/admin/api-keys/{issued['key_id']}", key=api.admin).status_code == 204
    assert api.call("GET", "/firms/fiduciaire-lemoine", key=key).status_code == 401
    listed = {k["key_id"]: k for k in api.ok("GET", "/admin/api-keys?firm_id=fiduciaire-lemoine")["keys"]}
    assert listed[issued["key_id"]]["active"] is False and listed[issued["key_id"]]["revoked_at"]
    assert api.call("DELETE", "/admin/api-keys/0123456789abcdef", key=api.admin).status_code == 404


def test_firm_credentials_cannot_manage_credentials_nor_create_firms(api: Api) -> None:
    for method, path, body in (
        ("POST", "/admin/api-keys", {"scope": "admin"}),
        ("POST", "/admin/api-keys", {"scope": "firm", "firm_id": "cabinet-dupont"}),
        ("GET", "/admin/api-keys", None),
        ("DELETE", "/admin/api-keys/0123456789abcdef", None),
    ):
        refused = api.call(method, path, key=api.dupont, json=body)
        assert refused.status_code == 403, (method, path)
        assert refused.json()["code"] == "forbidden" and refused.json()["message"]
    # Another firm, existing or not, is out of reach: answered as missing.
    refused = api.call("PUT", "/firms/cabinet-neuf", key=api.dupont, json={"name": "Neuf"})
    assert refused.status_code == 404 and refused.json()["code"] == "not_found"
    assert api.env.services.config.get_firm("cabinet-neuf") is None


def test_credential_requests_are_checked(api: Api) -> None:
    unknown = api.call(
        "POST", "/admin/api-keys", key=api.admin, json={"scope": "firm", "firm_id": "nulle-part"}
    )
    assert unknown.status_code == 422 and unknown.json()["details"][0]["field"] == "firm_id"
    missing = api.call("POST", "/admin/api-keys", key=api.admin, json={"scope": "firm"})
    assert missing.status_code == 422 and missing.json()["details"][0]["field"] == "firm_id"
    admin_with_firm = api.call(
        "POST", "/admin/api-keys", key=api.admin, json={"scope": "admin", "firm_id": "cabinet-dupont"}
    )
    assert admin_with_firm.status_code == 422
    bad_scope = api.call("POST", "/admin/api-keys", key=api.admin, json={"scope": "root"})
    assert bad_scope.status_code == 422 and bad_scope.json()["details"][0]["field"] == "scope"
    assert "valeurs possibles" in bad_scope.json()["details"][0]["message"]


def test_the_operator_command_issues_the_first_credential(
    api: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    from paysync.cli import main

    assert main(["issue-api-key", "--admin", "--label", "bootstrap"]) == 0
    key = capsys.readouterr().out.strip()
    assert api.ok("GET", "/admin/api-keys", key=key)["keys"]
    key_id = key.split("_")[1]
    assert main(["list-api-keys"]) == 0
    listing = capsys.readouterr().out
    assert key_id in listing and key not in listing
    assert main(["revoke-api-key", key_id]) == 0
    assert api.call("GET", "/admin/api-keys", key=key).status_code == 401
    assert main(["issue-api-key", "--firm", "nulle-part"]) == 2
    assert "n'existe pas" in capsys.readouterr().err
    assert main(["revoke-api-key", "ffffffffffffffff"]) == 1


def test_a_firm_credential_gets_the_same_answer_for_another_firm_s_ids_as_for_missing_ones(api: Api) -> None:
    """So it cannot tell which ids exist. (Creating a dossier is the exception: an id another firm
    holds cannot be created again, 409.)"""
    from tests.harness import run_nightly
    from tests.integration.conftest import NIGHT

    plan = run_nightly(api.env, NIGHT)
    others_run = next(
        r.run_id
        for r in map(api.env.services.runs.get, plan["run_ids"])
        if r and r.firm_id == "fiduciaire-lemoine"
    )
    routes = [
        ("GET", "/firms/{firm}", None),
        ("GET", "/firms/{firm}/dossiers", None),
        ("PUT", "/firms/{firm}", {"name": "X"}),
        ("POST", "/firms/{firm}/test-connection", None),
        ("POST", "/firms/{firm}/discovery", None),
        (
            "POST",
            "/firms/{firm}/dossiers/bulk",
            {"items": [{"dossier_id": "x", "society_id": 1, "payroll_dossier_number": "1"}]},
        ),
        ("GET", "/dossiers/{dossier}", None),
        ("GET", "/dossiers/{dossier}/runs", None),
        ("GET", "/dossiers/{dossier}/status", None),
        ("GET", "/dossiers/{dossier}/accounts", None),
        ("PUT", "/dossiers/{dossier}/accounts/438600", {"account_id": 1}),
        ("DELETE", "/dossiers/{dossier}/payroll-credentials", None),
        ("POST", "/dossiers/{dossier}/sync", {}),
        ("POST", "/dossiers/{dossier}/test-connection", None),
        ("GET", "/runs/{run}", None),
    ]
    others = {"firm": "fiduciaire-lemoine", "dossier": "cafe-gare", "run": others_run}
    missing = {"firm": "cabinet-fantome", "dossier": "dossier-fantome", "run": "0" * 8 + others_run[8:]}

    def answer(method: str, template: str, body: object, ids: dict[str, str]) -> tuple[int, str, str]:
        got = api.call(method, template.format(**ids), key=api.dupont, json=body)
        message = got.json()["message"]
        for name, value in ids.items():
            message = message.replace(value, f"<{name}>")
        return got.status_code, got.json()["code"], message

    for method, template, body in routes:
        mine = answer(method, template, body, others)
        assert mine == answer(method, template, body, missing), (method, template)
        assert mine[:2] == (404, "not_found"), (method, template)


def test_the_last_active_operator_credential_cannot_be_revoked(api: Api) -> None:
    own = api.admin.split("_")[1]
    refused = api.call("DELETE", f"/admin/api-keys/{own}", key=api.admin)
    assert refused.status_code == 409 and refused.json()["message"] == (
        f"La clé d'API « {own} » est la dernière clé d'administration active : émettez-en une autre "
        "avant de la révoquer."
    )
    assert api.ok("GET", "/firms/cabinet-dupont")["firm_id"] == "cabinet-dupont"  # still works
    # With another one active, an operator may revoke its own credential...
    other = api.ok("POST", "/admin/api-keys", json={"scope": "admin", "label": "relève"}, status=201)
    assert api.call("DELETE", f"/admin/api-keys/{own}", key=api.admin).status_code == 204
    assert api.call("GET", "/firms/cabinet-dupont", key=api.admin).status_code == 401
    # ... and then the other one is the last.
    last = api.call("DELETE", f"/admin/api-keys/{other['key_id']}", key=other["api_key"])
    assert last.status_code == 409 and last.json()["code"] == "conflict"
    # Firm credentials are revoked freely; revoking twice is harmless.
    firm_key = api.dupont.split("_")[1]
    for _ in range(2):
        assert api.call("DELETE", f"/admin/api-keys/{firm_key}", key=other["api_key"]).status_code == 204
    # The operator command stays the way out: it revokes whatever it is told to.
    from paysync.cli import main

    assert main(["revoke-api-key", other["key_id"]]) == 0
