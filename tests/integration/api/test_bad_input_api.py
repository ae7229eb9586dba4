"""Bad input is a 4xx with a clear French message and the field at fault: never a 500.

One module on purpose (~440 lines): one table of refused inputs per route, the same assertions for all.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from paysync.domain.periods import Period
from tests.integration.api.conftest import Api, paris_today


@pytest.fixture
def no_internal_errors(monkeypatch: pytest.MonkeyPatch) -> list[BaseException]:
    """Every exception that reaches the catch-all 500 handler, to show bad input never does."""
    from paysync.api import errors

    reached: list[BaseException] = []
    original = errors._unexpected

    def spy(exc: Exception) -> Any:
        reached.append(exc)
        return original(exc)

    monkeypatch.setattr(errors, "_unexpected", spy)
    # The resolvers are built once per container: rebuild them with the spy installed.
    from paysync.api import app

    app.resolver.cache_clear()
    app.area_resolver.cache_clear()
    app.docs_resolver.cache_clear()
    app.openapi_document.cache_clear()
    yield reached
    app.resolver.cache_clear()
    app.area_resolver.cache_clear()
    app.docs_resolver.cache_clear()
    app.openapi_document.cache_clear()


def _refused(api: Api, method: str, path: str, status: int, **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("key", api.admin)
    answer = api.call(method, path, **kwargs)
    assert answer.status_code == status, (method, path, answer.text)
    body = answer.json()
    assert set(body) == {"code", "message", "details"} and body["message"]
    return body


def _fields(body: dict[str, Any]) -> dict[str, str]:
    return {d["field"]: d["message"] for d in body["details"]}


def test_malformed_json_is_400(api: Api, no_internal_errors: list[BaseException]) -> None:
    for path, method in (
        ("/firms/cabinet-dupont", "PUT"),
        ("/dossiers/boulangerie-martin", "PUT"),
        ("/dossiers/boulangerie-martin/sync", "POST"),
        ("/firms/cabinet-dupont/test-connection", "POST"),
        ("/admin/api-keys", "POST"),
    ):
        body = _refused(
            api, method, path, 400, content=b'{"name": ', headers={"Content-Type": "application/json"}
        )
        assert (
            body["code"] == "invalid_json"
            and body["message"] == "Le corps de la requête n'est pas un JSON valide."
        )
    body = _refused(
        api,
        "PUT",
        "/firms/cabinet-dupont",
        400,
        content=b"\xff\xfe",
        headers={"Content-Type": "application/json"},
    )
    assert body["code"] == "invalid_json"
    assert no_internal_errors == []


def test_wrong_types_and_shapes_name_each_field(api: Api, no_internal_errors: list[BaseException]) -> None:
    body = _refused(
        api,
        "PUT",
        "/dossiers/boulangerie-martin",
        422,
        json={
            "run_day": "5",
            "auto_pull": "yes",
            "society_id": 10.5,
            "contact_emails": "a@b.fr",
            "surprise": 1,
        },
    )
    assert body["code"] == "validation_error"
    assert _fields(body) == {
        "run_day": "doit être un nombre entier",
        "auto_pull": "doit valoir true ou false",
        "society_id": "doit être un nombre entier",
        "contact_emails": "doit être une liste",
        "surprise": "champ inconnu",
    }
    for payload in ([1, 2], "texte", 42):
        assert _fields(_refused(api, "PUT", "/firms/cabinet-dupont", 422, json=payload)) == {
            "body": "doit être un objet JSON"
        }
    nested = _refused(api, "PUT", "/firms/cabinet-dupont", 422, json={"payroll": {"client_id": "x"}})
    assert set(_fields(nested)) == {
        "payroll.client_secret",
        "payroll.subscription_key",
        "payroll.secret_generated_on",
    }
    assert set(_fields(nested).values()) == {"champ obligatoire"}
    dates = _refused(
        api,
        "PUT",
        "/firms/cabinet-dupont",
        422,
        json={
            "payroll": {
                "client_id": "x",
                "client_secret": "s",
                "subscription_key": "k",
                "secret_generated_on": "hier",
            }
        },
    )
    assert _fields(dates) == {"payroll.secret_generated_on": "doit être une date au format AAAA-MM-JJ"}
    assert no_internal_errors == []


def test_run_day_must_be_between_1_and_31(api: Api, no_internal_errors: list[BaseException]) -> None:
    assert _fields(_refused(api, "PUT", "/dossiers/boulangerie-martin", 422, json={"run_day": 0})) == {
        "run_day": "doit être supérieur ou égal à 1"
    }
    assert _fields(_refused(api, "PUT", "/dossiers/boulangerie-martin", 422, json={"run_day": 32})) == {
        "run_day": "doit être inférieur ou égal à 31"
    }
    assert api.ok("PUT", "/dossiers/boulangerie-martin", json={"run_day": 31})["run_day"] == 31
    assert no_internal_errors == []


def test_periods_must_be_well_formed_closed_and_not_in_the_future(
    api: Api, no_internal_errors: list[BaseException]
) -> None:
    current = Period.of(paris_today())
    future = current.next()
    body = _refused(api, "POST", "/dossiers/boulangerie-martin/sync", 422, json={"period": str(future)})
    assert _fields(body) == {"period": f"La période {future} est dans le futur."}
    body = _refused(api, "POST", "/dossiers/boulangerie-martin/sync", 422, json={"period": str(current)})
    assert "n'est pas terminée" in _fields(body)["period"]
    for wrong in ("2026-13", "26-01", "2026/01", "janvier"):
        body = _refused(api, "POST", "/dossiers/boulangerie-martin/sync", 422, json={"period": wrong})
        assert _fields(body)["period"].startswith("période invalide"), wrong
    body = _refused(api, "PUT", "/dossiers/boulangerie-martin", 422, json={"pending_period": str(future)})
    assert _fields(body) == {"pending_period": f"La période {future} est dans le futur."}
    body = _refused(api, "POST", "/dossiers/boulangerie-martin/sync", 422, json={"dry_run": "oui"})
    assert _fields(body) == {"dry_run": "doit valoir true ou false"}
    assert api.env.services.runs.list_for_dossier("boulangerie-martin") == []
    assert no_internal_errors == []


def test_oversized_and_malformed_fields_are_refused(
    api: Api, no_internal_errors: list[BaseException]
) -> None:
    body = _refused(api, "PUT", "/firms/cabinet-dupont", 422, json={"name": "x" * 201})
    assert _fields(body) == {"name": "au plus 200 caractères"}
    assert api.ok("PUT", "/firms/cabinet-dupont", json={"name": "x" * 200})["name"] == "x" * 200
    body = _refused(api, "PUT", "/firms/cabinet-dupont", 422, json={"name": "   "})
    assert _fields(body) == {"name": "ne peut pas être vide"}
    body = _refused(api, "PUT", "/firms/cabinet-dupont", 422, json={"name": "a\u0000b"})
    assert _fields(body) == {"name": "caractères de contrôle interdits"}
    body = _refused(api, "PUT", "/firms/cabinet-dupont", 422, json={"contact_emails": ["pas-une-adresse"]})
    assert _fields(body) == {"contact_emails.0": "adresse e-mail invalide"}
    body = _refused(
        api, "PUT", "/firms/cabinet-dupont", 422, json={"contact_emails": [f"a{i}@b.fr" for i in range(21)]}
    )
    assert _fields(body) == {"contact_emails": "au plus 20 élément(s) ou caractère(s)"}
    body = _refused(api, "PUT", "/firms/cabinet-dupont", 422, json={"myunisoft_cabinet_token": "t" * 5000})
    assert _fields(body) == {"myunisoft_cabinet_token": "au plus 4096 caractères"}
    # Credentials travel in HTTP headers: an accent or a blank inside is refused, before any call.
    body = _refused(api, "PUT", "/firms/cabinet-dupont", 422, json={"myunisoft_cabinet_token": "jeton-été"})
    assert _fields(body) == {
        "myunisoft_cabinet_token": "uniquement des caractères ASCII visibles (ni espace, ni accent)"
    }
    body = _refused(
        api, "PUT", "/dossiers/boulangerie-martin", 422, json={"payroll_dossier_number": "000 101"}
    )
    assert _fields(body)["payroll_dossier_number"].startswith("code dossier invalide")
    body = _refused(
        api, "POST", "/firms/cabinet-dupont/test-connection", 422, json={"myunisoft_cabinet_token": "\u008b"}
    )
    assert list(_fields(body)) == ["myunisoft_cabinet_token"]
    body = _refused(api, "PUT", "/dossiers/boulangerie-martin", 422, json={"society_id": 0})
    assert _fields(body) == {"society_id": "doit être supérieur ou égal à 1"}
    body = _refused(api, "PUT", "/dossiers/boulangerie-martin", 422, json={"society_id": 2**40})
    assert "inférieur ou égal" in _fields(body)["society_id"]
    huge = _refused(api, "PUT", "/dossiers/boulangerie-martin", 422, json={"name": "é" * 100_000})
    assert _fields(huge) == {"name": "au plus 200 caractères"}
    assert no_internal_errors == []


def test_unknown_ids_are_404_and_malformed_ids_422(api: Api, no_internal_errors: list[BaseException]) -> None:
    for method, path in (
        ("GET", "/firms/inconnu"),
        ("GET", "/firms/inconnu/dossiers"),
        ("GET", "/dossiers/inconnu"),
        ("GET", "/dossiers/inconnu/status"),
        ("GET", "/dossiers/inconnu/runs"),
        ("GET", "/runs/00000000-0000-0000-0000-000000000000"),
        ("POST", "/dossiers/inconnu/sync"),
        ("POST", "/dossiers/inconnu/test-connection"),
        ("DELETE", "/dossiers/inconnu/payroll-credentials"),
    ):
        body = _refused(api, method, path, 404)
        assert body["code"] == "not_found" and "n'existe pas" in body["message"], path
    # The active-run lock items are not runs.
    lock = api.call("GET", "/runs/ACTIVE%23boulangerie-martin%232026-10", key=api.admin)
    assert lock.status_code in (404, 422) and lock.json()["code"] in ("not_found", "validation_error")
    for path in ("/firms/Majuscules", "/dossiers/" + "a" * 65, "/dossiers/-tiret", "/firms/%C3%A9t%C3%A9"):
        body = _refused(api, "GET", path, 422)
        assert list(_fields(body)) in (["firm_id"], ["dossier_id"]), path
        assert "identifiant invalide" in body["details"][0]["message"]
    assert _fields(_refused(api, "GET", "/dossiers/boulangerie-martin/runs?limit=0", 422)) == {
        "limit": "doit être supérieur ou égal à 1"
    }
    assert _fields(_refused(api, "GET", "/dossiers/boulangerie-martin/runs?limit=abc", 422)) == {
        "limit": "doit être un nombre entier"
    }
    assert _refused(api, "DELETE", "/admin/api-keys/xyz", 422)["details"][0]["field"] == "key_id"
    assert no_internal_errors == []


def test_a_body_that_is_not_json_is_415(api: Api, no_internal_errors: list[BaseException]) -> None:
    for content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
        "text/plain",
        "application/xml",
    ):
        body = _refused(
            api,
            "PUT",
            "/firms/cabinet-dupont",
            415,
            content=b"name=x",
            headers={"Content-Type": content_type},
        )
        assert body["code"] == "unsupported_media_type" and "application/json" in body["message"], (
            content_type
        )
    assert no_internal_errors == []


def test_the_catch_all_answers_a_generic_500_without_internals(
    api: Api, monkeypatch: pytest.MonkeyPatch, no_internal_errors: list[BaseException]
) -> None:
    from paysync.usecases import settings

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("table paysync-local-ConfigTable is on fire at /var/task/x.py")

    monkeypatch.setattr(settings, "get_firm", broken)
    answer = api.call("GET", "/firms/cabinet-dupont", key=api.admin)
    assert answer.status_code == 500
    assert answer.json() == {
        "code": "internal_error",
        "message": "Une erreur interne est survenue. Réessayez plus tard ; si elle persiste, contactez le support.",
        "details": [],
    }
    assert "fire" not in answer.text and "paysync-local" not in answer.text
    assert [type(e).__name__ for e in no_internal_errors] == ["RuntimeError"]


WRITE_ROUTES = (
    ("PUT", "/firms/cabinet-dupont"),
    ("PUT", "/dossiers/boulangerie-martin"),
    ("POST", "/dossiers/boulangerie-martin/sync"),
    ("POST", "/firms/cabinet-dupont/test-connection"),
    ("POST", "/admin/api-keys"),
    ("PUT", "/dossiers/menuiserie-girard/accounts/438600"),
)
UNREADABLE = {
    "nested 1,000 deep": b"[" * 1000,
    "nested 1,000 deep, closed": b"[" * 1000 + b"]" * 1000,
    "objects nested 100 deep": b'{"a":' * 100 + b"1" + b"}" * 100,
    "an integer of 4,301 digits": b'{"society_id": ' + b"9" * 4301 + b"}",
    "a float out of range": b'{"society_id": 1e400}',
    "NaN": b'{"society_id": NaN}',
    "Infinity": b'{"society_id": -Infinity}',
    "a key twice": b'{"name": "A", "name": "B"}',
    "invalid UTF-8": b'{"name": "caf\xe9"}',
    "a lone surrogate": b'{"name": "\\ud800"}',
    "a byte order mark": b'\xef\xbb\xbf{"name": "A"}',
    "more than 1 MiB": b'{"name": "' + b"a" * 1_048_576 + b'"}',
    "truncated": b'{"name": "A"',
    "an unterminated string": b'{"name": "A}',
    "whitespace only": b"   ",
    "two documents": b"{} {}",
}


def test_an_unreadable_body_is_400_on_every_route_never_500(
    api: Api, no_internal_errors: list[BaseException]
) -> None:
    for (method, path), reason in itertools.product(WRITE_ROUTES, UNREADABLE):
        body = _refused(
            api, method, path, 400, content=UNREADABLE[reason], headers={"Content-Type": "application/json"}
        )
        assert body["code"] == "invalid_json" and body["details"][0]["field"] == "body", (path, reason)
        assert "\\ud800" not in body["details"][0]["message"]  # never the body itself
    assert no_internal_errors == []


def test_content_types_follow_rfc_9110(api: Api, no_internal_errors: list[BaseException]) -> None:
    payload = b'{"contact_emails": ["paie@dupont.fr"]}'
    for content_type in (
        "application/json",
        "APPLICATION/JSON",
        "Application/Json; charset=utf-8",
        "application/json;charset=UTF-8",
        'application/json; charset="utf-8"',
        "application/json ; charset=utf-8",
        "application/json;",
        "application/json; profile=x; charset=utf-8",
    ):
        answer = api.call(
            "PUT",
            "/firms/cabinet-dupont",
            key=api.admin,
            content=payload,
            headers={"Content-Type": content_type},
        )
        assert answer.status_code == 200, (content_type, answer.text)
    for headers in (
        {},  # no Content-Type: not taken for JSON
        {"Content-Type": "application/jsonx"},
        {"Content-Type": "application/json-patch+json"},
        {"Content-Type": "application/json; charset=latin-1"},
        {"Content-Type": "application/json; charset"},
        {"Content-Type": "application /json"},
        {"Content-Type": "json"},
        {"Content-Type": "text/json"},
        {"Content-Type": ""},
    ):
        for method, path in WRITE_ROUTES:
            body = _refused(api, method, path, 415, content=payload, headers=headers)
            assert body["code"] == "unsupported_media_type", (headers, path)
    # No body at all needs no Content-Type; a route that requires one says so.
    assert (
        api.call(
            "POST", "/dossiers/boulangerie-martin/sync", key=api.admin, json={"dry_run": True}
        ).status_code
        == 200
    )
    missing = _refused(api, "PUT", "/firms/cabinet-dupont", 422)
    assert _fields(missing) == {"body": "champ obligatoire"}
    assert no_internal_errors == []


def test_types_are_not_coerced(api: Api, no_internal_errors: list[BaseException]) -> None:
    payroll = {
        "client_id": "cid-strict-0001",
        "client_secret": "s",
        "subscription_key": "k",
        "secret_generated_on": "2026-01-15",
    }
    date_format = "doit être une date au format AAAA-MM-JJ"
    for value, message in (
        (0, date_format),  # not days since 1970
        (20260115, date_format),
        (1.5, date_format),
        (True, date_format),
        ("2026-01-15T00:00:00", date_format),  # a date-time is not a date
        ("2026-01-15T00:00:00Z", date_format),
        ("15/01/2026", date_format),
        ("2026-1-5", date_format),
        ("20260115", date_format),
        ("2026-02-30", "date invalide : ce jour n'existe pas"),
        ("1900-01-01", "date invalide : au plus tôt le 01/01/2016"),
        ("2015-12-31", "date invalide : au plus tôt le 01/01/2016"),
    ):
        body = _refused(
            api,
            "PUT",
            "/firms/cabinet-dupont",
            422,
            json={"payroll": {**payroll, "secret_generated_on": value}},
        )
        assert _fields(body) == {"payroll.secret_generated_on": message}, value
    assert api.ok(
        "PUT", "/firms/cabinet-dupont", json={"payroll": {**payroll, "secret_generated_on": "2016-01-01"}}
    )
    for field, value in (
        ("society_id", "150"),
        ("society_id", 150.0),
        ("run_day", True),
        ("society_id", "1e3"),
    ):
        body = _refused(api, "PUT", "/dossiers/boulangerie-martin", 422, json={field: value})
        assert _fields(body) == {field: "doit être un nombre entier"}, (field, value)
    for value in ("1157871", 1157871.0, True, None):
        body = _refused(
            api,
            "PUT",
            "/dossiers/menuiserie-girard/accounts/438600",
            422,
            key=api.lemoine,
            json={"account_id": value},
        )
        assert list(_fields(body)) == ["account_id"], value
    assert no_internal_errors == []


def test_the_openapi_document_says_what_is_accepted(api: Api) -> None:
    document = api.call("GET", "/openapi.json").json()
    schemas = document["components"]["schemas"]
    generated = schemas["PayrollCredentialsIn"]["properties"]["secret_generated_on"]
    assert (
        generated["type"] == "string"
        and generated["format"] == "date"
        and generated["pattern"].startswith("^(201[6-9]")
    )
    assert schemas["AccountLinkIn"]["properties"]["account_id"]["type"] == "integer"
    society = schemas["DossierUpdate"]["properties"]["society_id"]["anyOf"][0]
    assert society["type"] == "integer"
    for path, creation, required in (
        ("/firms/{firm_id}", "FirmCreation", ["name"]),
        ("/dossiers/{dossier_id}", "DossierCreation", ["name"]),
    ):
        body = document["paths"][path]["put"]["requestBody"]
        schema = body["content"]["application/json"]["schema"]
        create, update = schema["anyOf"]
        assert create["title"] == creation and create["required"] == required, path
        assert (
            update["$ref"].endswith("Update") and "required" not in schemas[update["$ref"].rsplit("/", 1)[1]]
        )
        assert set(document["paths"][path]["put"]["responses"]) >= {"400", "409", "415", "422"}
