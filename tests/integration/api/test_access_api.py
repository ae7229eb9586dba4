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
    assert api.call("GET", "/firms/cabinet-dupont", key=key).status_code == 403

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
        ("PUT", "/firms/cabinet-neuf", {"name": "Neuf"}),
    ):
        refused = api.call(method, path, key=api.dupont, json=body)
        assert refused.status_code == 403, (method, path)
        assert refused.json()["code"] == "forbidden" and refused.json()["message"]


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
