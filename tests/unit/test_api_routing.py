"""paysync's router (``paysync.api.routing``) on routes with no I/O behind them: where parameters are
read, what is refused and how, CORS, and the request each thread serves."""

from __future__ import annotations

import json
import threading
from typing import Annotated, Any

import pytest
from pydantic import BaseModel, ConfigDict

from paysync.api import errors
from paysync.api.app import AREAS, area_router
from paysync.api.routing import Api, Body, Cors, Path, Query, Request, Router, _signature


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str


class _Out(BaseModel):
    name: str
    limit: int


def _api(cors: Cors | None = None) -> tuple[Api, Router]:
    router = Router()

    @router.put("/things/<thing_id>")
    def put(
        thing_id: Annotated[str, Path(pattern=r"^[a-z]+$")],
        body: Annotated[_In, Body()],
        limit: Annotated[int, Query(ge=1, le=5)] = 2,
    ) -> _Out:
        assert router.current_event.raw_event["pathParameters"]["thing_id"] == thing_id
        return _Out(name=f"{thing_id}:{body.name}", limit=limit)

    @router.get("/things/<thing_id>")
    def get(thing_id: str) -> _Out:  # a parameter named in the path needs no marker
        return _Out(name=thing_id, limit=0)

    return Api([router], errors.answer_for, cors), router


def _event(
    method: str, body: Any = None, query: dict[str, list[str]] | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "httpMethod": method,
        "resource": "/things/{thing_id}",
        "path": "/things/abc",
        "pathParameters": {"thing_id": "abc"},
        "multiValueQueryStringParameters": query,
        "queryStringParameters": {k: v[-1] for k, v in query.items()} if query else None,
        "headers": {"Content-Type": "application/json", **extra.pop("headers", {})},
        "body": None if body is None else json.dumps(body),
        "isBase64Encoded": False,
        **extra,
    }


def _details(answer: dict[str, Any]) -> dict[str, str]:
    return {d["field"]: d["message"] for d in json.loads(answer["body"])["details"]}


def test_path_query_and_body_are_read_checked_and_given_to_the_route() -> None:
    api, _ = _api()
    answer = api.resolve(_event("PUT", {"name": "x"}, {"limit": ["3"]}))
    assert answer["statusCode"] == 200
    assert json.loads(answer["body"]) == {"name": "abc:x", "limit": 3}
    assert answer["multiValueHeaders"] == {"Content-Type": ["application/json"]}
    assert json.loads(api.resolve(_event("GET"))["body"]) == {"name": "abc", "limit": 0}


def test_every_error_of_a_request_is_named_at_once() -> None:
    api, _ = _api()
    event = _event("PUT", {"name": 1, "extra": True}, {"limit": ["9"]}, pathParameters={"thing_id": "ABC"})
    answer = api.resolve(event)
    assert answer["statusCode"] == 422
    assert _details(answer) == {
        "thing_id": "format invalide",
        "limit": "doit être inférieur ou égal à 5",
        "name": "doit être une chaîne de caractères",
        "extra": "champ inconnu",
    }


@pytest.mark.parametrize("body", [[{"name": "x"}], [{"name": "x"}, {"name": "y"}], "x", 3])
def test_a_body_that_is_not_an_object_is_refused_never_taken_in_part(body: Any) -> None:
    """Powertools' resolver took a list's first item for the body and dropped the rest."""
    answer = _api()[0].resolve(_event("PUT", body))
    assert answer["statusCode"] == 422 and _details(answer) == {"body": "doit être un objet JSON"}


def test_a_missing_or_null_required_body_and_a_repeated_scalar_are_refused() -> None:
    api, _ = _api()
    assert _details(api.resolve(_event("PUT"))) == {"body": "champ obligatoire"}
    assert _details(api.resolve(_event("PUT") | {"body": "null"})) == {"body": "champ obligatoire"}
    repeated = api.resolve(_event("PUT", {"name": "x"}, {"limit": ["1", "2"]}))
    assert _details(repeated) == {"limit": "doit être un nombre entier"}


def test_unreadable_or_undeclared_bodies_are_400_and_415() -> None:
    api, _ = _api()
    assert api.resolve(_event("PUT") | {"body": '{"name": '})["statusCode"] == 400
    plain = _event("PUT", {"name": "x"}, headers={"Content-Type": "text/plain"})
    assert api.resolve(plain)["statusCode"] == 415


def test_an_unknown_route_is_404_and_the_allowed_origin_alone_gets_cors_headers() -> None:
    api, _ = _api(Cors("https://console.example", expose_headers=("Location",), max_age=600))
    unknown = _event("DELETE", headers={"Origin": "https://console.example"})
    answer = api.resolve(unknown)
    assert answer["statusCode"] == 404
    assert answer["multiValueHeaders"]["Access-Control-Allow-Origin"] == ["https://console.example"]
    assert answer["multiValueHeaders"]["Access-Control-Expose-Headers"] == ["Location"]
    other = api.resolve(_event("GET", headers={"Origin": "https://evil.example"}))
    assert "Access-Control-Allow-Origin" not in other["multiValueHeaders"]
    preflight = api.resolve(_event("OPTIONS", headers={"Origin": "https://console.example"}))
    assert preflight["statusCode"] == 204 and preflight["body"] is None
    assert preflight["multiValueHeaders"]["Access-Control-Allow-Methods"] == ["GET,OPTIONS,PUT"]


def test_each_thread_reads_the_request_it_serves() -> None:
    router = Router()
    seen: dict[str, str] = {}
    barrier = threading.Barrier(2)

    def serve(name: str) -> None:
        router.serving(Request({"path": name}))
        barrier.wait()  # both requests in flight at once
        seen[name] = router.current_event.raw_event["path"]
        router.serving(None)

    threads = [threading.Thread(target=serve, args=(name,)) for name in ("/a", "/b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == {"/a": "/a", "/b": "/b"}


def test_every_route_of_the_api_has_parameters_the_router_understands() -> None:
    """Analysed at a route's first request: a parameter neither in the path nor marked would be a
    500 in production; here it fails the build."""
    for area in AREAS:
        for route in area_router(area).routes:
            signature = _signature(route.func, route.rule)
            assert {p.where for p in signature.parameters} <= {"path", "query", "body"}, route.rule
