"""Packages whose ``__init__`` is deferred (``paysync.lazy_packages``), in a fresh interpreter: an API
request never imports Powertools' other resolvers (AppSync and its asyncio) nor the other event
sources' classes, a vendor call never httpcore's async side, and every name of those packages can
still be imported, as the same objects; httpcore's errors still become httpx's."""

from __future__ import annotations

import json
from typing import Any

from paysync.lazy_packages import reexports
from tests.fresh_python import run_script

_REQUEST = """
import json, sys
from paysync.api.app import handle

event = {
    "httpMethod": "GET", "resource": "/dossiers/{dossier_id}/runs", "path": "/dossiers/d-1/runs",
    "pathParameters": {"dossier_id": "d-1"}, "queryStringParameters": {"limit": "0"},
    "multiValueQueryStringParameters": {"limit": ["0"]}, "headers": {}, "requestContext": {"stage": "v1"},
}
answer = handle("settings_api", event, None)
loaded = sorted(sys.modules)
from aws_lambda_powertools.event_handler import AppSyncResolver, APIGatewayRestResolver, content_types
from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver as Direct
from aws_lambda_powertools.utilities.data_classes import SQSEvent, APIGatewayProxyEvent
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSEvent as DirectSQS
import aws_lambda_powertools.event_handler as package
print(json.dumps({
    "status": answer["statusCode"],
    "loaded": loaded,
    "same_resolver": APIGatewayRestResolver is Direct,
    "same_event": SQSEvent is DirectSQS,
    "appsync": AppSyncResolver.__module__,
    "all_names": all(hasattr(package, name) for name in package.__all__),
}))
"""


def _request() -> dict[str, Any]:
    outcome: dict[str, Any] = json.loads(run_script(_REQUEST, {}).strip().splitlines()[-1])
    return outcome


def test_an_api_request_loads_only_the_rest_resolver_and_its_events() -> None:
    outcome = _request()
    assert outcome["status"] == 422  # limit=0 refused by the resolver's validation, before the route
    loaded = set(outcome["loaded"])
    assert "aws_lambda_powertools.event_handler.api_gateway" in loaded
    for unused in (
        "asyncio",
        "aws_lambda_powertools.event_handler.appsync",
        "aws_lambda_powertools.event_handler.bedrock_agent",
        "aws_lambda_powertools.event_handler.vpc_lattice",
        "aws_lambda_powertools.utilities.data_classes.sqs_event",
        "aws_lambda_powertools.utilities.data_classes.kinesis_firehose_event",
    ):
        assert unused not in loaded, unused


def test_every_name_of_the_deferred_packages_still_imports_as_the_same_object() -> None:
    outcome = _request()
    assert outcome["same_resolver"] and outcome["same_event"]
    assert outcome["appsync"] == "aws_lambda_powertools.event_handler.appsync"
    assert outcome["all_names"]


_VENDOR_CALL = """
import json, socket, sys, threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import httpx

class Answer(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass

server = HTTPServer(("127.0.0.1", 0), Answer)
threading.Thread(target=server.serve_forever, daemon=True).start()
silent = socket.socket()
silent.bind(("127.0.0.1", 0))
silent.listen()  # accepts, never answers

from paysync.vendor_http.client import new_http_client

with new_http_client(timeout=0.3) as client:
    status = client.get(f"http://127.0.0.1:{server.server_port}/").status_code
    loaded = sorted(sys.modules)
    try:
        client.get(f"http://127.0.0.1:{silent.getsockname()[1]}/")
        error = None
    except httpx.HTTPError as failure:
        error = type(failure).__name__
import httpcore
from httpcore import AsyncConnectionPool, ConnectionPool
print(json.dumps({
    "status": status, "loaded": loaded, "error": error,
    "names": [AsyncConnectionPool.__module__, ConnectionPool.__module__],
    "all_names": all(hasattr(httpcore, name) for name in httpcore.__all__),
}))
"""


def test_a_vendor_call_loads_httpcore_without_its_async_side_and_its_errors_still_map() -> None:
    outcome: dict[str, Any] = json.loads(run_script(_VENDOR_CALL, {}).strip().splitlines()[-1])
    assert outcome["status"] == 200
    assert outcome["error"] == "ReadTimeout"
    loaded = set(outcome["loaded"])
    assert "httpcore._sync.connection_pool" in loaded
    assert not {"httpcore._async", "httpcore._sync.http_proxy", "httpcore._backends.mock"} & loaded
    assert outcome["names"] == ["httpcore._async.connection_pool", "httpcore._sync.connection_pool"]
    assert outcome["all_names"]


def test_reexports_reads_relative_absolute_and_renamed_imports_of_submodules_only() -> None:
    source = (
        "from .alb import ALBEvent\n"
        "from pkg.sub.api import Resolver, Response as Answer\n"
        "from other.module import Foreign\n"
        "import json\n"
        "NAME = 1\n"
    )
    assert reexports("pkg.sub", source) == {
        "ALBEvent": ("pkg.sub.alb", "ALBEvent"),
        "Resolver": ("pkg.sub.api", "Resolver"),
        "Answer": ("pkg.sub.api", "Response"),
    }
