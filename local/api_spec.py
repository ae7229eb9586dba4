"""The REST API as template.yaml declares it: routes (each function's ``Api`` events, path and
method → function and handler), the Lambda authorizer (identity header, validation expression;
``Authorizer: NONE`` routes skip it) and the ``GatewayResponses`` (API Gateway's own answers)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from local.cfn import DEFAULT_TEMPLATE, load_template

__all__ = ["ApiSpec", "Authorizer", "GatewayResponse", "Route", "load_spec"]


@dataclass(frozen=True)
class Route:
    method: str  # upper case
    path: str  # the template's, e.g. /firms/{firm_id}
    function: str  # logical id
    module: str  # e.g. functions.settings_api.app
    handler: str  # e.g. handler
    authorized: bool
    pattern: re.Pattern[str] = field(compare=False, repr=False, default=re.compile(""))

    def match(self, path: str) -> dict[str, str] | None:
        found = self.pattern.fullmatch(path)
        return found.groupdict() if found else None


@dataclass(frozen=True)
class Authorizer:
    function: str
    module: str
    handler: str
    header: str
    validation: re.Pattern[str] | None


@dataclass(frozen=True)
class GatewayResponse:
    status: int
    body: str
    headers: dict[str, str]


@dataclass
class ApiSpec:
    stage: str
    routes: list[Route]
    authorizer: Authorizer | None
    responses: dict[str, GatewayResponse]

    def gateway(self, kind: str, default_status: int) -> GatewayResponse:
        """API Gateway's own answer of this type, as the template customises it."""
        family = "DEFAULT_4XX" if default_status < 500 else "DEFAULT_5XX"
        found = self.responses.get(kind) or self.responses.get(family)
        fallback = GatewayResponse(default_status, json.dumps({"message": kind}), {})
        if found is None:
            return fallback
        # A response type without its own StatusCode keeps API Gateway's (the family's never applies).
        status = found.status if kind in self.responses and found.status else default_status
        return GatewayResponse(status, found.body, found.headers)


def _module(code_uri: str, handler: str) -> tuple[str, str]:
    module, _, attribute = handler.rpartition(".")
    package = code_uri.strip("/").replace("/", ".")
    return f"{package}.{module}", attribute


def _path_pattern(path: str) -> re.Pattern[str]:
    regex = re.sub(r"\\\{([A-Za-z0-9_]+)\\\}", r"(?P<\1>[^/]+)", re.escape(path))
    return re.compile(regex)


def load_spec(template_path: Path = DEFAULT_TEMPLATE, api_id: str = "PaysyncApi") -> ApiSpec:
    template = load_template(template_path)
    resources = template["Resources"]
    api = resources[api_id]["Properties"]
    auth = api.get("Auth") or {}
    default = auth.get("DefaultAuthorizer")
    authorizer: Authorizer | None = None
    if default:
        spec = auth["Authorizers"][default]
        function = spec["FunctionArn"]["Fn::GetAtt"][0]
        props = resources[function]["Properties"]
        module, attribute = _module(props["CodeUri"], props["Handler"])
        identity = spec.get("Identity") or {}
        expression = identity.get("ValidationExpression")
        authorizer = Authorizer(
            function=function,
            module=module,
            handler=attribute,
            header=identity.get("Header", "Authorization"),
            validation=re.compile(expression) if expression else None,
        )
    routes: list[Route] = []
    for logical_id, resource in resources.items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        props = resource["Properties"]
        for event in (props.get("Events") or {}).values():
            if event.get("Type") != "Api" or event["Properties"].get("RestApiId") != {"Ref": api_id}:
                continue
            event_props = event["Properties"]
            module, attribute = _module(props["CodeUri"], props["Handler"])
            event_auth = (event_props.get("Auth") or {}).get("Authorizer", default)
            routes.append(
                Route(
                    method=event_props["Method"].upper(),
                    path=event_props["Path"],
                    function=logical_id,
                    module=module,
                    handler=attribute,
                    authorized=bool(event_auth) and event_auth != "NONE",
                    pattern=_path_pattern(event_props["Path"]),
                )
            )
    responses: dict[str, GatewayResponse] = {}
    for kind, spec in (api.get("GatewayResponses") or {}).items():
        # Literal values only: an intrinsic (the console's CORS origin) names something deployed;
        # locally the console is served from the API's own origin.
        headers = {
            name: value.strip("'")
            for name, value in ((spec.get("ResponseParameters") or {}).get("Headers") or {}).items()
            if isinstance(value, str)
        }
        body = (spec.get("ResponseTemplates") or {}).get("application/json", json.dumps({"message": kind}))
        responses[kind] = GatewayResponse(int(spec.get("StatusCode", 0) or 0), body, headers)
    # Static paths before parameterised ones, as API Gateway matches them.
    routes.sort(key=lambda r: (r.path.count("{"), r.path))
    return ApiSpec(stage=str(api["StageName"]), routes=routes, authorizer=authorizer, responses=responses)
