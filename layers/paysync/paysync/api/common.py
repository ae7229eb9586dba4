"""What every route needs: the caller, the services, path parameters, documented responses."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel

from paysync.api.authorizer import principal_of
from paysync.api.errors import ApiError
from paysync.api.models.common import ID_PATTERN, KEY_ID_PATTERN, RUN_ID_PATTERN, ErrorBody
from paysync.api.routing import JSON, Path, Response, Router
from paysync.domain.access import Principal
from paysync.usecases.services import Services

if TYPE_CHECKING:  # the documentation's types: not imported by a request
    from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

FirmIdPath = Annotated[
    str, Path(pattern=ID_PATTERN, description="The firm's identifier (at most 64 characters).")
]
DossierIdPath = Annotated[
    str, Path(pattern=ID_PATTERN, description="The dossier's identifier (at most 64 characters).")
]
RunIdPath = Annotated[str, Path(pattern=RUN_ID_PATTERN, description="The run's identifier.")]
KeyIdPath = Annotated[str, Path(pattern=KEY_ID_PATTERN, description="The credential's key id.")]

_ERRORS = {
    400: "The body is not readable JSON (`invalid_json`): not UTF-8, malformed, too large (1 MiB), nested "
    "too deep (32 levels), an integer of more than 4300 digits, `NaN` or `Infinity`, a key twice in an "
    "object; the reason is in `details`.",
    401: "No valid API credential (`unauthorized`); answered by API Gateway.",
    403: "An operation for operators only (`forbidden`).",
    404: "Unknown firm, dossier, run or credential, or one the credential does not reach: both are "
    "answered alike (`not_found`).",
    409: "The request contradicts what is stored (`conflict`): an id that exists already, a change made "
    "meanwhile, the last operator credential. Nothing was written.",
    415: "A body without `Content-Type: application/json` (parameters allowed; a charset other than "
    "UTF-8 refused) (`unsupported_media_type`).",
    422: "Values refused, each field at fault in `details` (`validation_error`).",
    429: "Too many requests: API Gateway's throttling (`throttled`).",
    500: "Internal error (`internal_error`): nothing about it is disclosed.",
    503: "Silae or MyUnisoft did not answer; nothing changed, try again later (`unavailable`).",
}
_ALWAYS = (401, 403, 404, 422, 429, 500)
_WITH_BODY = (400, 415)


def responses(
    ok: dict[int, str | OpenAPIResponse], *, body: bool = False, extra: tuple[int, ...] = ()
) -> dict[int, OpenAPIResponse]:
    """The success answers, then every error answer the route can give, all with the error body."""
    documented: dict[int, OpenAPIResponse] = {
        code: ({"description": value} if isinstance(value, str) else value) for code, value in ok.items()
    }
    for code in sorted({*_ALWAYS, *(_WITH_BODY if body else ()), *extra}):
        documented[code] = {
            "description": _ERRORS[code],
            "content": {JSON: {"model": ErrorBody}},
        }
    return documented


def caller(router: Router) -> Principal:
    principal = principal_of(router.current_event.raw_event)
    if principal is None:
        raise ApiError(401, "unauthorized")
    return principal


def services() -> Services:
    from paysync.entrypoints import services as container

    return container()


def base_path(router: Router) -> str:
    """The stage's prefix (``/v1``), so that links work behind API Gateway and locally alike."""
    stage = (router.current_event.raw_event.get("requestContext") or {}).get("stage")
    return f"/{stage}" if isinstance(stage, str) and stage and stage != "$default" else ""


def answer(status: int, body: BaseModel, headers: dict[str, Any] | None = None) -> Response[Any]:
    return Response(status_code=status, body=body, headers=headers)  # JSON, the default
