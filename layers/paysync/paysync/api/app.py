"""The resolvers behind each API function, and the OpenAPI document of the whole API.

Each function serves its areas only (``FUNCTION_AREAS``, the same split as template.yaml's events);
an area is the module ``paysync.api.routes.<area>``, imported when a resolver that serves it is built.
A request goes to its own area's resolver (``ROUTE_AREAS``, by API Gateway's resource), so that a
function's first request loads that area's routes, models and use cases only. Requests are served
by paysync's own router (``paysync.api.routing``: why there); the documentation resolver is
Powertools', built from the same routes, and describes the whole API from the code itself:
``/openapi.json`` and ``/swagger`` (served by the settings function, without authentication).
"""

from __future__ import annotations

import functools
import importlib
import inspect
import json
import os
import typing
from functools import cache, partial
from typing import TYPE_CHECKING, Any

from paysync import __version__
from paysync.api import errors
from paysync.api.routing import Api, Cors, Parameter, Response, Route, Router

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver

TITLE = "paysync API"
DESCRIPTION = (
    "Settings, connection tests, on-demand syncs and run status for firm tools. Every route but this "
    "documentation needs `Authorization: Bearer <API credential>`: a firm's credential reaches that firm and its "
    "dossiers only (anything else is answered 404, as if missing), an operator's (admin) credential manages firms "
    "and credentials. Bodies are `application/json`. A write is all or nothing: a refused request writes nothing, "
    "a creation of an existing id is a 409, an update changes only the fields it carries. Errors answer "
    '`{"code", "message", "details": [{"field", "message"}]}` with a French message.'
)
SECURITY: list[dict[str, list[str]]] = [{"apiKey": []}]
DOCS_PATHS = frozenset({"/openapi.json", "/swagger"})

# modules of paysync.api.routes
AREAS = ("settings", "status", "sync", "periods", "connection", "admin", "accounts", "discovery", "bulk")
FUNCTION_AREAS: dict[str, tuple[str, ...]] = {
    "settings_api": ("settings", "status", "admin", "bulk"),
    "on_demand_sync": ("sync", "periods"),  # the period view's live watch calls both vendors
    # The account views and the discovery read the firm's credentials, as the connection test
    # does: the settings function never reads a secret back.
    "test_connection": ("connection", "accounts", "discovery"),
}

# Each route's area, by the method and API Gateway's resource (the route's path template). A test
# keeps it equal to the routers; a request it does not name goes to its function's whole resolver.
ROUTE_AREAS: dict[tuple[str, str], str] = {
    ("PUT", "/firms/{firm_id}"): "settings",
    ("GET", "/firms/{firm_id}"): "settings",
    ("GET", "/firms/{firm_id}/dossiers"): "settings",
    ("PUT", "/dossiers/{dossier_id}"): "settings",
    ("GET", "/dossiers/{dossier_id}"): "settings",
    ("DELETE", "/dossiers/{dossier_id}/payroll-credentials"): "settings",
    ("GET", "/runs/{run_id}"): "status",
    ("GET", "/dossiers/{dossier_id}/runs"): "status",
    ("GET", "/dossiers/{dossier_id}/status"): "status",
    ("POST", "/dossiers/{dossier_id}/sync"): "sync",
    ("GET", "/dossiers/{dossier_id}/periods/{period}"): "periods",
    ("POST", "/dossiers/{dossier_id}/test-connection"): "connection",
    ("POST", "/firms/{firm_id}/test-connection"): "connection",
    ("POST", "/admin/api-keys"): "admin",
    ("GET", "/admin/api-keys"): "admin",
    ("DELETE", "/admin/api-keys/{key_id}"): "admin",
    ("GET", "/dossiers/{dossier_id}/accounts"): "accounts",
    ("PUT", "/dossiers/{dossier_id}/accounts/{account_number}"): "accounts",
    ("POST", "/firms/{firm_id}/discovery"): "discovery",
    ("POST", "/firms/{firm_id}/dossiers/bulk"): "bulk",
}


def area_router(area: str) -> Router:
    """The area's router, its module imported now (``paysync.api.routes.<area>``)."""
    if area not in AREAS:
        raise KeyError(area)
    router: Router = importlib.import_module(f"paysync.api.routes.{area}").router
    return router


def console_cors() -> Cors | None:
    """The console's origin (``CONSOLE_ORIGIN``, its CloudFront domain in template.yaml) may read the
    answers, and no other origin; unset (other tools, the local stack's same-origin console): no CORS."""
    origin = os.environ.get("CONSOLE_ORIGIN", "").strip().rstrip("/")
    if not origin:
        return None
    return Cors(allow_origin=origin, expose_headers=("Location",), max_age=600)


def build(*areas: str) -> Api:
    return Api([area_router(area) for area in areas], errors.answer_for, console_cors())


@cache
def resolver(function: str) -> Api:
    return build(*FUNCTION_AREAS[function])


@cache
def area_resolver(area: str) -> Api:
    return build(area)


# -- the documentation (Powertools', imported by its requests only) ---------------------------------
def security_schemes() -> dict[str, Any]:
    # Powertools' OpenAPI models (some fifty pydantic classes) are for the documentation only.
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

    return {
        "apiKey": HTTPBearer(
            description="An API credential `psk_…`, issued by an operator (`POST /admin/api-keys`)."
        )
    }


def documented(route: Route) -> Any:
    """The route's function as Powertools reads it to describe it: the same name, docstring and
    parameters, with Powertools' markers and ``Response`` in place of paysync's (never called)."""
    from aws_lambda_powertools.event_handler.api_gateway import Response as PowertoolsResponse
    from aws_lambda_powertools.event_handler.openapi import params

    def powertools(annotation: Any) -> Any:
        if typing.get_origin(annotation) is Response:
            return PowertoolsResponse[typing.get_args(annotation)[0]]  # type: ignore[misc]
        if typing.get_origin(annotation) is not typing.Annotated:
            return annotation
        base, *metadata = typing.get_args(annotation)
        markers = {"path": params.Path, "query": params.Query, "body": params.Body}
        converted = [markers[m.where](**m.arguments) if isinstance(m, Parameter) else m for m in metadata]
        return typing.Annotated[(base, *converted)]

    hints = typing.get_type_hints(route.func, include_extras=True)
    signature = inspect.signature(route.func)
    parameters = [p.replace(annotation=powertools(hints[p.name])) for p in signature.parameters.values()]
    returned = powertools(hints.get("return", inspect.Signature.empty))

    @functools.wraps(route.func)
    def described(**_: Any) -> Any:
        raise RuntimeError(f"{route.func.__qualname__} is served by paysync.api.routing, not Powertools")

    described.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=parameters, return_annotation=returned
    )
    return described


@cache
def docs_resolver() -> APIGatewayRestResolver:
    from aws_lambda_powertools.event_handler import content_types
    from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver, CORSConfig
    from aws_lambda_powertools.event_handler.api_gateway import Response as PowertoolsResponse

    cors = console_cors()
    app = APIGatewayRestResolver(
        enable_validation=True,
        serializer=partial(json.dumps, separators=(",", ":"), ensure_ascii=False),
        cors=None
        if cors is None
        else CORSConfig(
            allow_origin=cors.allow_origin, expose_headers=list(cors.expose_headers), max_age=cors.max_age
        ),
    )

    def refused(error: Exception) -> PowertoolsResponse[Any]:
        answer = errors.answer_for(error)
        return PowertoolsResponse(
            status_code=answer.status_code, content_type=content_types.APPLICATION_JSON, body=answer.body
        )

    app.exception_handler(Exception)(refused)

    for area in AREAS:
        for route in area_router(area).routes:
            app.route(route.rule, route.method, **route.options)(documented(route))
    app.enable_swagger(
        path="/swagger",
        title=TITLE,
        version=__version__,
        description=DESCRIPTION,
        security_schemes=security_schemes(),
        security=SECURITY,
    )

    @app.get("/openapi.json", include_in_schema=False)
    def openapi_json() -> Any:  # (Powertools resolves a string annotation in this module)
        stage = (app.current_event.raw_event.get("requestContext") or {}).get("stage")
        base = f"/{stage}" if isinstance(stage, str) and stage and stage != "$default" else "/"
        return PowertoolsResponse(
            status_code=200, content_type=content_types.APPLICATION_JSON, body=openapi_document(base)
        )

    return app


@cache
def openapi_document(base: str = "/") -> str:
    """The OpenAPI document of the whole API, its server being ``base`` (the stage)."""
    from aws_lambda_powertools.event_handler.openapi.models import Server  # see security_schemes

    return docs_resolver().get_openapi_json_schema(
        title=TITLE,
        version=__version__,
        description=DESCRIPTION,
        servers=[Server(url=base)],
        security_schemes=security_schemes(),
        security=SECURITY,
    )


def handle(function: str, event: dict[str, Any], context: Any) -> dict[str, Any]:
    """One API Gateway proxy event to its area's resolver, else to its function's (the settings one
    also serves the docs)."""
    if function == "settings_api" and event.get("path") in DOCS_PATHS:
        return docs_resolver().resolve(event, context)
    area = ROUTE_AREAS.get((str(event.get("httpMethod") or "").upper(), str(event.get("resource") or "")))
    if area in FUNCTION_AREAS[function]:
        return area_resolver(area).resolve(event, context)
    return resolver(function).resolve(event, context)
