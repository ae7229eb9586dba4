"""The OpenAPI document: generated from the code, served without auth, one with template.yaml's routes;
and a bounded property-based run of schemathesis against it over the local server."""

from __future__ import annotations

from typing import Any

import pytest

from local.api_spec import load_spec
from tests.integration.api.conftest import Api

DOCS = {("GET", "/openapi.json"), ("GET", "/swagger")}


def _template_routes() -> dict[tuple[str, str], str]:
    return {(r.method, r.path): r.function for r in load_spec().routes}


def test_the_document_is_served_without_auth_and_covers_every_route_of_the_template(api: Api) -> None:
    answer = api.call("GET", "/openapi.json")
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("application/json")
    document = answer.json()
    assert document["info"]["title"] == "paysync API" and document["servers"] == [{"url": "/v1"}]
    documented = {(m.upper(), p) for p, ops in document["paths"].items() for m in ops}
    template = set(_template_routes())
    assert documented == template - DOCS
    assert template >= DOCS
    swagger = api.call("GET", "/swagger")
    assert swagger.status_code == 200 and "swagger-ui" in swagger.text.lower()
    assert api.call("GET", "/swagger?format=json").json()["paths"] == document["paths"]

    # Every operation says which errors it gives, all with the one error body, and needs a credential.
    assert document["security"] == [{"apiKey": []}]
    assert document["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            for code in ("401", "403", "404", "422", "500"):
                schema = responses[code]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (method, path, code)
            assert any(code.startswith("2") for code in responses), (method, path)
            if "requestBody" in operation:
                assert {"400", "415"} <= set(responses), (method, path)


def test_each_function_serves_exactly_its_template_routes() -> None:
    from paysync.api.app import FUNCTION_AREAS, resolver

    functions = {
        "SettingsApiFunction": "settings_api",
        "OnDemandSyncFunction": "on_demand_sync",
        "TestConnectionFunction": "test_connection",
    }
    declared: dict[str, set[tuple[str, str]]] = {}
    for (method, path), function in _template_routes().items():
        if (method, path) not in DOCS:
            declared.setdefault(functions[function], set()).add((method, path))
    assert set(declared) == set(FUNCTION_AREAS)
    for name in FUNCTION_AREAS:
        served = {(route.method, route.resource) for route in resolver(name).routes}
        assert served == declared[name], name


def test_api_gateway_s_own_answers_have_the_error_body() -> None:
    import json

    spec = load_spec()
    for kind, status in (
        ("UNAUTHORIZED", 401),
        ("ACCESS_DENIED", 403),
        ("MISSING_AUTHENTICATION_TOKEN", 404),
        ("THROTTLED", 429),
        ("DEFAULT_4XX", 400),
        ("DEFAULT_5XX", 500),
    ):
        answer = spec.gateway(kind, status)
        body = json.loads(answer.body)
        assert set(body) == {"code", "message", "details"} and body["message"], kind
        assert answer.status == status, kind


@pytest.mark.schemathesis
@pytest.mark.parametrize("credential", ["admin", "dupont"])
def test_schemathesis_finds_no_server_error_and_no_answer_outside_the_schema(
    api: Api, credential: str
) -> None:
    """Positive and negative cases for every operation, a few each, with every check schemathesis
    has: bounded and derandomised (a fixed seed), to stay fast and give the same cases each run."""
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from schemathesis import GenerationMode
    from schemathesis.config._checks import (
        POSITIVE_DATA_ACCEPTANCE_EXPECTED_STATUSES,
        PositiveDataAcceptanceConfig,
    )

    base = str(api.http.base_url).rstrip("/")
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    # Well-formed requests that a rule outside any schema refuses (a date in the future, a period not
    # closed yet, a creation without its name, an unknown firm): 422 with the field at fault. Any
    # other refusal of a schema-valid request, a 400 or a 415 above all, is still a failure.
    schema.config.checks.positive_data_acceptance = PositiveDataAcceptanceConfig(
        expected_statuses=[*POSITIVE_DATA_ACCEPTANCE_EXPECTED_STATUSES, "422"]
    )
    headers = {"Authorization": f"Bearer {getattr(api, credential)}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 20
    calls = 0
    failures: list[str] = []

    for operation in operations:
        for mode, examples in ((GenerationMode.POSITIVE, 4), (GenerationMode.NEGATIVE, 3)):

            @settings(
                max_examples=examples,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def check(case: Any) -> None:
                nonlocal calls
                calls += 1
                try:
                    case.call_and_validate(base_url=base, headers=headers)
                except Exception as failure:  # every check's failure, gathered for one report
                    failures.append(f"{case.operation.label}: {failure}")

            check()
    assert calls >= len(operations) * 2
    assert failures == []
