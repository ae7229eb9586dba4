"""One error body for every refusal: ``{"code", "message" (French), "details": [{"field", "message"}]}``.

Statuses:
- ``400 invalid_json``: the body is not readable JSON (``paysync.api.body`` says why, in ``details``);
- ``401 unauthorized``: no usable credential (API Gateway answers it before any function runs; the
  functions answer it too when called without the authorizer's context);
- ``403 forbidden``: an operation for operators only;
- ``404 not_found``: unknown firm, dossier, run, credential or route, or one the credential does not
  reach (answered alike, so that ids cannot be probed);
- ``409 conflict``: the request contradicts what is stored (an id that exists, a change made
  meanwhile, the last operator credential); nothing was written;
- ``415 unsupported_media_type``: a body that is not ``application/json``;
- ``422 validation_error``: well-formed JSON whose values are refused (types, bounds, formats,
  rules such as "not a future period"), each field at fault named in ``details``;
- ``500 internal_error``: a bug or an outage. Logged with its trace; the answer says nothing of it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from http import HTTPStatus
from typing import Any

from paysync.api.models.common import (
    DOSSIER_NUMBER_PATTERN,
    EMAIL_PATTERN,
    ID_PATTERN,
    KEY_ID_PATTERN,
    PERIOD_PATTERN,
    PRINTABLE_PATTERN,
    RUN_ID_PATTERN,
    VISIBLE_ASCII_MESSAGE,
    VISIBLE_ASCII_PATTERN,
    ErrorBody,
    ErrorDetail,
)
from paysync.api.routing import BodyRefusedError, InvalidRequestError, Response, RouteNotFoundError
from paysync.observability import logger
from paysync.usecases.errors import Conflict, Forbidden, InvalidInput, NotFound, RequestRefused, Unavailable

MESSAGES = {
    "invalid_json": "Le corps de la requête n'est pas un JSON valide.",
    "unauthorized": "Authentification requise : fournissez une clé d'API valide (en-tête Authorization: Bearer …).",
    "forbidden": "Accès refusé.",
    "not_found": "Ressource introuvable.",
    "conflict": "La requête est en conflit avec l'état enregistré.",
    "unsupported_media_type": "Le corps de la requête doit être du JSON (Content-Type: application/json).",
    "validation_error": "La requête contient des valeurs invalides.",
    "unavailable": "Un service externe (logiciel de paie ou MyUnisoft) ne répond pas : réessayez dans quelques minutes.",
    "internal_error": "Une erreur interne est survenue. Réessayez plus tard ; si elle persiste, contactez le support.",
}

_PATTERNS = {
    ID_PATTERN: "identifiant invalide : lettres minuscules, chiffres, « - » et « _ » (64 caractères au plus, "
    "commençant par une lettre ou un chiffre)",
    RUN_ID_PATTERN: "identifiant de synchronisation invalide",
    KEY_ID_PATTERN: "identifiant de clé invalide (16 caractères hexadécimaux)",
    PERIOD_PATTERN: "période invalide : format attendu AAAA-MM (mois de 01 à 12)",
    EMAIL_PATTERN: "adresse e-mail invalide",
    PRINTABLE_PATTERN: "caractères de contrôle interdits",
    VISIBLE_ASCII_PATTERN: VISIBLE_ASCII_MESSAGE,
    DOSSIER_NUMBER_PATTERN: "code dossier invalide : lettres, chiffres, « . », « - » ou « _ » (50 caractères au plus)",
}


class ApiError(Exception):
    """An answer other than success, raised from the HTTP layer itself (e.g. no credential)."""

    def __init__(
        self, status: int, code: str, message: str | None = None, details: Sequence[ErrorDetail] = ()
    ) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.message = message or MESSAGES[code]
        self.details = list(details)


def error_response(
    status: int, code: str, message: str | None = None, details: Sequence[ErrorDetail] = ()
) -> Response[Any]:
    body = ErrorBody(code=code, message=message or MESSAGES[code], details=list(details))
    return Response(status_code=status, body=body.model_dump(mode="json"))


def field_of(loc: Sequence[Any]) -> str:
    """``("body", "payroll", "client_id")`` → ``payroll.client_id``; ``("path", "firm_id")`` → ``firm_id``."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "path", "query", "header"}:
        parts = parts[1:]
    return ".".join(parts) or "body"


def french(error: dict[str, Any]) -> str:
    """A pydantic error, said in French. Never repeats the value received (it may be a secret)."""
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    simple = {
        "missing": "champ obligatoire",
        "extra_forbidden": "champ inconnu",
        "string_type": "doit être une chaîne de caractères",
        "string_unicode": "chaîne de caractères invalide",
        "int_type": "doit être un nombre entier",
        "int_parsing": "doit être un nombre entier",
        "int_from_float": "doit être un nombre entier",
        "bool_type": "doit valoir true ou false",
        "bool_parsing": "doit valoir true ou false",
        "list_type": "doit être une liste",
        "dict_type": "doit être un objet JSON",
        "model_type": "doit être un objet JSON",
        "model_attributes_type": "doit être un objet JSON",
        "date_type": "doit être une date au format AAAA-MM-JJ",
        "date_parsing": "doit être une date au format AAAA-MM-JJ",
        "date_from_datetime_parsing": "doit être une date au format AAAA-MM-JJ",
        "date_from_datetime_inexact": "doit être une date au format AAAA-MM-JJ",
        "literal_error": "valeur non autorisée",
        "enum": "valeur non autorisée",
        "none_required": "doit être nul",
    }
    if kind in simple:
        text = simple[kind]
        if kind == "literal_error" and ctx.get("expected"):
            text += f" (valeurs possibles : {ctx['expected']})"
        return text
    if kind == "string_too_short":
        return (
            "ne peut pas être vide"
            if ctx.get("min_length") == 1
            else f"au moins {ctx.get('min_length')} caractères"
        )
    if kind == "string_too_long":
        return f"au plus {ctx.get('max_length')} caractères"
    if kind == "too_short":
        return f"au moins {ctx.get('min_length')} élément(s) ou caractère(s)"
    if kind == "too_long":
        return f"au plus {ctx.get('max_length')} élément(s) ou caractère(s)"
    if kind == "string_pattern_mismatch":
        return _PATTERNS.get(str(ctx.get("pattern")), "format invalide")
    bounds = {
        "greater_than_equal": ("ge", "doit être supérieur ou égal à"),
        "greater_than": ("gt", "doit être supérieur à"),
        "less_than_equal": ("le", "doit être inférieur ou égal à"),
        "less_than": ("lt", "doit être inférieur à"),
    }
    if kind in bounds:
        key, text = bounds[kind]
        return f"{text} {ctx.get(key)}"
    if kind in {"value_error", "assertion_error"}:
        reason = ctx.get("error")
        return str(reason) if reason else "valeur invalide"
    return "valeur invalide"


def _validation_response(exc: InvalidRequestError) -> Response[Any]:
    errors = exc.errors
    if any(tuple(e.get("loc", ()))[:1] == ("response",) for e in errors):
        # Our own answer broke its schema: a bug, not the caller's fault.
        logger.error(
            "response failed its own schema",
            extra={"errors": [{"loc": e.get("loc"), "type": e.get("type")} for e in errors]},
        )
        return error_response(HTTPStatus.INTERNAL_SERVER_ERROR, "internal_error")
    if any(e.get("type") == "json_invalid" for e in errors):
        return error_response(HTTPStatus.BAD_REQUEST, "invalid_json")
    details = [ErrorDetail(field=field_of(e.get("loc", ())), message=french(e)) for e in errors]
    return error_response(HTTPStatus.UNPROCESSABLE_ENTITY, "validation_error", details=details)


def _invalid(exc: InvalidInput) -> Response[Any]:
    details = [ErrorDetail(field=exc.field, message=exc.message)]
    return error_response(HTTPStatus.UNPROCESSABLE_ENTITY, "validation_error", exc.message, details)


def _unexpected(exc: Exception) -> Response[Any]:
    # The trace goes to the logs; the caller learns nothing of the internals.
    logger.exception("unhandled error", extra={"error": type(exc).__name__})
    return error_response(HTTPStatus.INTERNAL_SERVER_ERROR, "internal_error")


# By exception class: the first of the exception's classes (its MRO) listed here answers; an
# exception none of whose classes is listed is a bug: ``_unexpected``.
_ANSWERS: dict[type[Exception], Callable[[Any], Response[Any]]] = {
    InvalidRequestError: _validation_response,
    BodyRefusedError: lambda exc: error_response(
        exc.refused.status, exc.refused.code, details=[ErrorDetail(field="body", message=exc.refused.reason)]
    ),
    InvalidInput: _invalid,
    NotFound: lambda exc: error_response(404, "not_found", exc.message),
    Forbidden: lambda exc: error_response(403, "forbidden", exc.message),
    Conflict: lambda exc: error_response(409, "conflict", exc.message),
    Unavailable: lambda exc: error_response(503, "unavailable", exc.message),
    RequestRefused: lambda exc: error_response(422, "validation_error", exc.message),
    ApiError: lambda exc: error_response(exc.status, exc.code, exc.message, exc.details),
    RouteNotFoundError: lambda _: error_response(404, "not_found", "Cette route n'existe pas."),
}


def answer_for(exc: Exception) -> Response[Any]:
    """The answer to an exception a route raised: a refusal's, else a 500 that discloses nothing."""
    for kind in type(exc).__mro__:
        if kind in _ANSWERS:
            return _ANSWERS[kind](exc)
    return _unexpected(exc)
