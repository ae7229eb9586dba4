"""`make serve`: the HTTP API on 127.0.0.1, over the embedded local stack, as API Gateway runs it.

Routes, the authorizer and API Gateway's own answers come from template.yaml: each function's
``Api`` events (path and method → function), the API's ``Auth`` (the Lambda authorizer, its
identity header and validation expression; ``Authorizer: NONE`` routes skip it) and its
``GatewayResponses`` (the bodies of 401, 403, unknown routes, …). Each HTTP request becomes the
REST API proxy event the real handler receives: the authorizer function is invoked first with the
TOKEN event API Gateway builds, its policy is checked against the method ARN, and its context is
put into ``requestContext.authorizer``. So curl, a browser and schemathesis reach the same code as
on AWS. Not emulated: the authorizer's result cache and the stage's throttling.

As on AWS, requests run concurrently: one thread per connection, and each function invoked in as
many containers as it has invocations at once (:mod:`local.api_containers`), so races between
requests show here as they would there. What API Gateway answers by itself is answered alike, as
JSON: a path outside the stage ``403``, an undeclared path or method ``MISSING_AUTHENTICATION_TOKEN``
(404 in the template), a method API Gateway does not know ``405``, a malformed request its
``DEFAULT_4XX``. The listen backlog holds bursts of clients (:mod:`local.threaded_http`).

The template's API is read by :mod:`local.api_spec`; the events and replies API Gateway builds are in
:mod:`local.api_events`.

Run: ``python -m local.serve`` (port ``PAYSYNC_API_PORT``, default 3000). It starts moto server and
the fakes, seeds the demo world, prints an operator key and a firm key (demo only), and drains the
sync queue through ``sync_worker`` every second, as Lambda's event source mapping would.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

from local import moto_fidelity
from local.api_containers import FunctionContainers, isolated
from local.api_events import (
    ACCOUNT_ID,
    API_ID,
    Reply,
    function_reply,
    gateway_reply,
    policy_allows,
    proxy_event,
)
from local.api_spec import ApiSpec, GatewayResponse, Route, load_spec
from local.console_static import console_reply
from local.lambda_runtime import Handler, fake_context
from local.threaded_http import serve_in_background, stop_server

# The methods API Gateway routes; any other is refused before any route is looked at.
GATEWAY_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# API Gateway's answer for a path outside the deployed stage (not a gateway response one can customise).
OUTSIDE_STAGE = GatewayResponse(403, '{"message": "Forbidden"}', {})


class LocalApi:
    """The API of template.yaml on 127.0.0.1; handlers run in this process, concurrently."""

    def __init__(self, spec: ApiSpec | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.spec = spec or load_spec()
        self.host, self.port = host, port
        self._handlers: dict[str, Handler] = {}
        self.containers: dict[str, FunctionContainers] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._isolation: Any = None
        self.region = os.environ.get("AWS_DEFAULT_REGION", "eu-west-3")

    @property
    def url(self) -> str:
        """The stage's base URL, e.g. ``http://127.0.0.1:3000/v1``."""
        return f"http://{self.host}:{self.port}/{self.spec.stage}"

    # -- functions ---------------------------------------------------------------------------------
    def _invoke(self, function: str, module: str, attribute: str, event: dict[str, Any]) -> Any:
        with self._lock:
            containers = self.containers.setdefault(function, FunctionContainers(function))
            handler = self._handlers.get(function)
        if handler is None:
            handler = getattr(importlib.import_module(module), attribute)
            with self._lock:
                self._handlers[function] = handler
        with containers.invocation():
            return handler(event, fake_context(function, timeout_seconds=29))

    # -- one request -------------------------------------------------------------------------------
    def handle(self, method: str, raw_path: str, headers: dict[str, list[str]], body: bytes) -> Reply:
        split = urlsplit(raw_path)
        prefix = f"/{self.spec.stage}"
        path = unquote(split.path)
        if path != prefix and not path.startswith(prefix + "/"):
            console = console_reply(method, path, self.spec.stage)  # the console, as CloudFront serves it
            return console or gateway_reply(OUTSIDE_STAGE)
        path = path[len(prefix) :] or "/"
        if method not in GATEWAY_METHODS:
            allowed = sorted({r.method for r in self.spec.routes if r.match(path) is not None})
            refused = gateway_reply(self.spec.gateway("DEFAULT_4XX", 405))
            refused.status = 405
            if allowed:
                refused.headers["Allow"] = ", ".join(allowed)
            return refused
        route, params = None, None
        for candidate in self.spec.routes:
            if candidate.method == method and (params := candidate.match(path)) is not None:
                route = candidate
                break
        if route is None:  # API Gateway answers an undeclared path or method alike
            return gateway_reply(self.spec.gateway("MISSING_AUTHENTICATION_TOKEN", 403))
        single = {name: values[-1] for name, values in headers.items()}
        context: dict[str, Any] = {}
        if route.authorized and self.spec.authorizer is not None:
            decided = self._authorize(route, method, path, single)
            if isinstance(decided, Reply):
                return decided
            context = decided
        event = proxy_event(
            stage=self.spec.stage,
            domain_name=f"{self.host}:{self.port}",
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
            return gateway_reply(self.spec.gateway("DEFAULT_5XX", 502))
        return function_reply(answer)

    def _authorize(
        self, route: Route, method: str, path: str, headers: dict[str, str]
    ) -> dict[str, Any] | Reply:
        authorizer = self.spec.authorizer
        assert authorizer is not None  # noqa: S101 - checked by the caller
        lowered = {k.lower(): v for k, v in headers.items()}
        token = lowered.get(authorizer.header.lower())
        unauthorized = gateway_reply(self.spec.gateway("UNAUTHORIZED", 401))
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
            return gateway_reply(self.spec.gateway("AUTHORIZER_FAILURE", 500))
        if not isinstance(answer, dict) or not policy_allows(answer.get("policyDocument") or {}, method_arn):
            return gateway_reply(self.spec.gateway("ACCESS_DENIED", 403))
        context = {
            k: str(v) if not isinstance(v, bool | int | float) else v
            for k, v in (answer.get("context") or {}).items()
        }
        return {**context, "principalId": answer.get("principalId")}

    # -- server ------------------------------------------------------------------------------------
    def start(self) -> str:
        api = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                if os.environ.get("PAYSYNC_API_LOG"):
                    super().log_message(format, *args)

            def __getattr__(self, name: str) -> Any:
                # Every method reaches the API (http.server answers an unknown one with an HTML 501).
                if name.startswith("do_"):
                    return self._serve
                raise AttributeError(name)

            def _serve(self) -> None:
                try:
                    length = int(self.headers.get("Content-Length") or 0)
                except ValueError:
                    self.send_error(400)
                    return
                body = self.rfile.read(length) if length > 0 else b""
                headers: dict[str, list[str]] = {}
                for name, value in self.headers.items():
                    headers.setdefault(name, []).append(value)
                self._reply(api.handle(self.command, self.path, headers, body))

            def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
                """A request http.server cannot parse: API Gateway's default answer, as JSON."""
                answer = api.spec.gateway("DEFAULT_4XX" if code < 500 else "DEFAULT_5XX", code)
                reply = gateway_reply(answer)
                reply.status = code
                self.close_connection = True
                self._reply(reply)

            def _reply(self, reply: Reply) -> None:
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    if name.lower() not in {"content-length", "connection", "transfer-encoding"}:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(reply.body)

        # Concurrent requests rely on DynamoDB's atomic conditional writes, a failed save on secret
        # labels moved back: moto must answer as AWS does.
        moto_fidelity.install()
        self._isolation = isolated()
        self._isolation.__enter__()
        self._server = serve_in_background((self.host, self.port), _Handler, "paysync-api")
        self.port = self._server.server_address[1]
        return self.url

    def stop(self) -> None:
        stop_server(self._server)
        self._server = None
        if self._isolation is not None:
            self._isolation.__exit__(None, None, None)
            self._isolation = None

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
            f"paysync console on http://{api.host}:{api.port}/  (cabinet cabinet-dupont, key FIRM_KEY below)"
        )
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
