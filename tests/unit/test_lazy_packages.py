"""Packages whose ``__init__`` is deferred (``paysync.lazy_packages``), in a fresh interpreter: an API
request never imports Powertools' resolvers (paysync routes it: ``paysync.api.routing``; AppSync's
with asyncio) nor the event sources' classes, and every name of those packages can still be
imported, as the same objects."""

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


def test_an_api_request_loads_no_powertools_resolver_nor_event_source() -> None:
    outcome = _request()
    assert outcome["status"] == 422  # limit=0 refused by the router's validation, before the route
    loaded = set(outcome["loaded"])
    for unused in (
        "aws_lambda_powertools.event_handler.api_gateway",
        "aws_lambda_powertools.event_handler.middlewares.openapi_validation",
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
