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
    app = docs_resolver()
    found = 0
    for route in [*app._static_routes, *app._dynamic_routes]:
        if not route.include_in_schema:
            continue
        path = route.openapi_path if hasattr(route, "openapi_path") else route.path
        operation = operations[(route.method.upper(), path.replace("<", "{").replace(">", "}"))]
        (tag,) = operation["tags"]
        assert tag in AREAS
        module = importlib.import_module(f"paysync.api.routes.{tag}")
        assert route.func.__module__ == module.__name__
        assert getattr(module, route.func.__name__) is route.func
        assert operation["operationId"].startswith(f"{route.func.__name__}_")
        found += 1
    assert found == len(operations)


def _template(route: Any) -> str:
    path = route.openapi_path if hasattr(route, "openapi_path") else route.path
    return str(re.sub(r"<(\w+)>", r"{\1}", path))


def _first_match(app: Any, method: str, path: str) -> str | None:
    """The template of the route ``app`` resolves the request to (static routes first, as Powertools)."""
    for route in [*app._static_routes, *app._dynamic_routes]:
        if route.method.upper() == method and route.rule.match(path):
            return _template(route)
    return None


def test_a_request_goes_to_the_resolver_of_its_area_which_serves_it_as_its_function_s_would() -> None:
    """``ROUTE_AREAS`` names every route's area; for a request of each route, the function's whole
    resolver matches that route first (no route of another area shadows it), as the area's does."""
    routes = [
        route
        for route in [*docs_resolver()._static_routes, *docs_resolver()._dynamic_routes]
        if route.include_in_schema
    ]
    areas_of_routes = {
        (route.method.upper(), _template(route)): route.func.__module__.rsplit(".", 1)[1] for route in routes
    }
    assert areas_of_routes == ROUTE_AREAS
    for function, areas in FUNCTION_AREAS.items():
        whole = resolver(function)
        for (method, template), area in ROUTE_AREAS.items():
            if area not in areas:
                continue
            path = re.sub(r"\{\w+\}", "x1", template)
            found = (_first_match(whole, method, path), _first_match(area_resolver(area), method, path))
            assert found == (template, template), (function, method, template)


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


def test_a_request_imports_its_own_area_only() -> None:
    """The settings function's sample request (a dossier's status), for a dossier id refused (422)."""
    script = (
        "import json, sys; from paysync.api.app import handle; "
        "event = json.load(open('events/settings_api.json')); event['path'] = '/dossiers/Martin/status'; "
        "print(handle('settings_api', event, None)['statusCode']); "
        "print(sorted(m.rsplit('.', 1)[1] for m in sys.modules if m.startswith('paysync.api.routes.')))"
    )
    status, imported = run_script(script, {"AWS_DEFAULT_REGION": "eu-west-3"}).split("\n")[:2]
    assert status == "422"
    assert imported == repr(["status"])


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
