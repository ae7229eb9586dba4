"""`make serve`: the HTTP API on 127.0.0.1, over the embedded local stack, as API Gateway runs it.

Routes, the authorizer and API Gateway's own answers come from template.yaml: each function's
``Api`` events (path and method → function), the API's ``Auth`` (the Lambda authorizer, its
identity header and validation expression; ``Authorizer: NONE`` routes skip it) and its
``GatewayResponses`` (the bodies of 401, 403, unknown routes, …). Each HTTP request becomes the
REST API proxy event the real handler receives: the authorizer function is invoked first with the
TOKEN event API Gateway builds, its policy is checked against the method ARN, and its context is
put into ``requestContext.authorizer``. So curl, a browser and schemathesis reach the same code as
on AWS. Not emulated: the authorizer's result cache and the stage's throttling.

Run: ``python -m local.serve`` (port ``PAYSYNC_API_PORT``, default 3000). It starts moto server and
the fakes, seeds the demo world, prints an operator key and a firm key (demo only), and drains the
sync queue through ``sync_worker`` every second, as Lambda's event source mapping would.
"""

from __future__ import annotations

import base64
import fnmatch
import importlib
import json
import os
import re
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

REPO = Path(__file__).resolve().parents[1]
TEMPLATE = REPO / "template.yaml"
ACCOUNT_ID = "123456789012"
API_ID = "local"

Handler = Callable[[dict[str, Any], Any], Any]


# ------------------------------------------------------------------ the API as the template declares it


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


def load_spec(template_path: Path = TEMPLATE, api_id: str = "PaysyncApi") -> ApiSpec:
    from local.cfn import load_template

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
        headers = {
            name: str(value).strip("'")
            for name, value in ((spec.get("ResponseParameters") or {}).get("Headers") or {}).items()
        }
        body = (spec.get("ResponseTemplates") or {}).get("application/json", json.dumps({"message": kind}))
        responses[kind] = GatewayResponse(int(spec.get("StatusCode", 0) or 0), body, headers)
    # Static paths before parameterised ones, as API Gateway matches them.
    routes.sort(key=lambda r: (r.path.count("{"), r.path))
    return ApiSpec(stage=str(api["StageName"]), routes=routes, authorizer=authorizer, responses=responses)


# ------------------------------------------------------------------ invocation


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes


def _gateway_reply(answer: GatewayResponse) -> Reply:
    headers = {"Content-Type": "application/json", **answer.headers}
    return Reply(answer.status, headers, answer.body.encode("utf-8"))


def _policy_allows(policy: dict[str, Any], method_arn: str) -> bool:
    """IAM evaluation, as far as an authorizer's policy needs it: an explicit Deny wins."""
    allowed = False
    for statement in policy.get("Statement") or []:
        resources = statement.get("Resource") or []
        resources = [resources] if isinstance(resources, str) else resources
        if not any(fnmatch.fnmatchcase(method_arn, str(r)) for r in resources):
            continue
        if statement.get("Effect") == "Deny":
            return False
        allowed = allowed or statement.get("Effect") == "Allow"
    return allowed


class LocalApi:
    """The API of template.yaml on 127.0.0.1; handlers run in this process, one call per function at a
    time (one Lambda container each: the resolvers keep per-request state)."""

    def __init__(self, spec: ApiSpec | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.spec = spec or load_spec()
        self.host, self.port = host, port
        self._handlers: dict[str, Handler] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.region = os.environ.get("AWS_DEFAULT_REGION", "eu-west-3")

    @property
    def url(self) -> str:
        """The stage's base URL, e.g. ``http://127.0.0.1:3000/v1``."""
        return f"http://{self.host}:{self.port}/{self.spec.stage}"

    # -- functions ---------------------------------------------------------------------------------
    def _invoke(self, function: str, module: str, attribute: str, event: dict[str, Any]) -> Any:
        from local.lambda_runtime import fake_context

        lock = self._locks.setdefault(function, threading.Lock())
        with lock:
            handler = self._handlers.get(function)
            if handler is None:
                handler = getattr(importlib.import_module(module), attribute)
                self._handlers[function] = handler
            return handler(event, fake_context(function, timeout_seconds=29))

    # -- one request -------------------------------------------------------------------------------
    def handle(self, method: str, raw_path: str, headers: dict[str, list[str]], body: bytes) -> Reply:
        split = urlsplit(raw_path)
        prefix = f"/{self.spec.stage}"
        path = unquote(split.path)
        if path != prefix and not path.startswith(prefix + "/"):
            return _gateway_reply(self.spec.gateway("MISSING_AUTHENTICATION_TOKEN", 403))
        path = path[len(prefix) :] or "/"
        route, params = None, None
        for candidate in self.spec.routes:
            if candidate.method == method and (params := candidate.match(path)) is not None:
                route = candidate
                break
        if route is None:
            return _gateway_reply(self.spec.gateway("MISSING_AUTHENTICATION_TOKEN", 403))
        single = {name: values[-1] for name, values in headers.items()}
        context: dict[str, Any] = {}
        if route.authorized and self.spec.authorizer is not None:
            decided = self._authorize(route, method, path, single)
            if isinstance(decided, Reply):
                return decided
            context = decided
        event = self._event(
            route=route,
            method=method,
            path=path,
            query=split.query,
            headers=headers,
            single=single,
            params=params or {},
            body=body,
            authorizer=context,
        )
        try:
            answer = self._invoke(route.function, route.module, route.handler, event)
        except Exception:  # a Lambda error: API Gateway answers 502
            import logging

            logging.getLogger(__name__).exception("function %s failed", route.function)
            return _gateway_reply(self.spec.gateway("DEFAULT_5XX", 502))
        return self._reply(answer)

    def _authorize(
        self, route: Route, method: str, path: str, headers: dict[str, str]
    ) -> dict[str, Any] | Reply:
        authorizer = self.spec.authorizer
        assert authorizer is not None  # noqa: S101 - checked by the caller
        lowered = {k.lower(): v for k, v in headers.items()}
        token = lowered.get(authorizer.header.lower())
        unauthorized = _gateway_reply(self.spec.gateway("UNAUTHORIZED", 401))
        if not token or (authorizer.validation is not None and not authorizer.validation.fullmatch(token)):
            return unauthorized
        method_arn = (
            f"arn:aws:execute-api:{self.region}:{ACCOUNT_ID}:{API_ID}/{self.spec.stage}/{method}{path}"
        )
        event = {"type": "TOKEN", "authorizationToken": token, "methodArn": method_arn}
        try:
            answer = self._invoke(authorizer.function, authorizer.module, authorizer.handler, event)
        except Exception as error:
            if str(error) == "Unauthorized":
                return unauthorized
            return _gateway_reply(self.spec.gateway("AUTHORIZER_FAILURE", 500))
        if not isinstance(answer, dict) or not _policy_allows(answer.get("policyDocument") or {}, method_arn):
            return _gateway_reply(self.spec.gateway("ACCESS_DENIED", 403))
        context = {
            k: str(v) if not isinstance(v, bool | int | float) else v
            for k, v in (answer.get("context") or {}).items()
        }
        return {**context, "principalId": answer.get("principalId")}

    def _event(
        self,
        *,
        route: Route,
        method: str,
        path: str,
        query: str,
        headers: dict[str, list[str]],
        single: dict[str, str],
        params: dict[str, str],
        body: bytes,
        authorizer: dict[str, Any],
    ) -> dict[str, Any]:
        multi_query = parse_qs(query, keep_blank_values=True)
        text: str | None
        encoded = False
        if not body:
            text = None
        else:
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                text, encoded = base64.b64encode(body).decode("ascii"), True
        now = time.time()
        request_context: dict[str, Any] = {
            "resourceId": "local",
            "resourcePath": route.path,
            "httpMethod": method,
            "extendedRequestId": uuid.uuid4().hex,
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "path": f"/{self.spec.stage}{path}",
            "accountId": ACCOUNT_ID,
            "protocol": "HTTP/1.1",
            "stage": self.spec.stage,
            "domainPrefix": "127",
            "requestTimeEpoch": int(now * 1000),
            "requestId": str(uuid.uuid4()),
            "identity": {
                "sourceIp": "127.0.0.1",
                "userAgent": single.get("User-Agent") or single.get("user-agent"),
            },
            "domainName": f"{self.host}:{self.port}",
            "apiId": API_ID,
        }
        if authorizer:
            request_context["authorizer"] = authorizer
        return {
            "resource": route.path,
            "path": path,
            "httpMethod": method,
            "headers": single or None,
            "multiValueHeaders": headers or None,
            "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
            "multiValueQueryStringParameters": multi_query or None,
            "pathParameters": params or None,
            "stageVariables": None,
            "requestContext": request_context,
            "body": text,
            "isBase64Encoded": encoded,
        }

    @staticmethod
    def _reply(answer: Any) -> Reply:
        if not isinstance(answer, dict) or "statusCode" not in answer:
            return Reply(502, {"Content-Type": "application/json"}, b'{"message": "Internal server error"}')
        headers = {str(k): str(v) for k, v in (answer.get("headers") or {}).items()}
        for name, values in (answer.get("multiValueHeaders") or {}).items():
            headers[str(name)] = ", ".join(str(v) for v in values)
        raw = answer.get("body") or ""
        body = base64.b64decode(raw) if answer.get("isBase64Encoded") else str(raw).encode("utf-8")
        return Reply(int(answer["statusCode"]), headers, body)

    # -- server ------------------------------------------------------------------------------------
    def start(self) -> str:
        api = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                if os.environ.get("PAYSYNC_API_LOG"):
                    super().log_message(format, *args)

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length > 0 else b""
                headers: dict[str, list[str]] = {}
                for name, value in self.headers.items():
                    headers.setdefault(name, []).append(value)
                reply = api.handle(self.command, self.path, headers, body)
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    if name.lower() not in {"content-length", "connection", "transfer-encoding"}:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(reply.body)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _serve  # noqa: N815

        self._server = ThreadingHTTPServer((self.host, self.port), _Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        # A short poll interval makes stop() return at once instead of after half a second.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="paysync-api", daemon=True
        )
        self._thread.start()
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> LocalApi:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# ------------------------------------------------------------------ make serve


def demo_keys(config_table: str) -> tuple[str, str]:
    """An operator key and a key of the demo firm "cabinet-dupont" (demo only: printed at start)."""
    from paysync.entrypoints import services
    from paysync.storage.apikeys import ApiKeyRepository
    from paysync.usecases.api_keys import issue

    svc = services()
    keys = ApiKeyRepository(config_table)
    _, admin = issue(
        keys, svc.config, scope="admin", firm_id=None, label="make serve (operator)", now=svc.clock()
    )
    _, firm = issue(
        keys, svc.config, scope="firm", firm_id="cabinet-dupont", label="make serve (firm)", now=svc.clock()
    )
    return admin.plaintext, firm.plaintext


def worker_loop(queue_url: str, stop: threading.Event, every_seconds: float = 1.0) -> None:
    """Play the sync worker's event source mapping: queued runs (on demand) are processed."""
    import logging

    from functions.sync_worker import app as worker
    from local.executor import drain

    while not stop.wait(every_seconds):
        try:
            drain(queue_url, worker.handler)
        except Exception:  # keep serving: the run records say what failed
            logging.getLogger(__name__).exception("sync worker failed")


def main() -> int:
    from local.demo import local_stack
    from local.demo_data import seed
    from paysync.entrypoints import services, today_in

    port = int(os.environ.get("PAYSYNC_API_PORT", "3000"))
    with local_stack() as stack:
        svc = services()
        world = seed(stack.silae, stack.myunisoft, svc.config, svc.secrets, today_in(svc.settings.timezone))
        admin_key, firm_key = demo_keys(stack.env["CONFIG_TABLE"])
        api = LocalApi(port=port)
        url = api.start()
        stop = threading.Event()
        threading.Thread(
            target=worker_loop, args=(stack.env["SYNC_QUEUE_URL"], stop), name="sync-worker", daemon=True
        ).start()
        print(f"paysync API on {url}  (OpenAPI: {url}/openapi.json, Swagger UI: {url}/swagger)")
        print(
            f"  demo world: {len(world.firms)} firms, {len(world.dossiers)} dossiers, period {world.period}"
        )
        print(f"  AWS (moto) {stack.resources.endpoint_url} | Silae {stack.env['SILAE_API_URL']}")
        print(f"  MyUnisoft {stack.env['MYUNISOFT_API_URL']}")
        print("Demo credentials (printed because this is a demo; real ones are shown once, when issued):")
        print(f"  export ADMIN_KEY={admin_key}")
        print(f"  export FIRM_KEY={firm_key}   # firm cabinet-dupont")
        print(f'  curl -H "Authorization: Bearer $FIRM_KEY" {url}/dossiers/boulangerie-martin/status')
        print("Queued syncs are processed by sync_worker as they come. Ctrl-C to stop.", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
        finally:
            stop.set()
            api.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
