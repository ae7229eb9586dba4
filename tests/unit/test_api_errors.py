"""The uniform error body and its French messages, on a router with no I/O behind it."""

from __future__ import annotations

import json
from typing import Annotated, Any

import pytest

from paysync.api import errors
from paysync.api.models.inputs import DossierIn
from paysync.api.models.views import FirmView
from paysync.api.routing import Api, Body, Router
from paysync.usecases.errors import Conflict, Forbidden, InvalidInput, NotFound


def _app() -> Api:
    app = Router()

    @app.put("/dossiers/<dossier_id>")
    def put(dossier_id: str, body: Annotated[DossierIn, Body()]) -> dict[str, str]:
        raising = {
            "missing": NotFound("Le dossier « x » n'existe pas."),
            "other": Forbidden("Cette clé d'API ne donne pas accès au dossier « other »."),
            "moved": Conflict("Le dossier appartient à un autre cabinet."),
            "future": InvalidInput("pending_period", "La période 2999-01 est dans le futur."),
            "bug": KeyError("internal detail: table paysync-config"),
        }
        if dossier_id in raising:
            raise raising[dossier_id]
        return {"ok": dossier_id}

    @app.get("/broken")
    def broken() -> FirmView:
        return {"firm_id": 1}  # type: ignore[return-value]

    return Api([app], errors.answer_for)


def _call(
    method: str, path: str, body: Any = None, content_type: str = "application/json"
) -> tuple[int, Any]:
    dossier = path.removeprefix("/dossiers/") if path.startswith("/dossiers/") else None
    event = {  # as API Gateway sends it: the resource matched, its parameters
        "httpMethod": method,
        "path": path,
        "resource": "/dossiers/{dossier_id}" if dossier else path,
        "pathParameters": {"dossier_id": dossier} if dossier else None,
        "headers": {"Content-Type": content_type},
        "body": body if isinstance(body, str) or body is None else json.dumps(body),
        "requestContext": {"stage": "v1"},
        "isBase64Encoded": False,
    }
    answer = _app().resolve(event, None)
    return int(answer["statusCode"]), json.loads(answer["body"])


@pytest.mark.parametrize(
    ("dossier_id", "status", "code"),
    [("missing", 404, "not_found"), ("other", 403, "forbidden"), ("moved", 409, "conflict")],
)
def test_use_case_refusals_map_to_their_status(dossier_id: str, status: int, code: str) -> None:
    got, body = _call("PUT", f"/dossiers/{dossier_id}", {})
    assert got == status and body["code"] == code and body["details"] == []
    assert body["message"].startswith(("Le dossier", "Cette clé"))


def test_a_rule_broken_by_a_value_names_the_field() -> None:
    status, body = _call("PUT", "/dossiers/future", {})
    assert status == 422
    assert body == {
        "code": "validation_error",
        "message": "La période 2999-01 est dans le futur.",
        "details": [{"field": "pending_period", "message": "La période 2999-01 est dans le futur."}],
    }


def test_schema_errors_are_422_in_french_and_malformed_json_400() -> None:
    status, body = _call("PUT", "/dossiers/ok", {"run_day": 0, "name": "", "extra": True, "society_id": "12"})
    assert status == 422 and body["message"] == "La requête contient des valeurs invalides."
    assert {d["field"]: d["message"] for d in body["details"]} == {
        "run_day": "doit être supérieur ou égal à 1",
        "name": "ne peut pas être vide",
        "extra": "champ inconnu",
        "society_id": "doit être un nombre entier",
    }
    assert _call("PUT", "/dossiers/ok", '{"run_day": 1,')[1]["code"] == "invalid_json"
    assert _call("PUT", "/dossiers/ok", '{"run_day": 1,')[0] == 400
    assert _call("PUT", "/dossiers/ok", "a=1", "application/xml")[0] == 415


def test_unknown_routes_are_404_and_bugs_a_500_that_discloses_nothing() -> None:
    assert _call("GET", "/nowhere") == (
        404,
        {"code": "not_found", "message": "Cette route n'existe pas.", "details": []},
    )
    status, body = _call("PUT", "/dossiers/bug", {})
    assert status == 500 and body["code"] == "internal_error" and "paysync-config" not in json.dumps(body)
    # Our own answer breaking its schema is our bug, not the caller's: 500, not 422.
    assert _call("GET", "/broken")[0] == 500


@pytest.mark.parametrize(
    ("error", "message"),
    [
        ({"type": "missing"}, "champ obligatoire"),
        ({"type": "string_too_long", "ctx": {"max_length": 200}}, "au plus 200 caractères"),
        ({"type": "less_than_equal", "ctx": {"le": 31}}, "doit être inférieur ou égal à 31"),
        (
            {"type": "literal_error", "ctx": {"expected": "'admin' or 'firm'"}},
            "valeur non autorisée (valeurs possibles : 'admin' or 'firm')",
        ),
        (
            {"type": "value_error", "ctx": {"error": ValueError("ne peut pas être vide")}},
            "ne peut pas être vide",
        ),
        ({"type": "something_new"}, "valeur invalide"),
    ],
)
def test_french_messages(error: dict[str, Any], message: str) -> None:
    assert errors.french(error) == message


def test_a_message_never_repeats_the_value_received() -> None:
    secret = "s3cr3t-value"
    for kind in (
        "string_too_long",
        "string_pattern_mismatch",
        "string_type",
        "value_error",
        "extra_forbidden",
    ):
        assert secret not in errors.french(
            {"type": kind, "input": secret, "ctx": {"max_length": 1, "pattern": "x"}}
        )
