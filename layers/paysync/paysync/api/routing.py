"""paysync's own routing for the API functions: a request to its route, the route's path, query and
body parameters checked by pydantic against the route's annotations, its answer serialised.

Why not Powertools' REST resolver, which served the API before: its import, its validation
middleware and the analysis of each route at its first request weigh on every API function's cold
start (README "Benchmarks": this router took 3 to 11 ms off the sync and settings functions), and
it took a JSON array's first item for a body, dropping the rest. The routes say where each
parameter is (``Path``, ``Query``, ``Body``: pydantic ``Field``'s arguments) and keep Powertools'
documentation options: Powertools still writes the OpenAPI document from the same routes
(``paysync.api.app.docs_resolver``, with its own markers in place of these), and the tests hold
this router to that document.

What it does: a route is found by the method and API Gateway's resource (API Gateway has matched
the path already); each parameter is validated with its annotation, every error collected, each
``loc`` beginning with where the value was (``path``, ``query``, ``body``); a query parameter given
more than once is a list (refused by a scalar); a missing or ``null`` body is no body, and a body
is never taken in part; an answer is checked against the type its route declares (else a 500: our
bug), then written as UTF-8 JSON, a model's fields by alias, headers in ``multiValueHeaders``, with
CORS headers for the allowed origin.
"""

from __future__ import annotations

import inspect
import json
import re
import threading
import typing
from collections.abc import Callable, Iterable, Mapping
from types import UnionType
from typing import Annotated, Any, ClassVar, Generic, NamedTuple, TypeVar

from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from paysync.api import body

T = TypeVar("T")
JSON = "application/json"
_RULE_PARAMETER = re.compile(r"<(\w+)>")


# Records are NamedTuples, not dataclasses: Python 3.11 compiles each dataclass method apart, ten
# times a NamedTuple's cost at import, and this module is in every API function's cold start.


class Parameter:
    """Where a route's parameter is read; its arguments are pydantic ``Field``'s (``pattern``,
    ``ge``, ``description``…): the checks here, the description in the document."""

    where: ClassVar[str]

    def __init__(self, **arguments: Any) -> None:
        self.arguments = arguments

    def field(self) -> Any:
        return Field(**self.arguments)


class Path(Parameter):
    where = "path"


class Query(Parameter):
    where = "query"


class Body(Parameter):
    where = "body"


class Response(NamedTuple, Generic[T]):
    """A route's answer when it is not a 200 of its model: another status, headers, or no body
    (``content_type=None``)."""

    status_code: int
    body: T | None = None
    headers: Mapping[str, str] | None = None
    content_type: str | None = JSON


class InvalidRequestError(Exception):
    """Parameters or a body refused: pydantic's errors, each ``loc`` beginning with where the value
    was (``("body", "payroll", "client_id")``, ``("path", "firm_id")``)."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("invalid request")
        self.errors = errors


class RouteNotFoundError(Exception):
    """No route for this method and resource in the function."""


class BodyRefusedError(Exception):
    """A body that is not readable JSON, or not declared JSON (``paysync.api.body``)."""

    def __init__(self, refused: body.Refused) -> None:
        super().__init__(refused.code)
        self.refused = refused


class Request(NamedTuple):
    """What a route reads of the request it serves: the API Gateway proxy event."""

    raw_event: dict[str, Any]


class Route(NamedTuple):
    """One operation: its method, its path (``/dossiers/<dossier_id>``, Powertools' syntax, for the
    documentation), the function that serves it and its documentation options."""

    method: str
    rule: str
    func: Callable[..., Any]
    options: Mapping[str, Any]

    @property
    def resource(self) -> str:
        """API Gateway's resource for this path: ``/dossiers/{dossier_id}``."""
        return _RULE_PARAMETER.sub(r"{\1}", self.rule)


class Router:
    """An area's routes. The request being served is ``current_event`` (per thread: the local
    stack serves requests concurrently in one process)."""

    def __init__(self) -> None:
        self.routes: list[Route] = []
        self._serving = threading.local()

    @property
    def current_event(self) -> Request:
        request: Request = self._serving.request
        return request

    def serving(self, request: Request | None) -> None:
        self._serving.request = request

    def route(self, method: str, rule: str, **options: Any) -> Callable[[Callable[..., T]], Callable[..., T]]:
        def register(func: Callable[..., T]) -> Callable[..., T]:
            self.routes.append(Route(method, rule, func, options))
            return func

        return register

    def get(self, rule: str, **options: Any) -> Callable[[Callable[..., T]], Callable[..., T]]:
        return self.route("GET", rule, **options)

    def post(self, rule: str, **options: Any) -> Callable[[Callable[..., T]], Callable[..., T]]:
        return self.route("POST", rule, **options)

    def put(self, rule: str, **options: Any) -> Callable[[Callable[..., T]], Callable[..., T]]:
        return self.route("PUT", rule, **options)

    def delete(self, rule: str, **options: Any) -> Callable[[Callable[..., T]], Callable[..., T]]:
        return self.route("DELETE", rule, **options)


# -- a route's parameters ---------------------------------------------------------------------------
class _Parameter(NamedTuple):
    """One argument of a route function: where it is read, and the pydantic check of its value."""

    name: str
    where: str  # path, query or body
    alias: str
    adapter: TypeAdapter[Any]
    required: bool
    default: Any


class _Signature(NamedTuple):
    """A route function's parameters, and the type of what it answers (``Response[T]``: ``T``)."""

    parameters: list[_Parameter]
    answers: Any


def _signature(func: Callable[..., Any], rule: str) -> _Signature:
    hints = typing.get_type_hints(func, include_extras=True)
    answers = hints.get("return", Any)
    if typing.get_origin(answers) is Response:
        (answers,) = typing.get_args(answers)
    return _Signature(_parameters(func, hints, rule), answers)


def _parameters(func: Callable[..., Any], hints: Mapping[str, Any], rule: str) -> list[_Parameter]:
    """What the route function takes, from its annotations (``Annotated[type, Path(…)]`` …); a
    parameter named in the path needs no marker."""
    path_names = set(_RULE_PARAMETER.findall(rule))
    found = []
    for name, parameter in inspect.signature(func).parameters.items():
        annotation = hints[name]
        base, *markers = (
            typing.get_args(annotation) if typing.get_origin(annotation) is Annotated else (annotation,)
        )
        marker = next((m for m in markers if isinstance(m, Parameter)), None)
        others = tuple(m for m in markers if not isinstance(m, Parameter))
        if marker is None:
            if name not in path_names:
                raise TypeError(f"{func.__qualname__}: {name} is neither in the path nor Path, Query or Body")
            marker = Path()
        where = marker.where
        required = parameter.default is inspect.Parameter.empty
        found.append(
            _Parameter(
                name=name,
                where=where,
                alias=marker.arguments.get("alias") or name,
                adapter=TypeAdapter(Annotated[(base, *others, marker.field())]),  # type: ignore[arg-type]
                required=required,
                default=None if required else parameter.default,
            )
        )
    return found


def _query_value(event: Mapping[str, Any], name: str) -> Any:
    """A query parameter's value: a string, a list if it was given more than once, None if absent."""
    values = (event.get("multiValueQueryStringParameters") or {}).get(name)
    if values is None:
        single = (event.get("queryStringParameters") or {}).get(name)
        values = None if single is None else [single]
    if values is None:
        return None
    return values[0] if len(values) == 1 else list(values)


def _received(event: Mapping[str, Any], parameter: _Parameter) -> Any:
    if parameter.where == "path":
        return (event.get("pathParameters") or {}).get(parameter.alias)
    if parameter.where == "query":
        return _query_value(event, parameter.alias)
    text = event.get("body")  # checked by paysync.api.body before any route
    return body.loads(text) if text else None


def _arguments(parameters: Iterable[_Parameter], event: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    errors: list[dict[str, Any]] = []
    for parameter in parameters:
        where: tuple[str, ...] = (
            (parameter.where,) if parameter.where == "body" else (parameter.where, parameter.alias)
        )
        value = _received(event, parameter)
        if value is None:
            if parameter.required:
                errors.append({"type": "missing", "loc": where, "msg": "Field required", "input": None})
            else:
                values[parameter.name] = parameter.default
            continue
        try:
            values[parameter.name] = parameter.adapter.validate_python(value)
        except ValidationError as error:
            errors.extend({**e, "loc": (*where, *e["loc"])} for e in error.errors(include_url=False))
    if errors:
        raise InvalidRequestError(errors)
    return values


# -- the answer ---------------------------------------------------------------------------------------
def _check_answer(answers: Any, content: Any) -> None:
    """The route's answer is of the type it declares; else a bug of ours: refused as ``response``
    (``paysync.api.errors`` answers 500, not 422). A model is checked by its class, cheaply."""
    members = typing.get_args(answers) if isinstance(answers, UnionType) else (answers,)
    if isinstance(content, BaseModel) and isinstance(
        content, tuple(m for m in members if isinstance(m, type))
    ):
        return
    if content is None and (answers is None or type(None) in members):
        return
    try:
        TypeAdapter(answers).validate_python(content)
    except ValidationError as error:
        raise InvalidRequestError(
            [{**e, "loc": ("response", *e["loc"])} for e in error.errors(include_url=False)]
        ) from None


def _payload(content: Any) -> Any:
    """JSON-ready content: a model by its fields' aliases (what the document describes)."""
    if isinstance(content, BaseModel):
        return content.model_dump(mode="json", by_alias=True)
    if isinstance(content, list | tuple):
        return [_payload(item) for item in content]
    return content


def proxy_answer(response: Response[Any], cors: Mapping[str, str]) -> dict[str, Any]:
    """API Gateway's proxy answer (REST): the body as text, every header a list."""
    headers: dict[str, list[str]] = {}
    if response.content_type is not None:
        headers["Content-Type"] = [response.content_type]
    for name, value in {**(response.headers or {}), **cors}.items():
        headers[name] = [value]
    content = response.body
    if response.content_type == JSON and not isinstance(content, str) and content is not None:
        content = json.dumps(_payload(content), separators=(",", ":"), ensure_ascii=False)
    return {
        "statusCode": int(response.status_code),
        "body": content,
        "isBase64Encoded": False,
        "multiValueHeaders": headers,
    }


class Cors(NamedTuple):
    """Who may read the answers from a browser (the console's origin), and what they may see."""

    allow_origin: str
    expose_headers: tuple[str, ...] = ()
    max_age: int | None = None
    # Powertools' defaults, which the console's requests use.
    allow_headers: tuple[str, ...] = (
        "Authorization",
        "Content-Type",
        "X-Amz-Date",
        "X-Amz-Security-Token",
        "X-Api-Key",
    )

    def headers(self, origin: str | None) -> dict[str, str]:
        if not origin or origin != self.allow_origin:
            return {}
        headers = {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Headers": ",".join(self.allow_headers),
        }
        if self.expose_headers:
            headers["Access-Control-Expose-Headers"] = ",".join(self.expose_headers)
        if self.max_age is not None:
            headers["Access-Control-Max-Age"] = str(self.max_age)
        return headers


def _origin(event: Mapping[str, Any]) -> str | None:
    for name, value in (event.get("headers") or {}).items():
        if str(name).lower() == "origin":
            return str(value)
    return None


class Api:
    """The routes one resolver serves, and what it answers for a request. ``answer_for`` turns any
    exception a route raises into its answer (``paysync.api.errors``)."""

    def __init__(
        self,
        routers: Iterable[Router],
        answer_for: Callable[[Exception], Response[Any]],
        cors: Cors | None = None,
    ) -> None:
        self.answer_for = answer_for
        self.cors = cors
        self._routes = {(r.method, r.resource): (router, r) for router in routers for r in router.routes}
        self._signatures: dict[tuple[str, str], _Signature] = {}

    @property
    def routes(self) -> list[Route]:
        return [route for _, route in self._routes.values()]

    def resolve(self, event: dict[str, Any], context: Any = None) -> dict[str, Any]:
        method = str(event.get("httpMethod") or "").upper()
        cors = self.cors.headers(_origin(event)) if self.cors is not None else {}
        key = (method, str(event.get("resource") or ""))
        if key not in self._routes and method == "OPTIONS" and self.cors is not None:
            methods = ",".join(sorted({m for m, _ in self._routes} | {"OPTIONS"}))
            preflight = Response[None](
                204, None, {"Access-Control-Allow-Methods": methods}, content_type=None
            )
            return proxy_answer(preflight, cors)
        try:
            checked = body.checked(event)
            if isinstance(checked, body.Refused):
                raise BodyRefusedError(checked)
            response = self._serve(key, checked)
        except Exception as error:
            response = self.answer_for(error)
        return proxy_answer(response, cors)

    def _serve(self, key: tuple[str, str], event: dict[str, Any]) -> Response[Any]:
        if key not in self._routes:
            raise RouteNotFoundError(key)
        router, route = self._routes[key]
        if key not in self._signatures:  # analysed at the route's first request only
            self._signatures[key] = _signature(route.func, route.rule)
        signature = self._signatures[key]
        arguments = _arguments(signature.parameters, event)
        router.serving(Request(event))
        try:
            result = route.func(**arguments)
        finally:
            router.serving(None)
        response = result if isinstance(result, Response) else Response(200, result)
        _check_answer(signature.answers, response.body)
        return response
