"""Where the routes live: one module per area, found from the OpenAPI document in two hops, imported
only by the resolvers that serve them, and shared safely between resolvers."""

from __future__ import annotations

import importlib
import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest

from paysync.api.app import (
    AREAS,
    FUNCTION_AREAS,
    ROUTE_AREAS,
    area_resolver,
    area_router,
    build,
    docs_resolver,
    openapi_document,
    resolver,
)
from paysync.domain.models import Firm
from tests.contracts import REPO_ROOT
from tests.fresh_python import run_script


def test_a_route_is_found_from_its_tag_and_operation_id() -> None:
    """Tag → ``paysync.api.routes.<tag>``; operationId → the module-level function it begins with."""
    operations = {
        (method.upper(), path): operation
        for path, methods in json.loads(openapi_document())["paths"].items()
        for method, operation in methods.items()
    }
    found = 0
    for area in AREAS:
        for route in area_router(area).routes:
            operation = operations[(route.method, route.resource)]
            (tag,) = operation["tags"]
            assert tag == area
            module = importlib.import_module(f"paysync.api.routes.{tag}")
            assert route.func.__module__ == module.__name__
            assert getattr(module, route.func.__name__) is route.func
            assert operation["operationId"].startswith(f"{route.func.__name__}_")
            found += 1
    assert found == len(operations)


def test_the_documentation_describes_exactly_the_routes_served() -> None:
    """Powertools' documentation resolver holds every route of every area, none more."""
    documented = {
        (route.method.upper(), re.sub(r"<(\w+)>", r"{\1}", route.path))
        for route in [*docs_resolver()._static_routes, *docs_resolver()._dynamic_routes]
        if route.include_in_schema
    }
    served = {(route.method, route.resource) for area in AREAS for route in area_router(area).routes}
    assert documented == served


def test_a_request_goes_to_the_resolver_of_its_area_which_serves_it_as_its_function_s_would() -> None:
    """``ROUTE_AREAS`` names every route's area; a function's whole resolver and the area's serve the
    same routes for it."""
    areas_of_routes = {
        (route.method, route.resource): area for area in AREAS for route in area_router(area).routes
    }
    assert areas_of_routes == ROUTE_AREAS
    for function, areas in FUNCTION_AREAS.items():
        whole = {(route.method, route.resource) for route in resolver(function).routes}
        for (method, template), area in ROUTE_AREAS.items():
            if area in areas:
                assert (method, template) in whole
                assert (method, template) in {(r.method, r.resource) for r in area_resolver(area).routes}
            else:
                assert (method, template) not in whole, (function, method, template)


def test_a_function_s_resolver_imports_its_own_areas_only() -> None:
    areas = FUNCTION_AREAS["settings_api"]
    script = (
        "import sys; from paysync.api.app import resolver; resolver('settings_api'); "
        "print(sorted(m.rsplit('.', 1)[1] for m in sys.modules if m.startswith('paysync.api.routes.'))); "
        "print('paysync.usecases.connection_check' in sys.modules); "
        "print('aws_lambda_powertools.event_handler.openapi.models' in sys.modules)"
    )
    answer = run_script(script, {"AWS_DEFAULT_REGION": "eu-west-3"})
    imported, connection_check, openapi_models = answer.split("\n")[:3]
    assert imported == repr(sorted(areas))
    assert connection_check == "False"
    assert openapi_models == "False"  # the documentation's models: loaded for /openapi.json only


def test_a_request_imports_its_own_area_only_and_no_powertools_resolver() -> None:
    """The settings function's sample request (a dossier's status), for a dossier id refused (422):
    served by paysync's router, Powertools' resolver left to the documentation (the cold start)."""
    script = (
        "import json, sys; from paysync.api.app import handle; "
        "event = json.load(open('events/settings_api.json')); event['path'] = '/dossiers/Martin/status'; "
        "event['pathParameters'] = {'dossier_id': 'Martin'}; "
        "print(handle('settings_api', event, None)['statusCode']); "
        "print(sorted(m.rsplit('.', 1)[1] for m in sys.modules if m.startswith('paysync.api.routes.'))); "
        "print(sorted(m for m in sys.modules if m.startswith('aws_lambda_powertools.event_handler.')))"
    )
    status, imported, powertools = run_script(script, {"AWS_DEFAULT_REGION": "eu-west-3"}).split("\n")[:3]
    assert status == "422"
    assert imported == repr(["status"])
    assert "aws_lambda_powertools.event_handler.api_gateway" not in powertools
    assert "aws_lambda_powertools.event_handler.middlewares.openapi_validation" not in powertools


class _Config:
    def get_firm(self, firm_id: str) -> Firm:
        when = datetime(2026, 11, 21, tzinfo=UTC)
        return Firm(firm_id=firm_id, name=firm_id, created_at=when, updated_at=when)


class _Services:
    config = _Config()


def _get_firm(firm_id: str, caller_firm: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads(
        (REPO_ROOT / "events" / "settings_api.json").read_text(encoding="utf-8")
    )
    event.update(path=f"/firms/{firm_id}", resource="/firms/{firm_id}", pathParameters={"firm_id": firm_id})
    event["requestContext"].update(path=f"/v1/firms/{firm_id}", resourcePath="/firms/{firm_id}")
    event["requestContext"]["authorizer"]["firm_id"] = caller_firm
    return event


def test_resolvers_sharing_a_router_each_read_the_request_they_resolve(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from paysync.api.routes import settings

    monkeypatch.setattr(settings, "services", _Services)
    first = build("settings")
    second = build("settings")  # includes the same router last: the router now points at it
    for app in (first, second, first):
        own = app.resolve(_get_firm("cabinet-dupont", "cabinet-dupont"), None)  # type: ignore[arg-type]
        assert own["statusCode"] == 200 and json.loads(own["body"])["firm_id"] == "cabinet-dupont"
        other = app.resolve(_get_firm("cabinet-dupont", "fiduciaire-lemoine"), None)  # type: ignore[arg-type]
        assert other["statusCode"] == 404
