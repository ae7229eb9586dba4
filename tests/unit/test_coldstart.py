"""What a cold start defers, checked in a fresh interpreter set up as Lambda sets one up: the garbage
collector paused until the first invocation ends, pydantic's plugin lookup skipped where the
template disables plugins (with pydantic's own answer), and the tracer patching httpx and paysync's AWS
client only once they are used, never loading botocore, while every subsegment of the invocation still reaches the X-Ray daemon."""

from __future__ import annotations

import json
import socket
from typing import Any

from local.cfn import load_template
from paysync.coldstart import PLUGINS_DISABLED
from tests.fresh_python import run_script
from tests.xray_daemon import received

LAMBDA = {
    "AWS_LAMBDA_FUNCTION_NAME": "paysync-test",
    "LAMBDA_TASK_ROOT": "/var/task",
    "AWS_REGION": "eu-west-3",
    "AWS_DEFAULT_REGION": "eu-west-3",
    "_X_AMZN_TRACE_ID": "Root=1-6740b7a0-0123456789abcdef01234567;Parent=0123456789abcdef;Sampled=1",
    "POWERTOOLS_SERVICE_NAME": "paysync",
}

_COLLECTOR = """
import gc, json
before = gc.isenabled()
from paysync.coldstart import resume_after_first_invocation
paused = not gc.isenabled()

@resume_after_first_invocation
def handler(event, context):
    if event == "fail":
        raise ValueError(event)
    return gc.isenabled()

try:
    handler("fail", None)
except ValueError:
    pass
print(json.dumps({
    "before": before, "paused_at_import": paused, "enabled_after_first": gc.isenabled(),
    "frozen": gc.get_freeze_count(), "second_call_sees_collector": handler("ok", None),
}))
"""

# A Lambda invocation as the runtime makes it: the handler traced, a vendor call over httpx in its
# first invocation, an AWS call through paysync.aws in its second (imported only then). A local HTTP
# server answers both; what the tracer emits goes to the "daemon" (a UDP socket of the test).
_TRACED_INVOCATIONS = """
import json, sys, threading
from http.server import BaseHTTPRequestHandler, HTTPServer

class Answer(BaseHTTPRequestHandler):
    def do_GET(self):
        self._answer(b"ok")

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self._answer(b'{"Item": {"pk": {"S": "FIRM#cabinet-dupont"}}}')

    def _answer(self, body):
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

server = HTTPServer(("127.0.0.1", 0), Answer)
threading.Thread(target=server.serve_forever, daemon=True).start()
url = f"http://127.0.0.1:{server.server_port}"

from paysync.observability import tracer

class Context:
    function_name = "paysync-test"
    aws_request_id = "c0ffee00-0000-4000-8000-000000000000"

@tracer.capture_lambda_handler
def handler(event, context):
    if event == "vendor":
        from paysync.vendor_http.client import new_http_client
        with new_http_client() as client:
            return client.get(url + "/vendor").status_code
    import os
    os.environ.update(AWS_ENDPOINT_URL=url, AWS_ACCESS_KEY_ID="a", AWS_SECRET_ACCESS_KEY="b")
    from paysync.aws.services import dynamodb
    item = dynamodb().Table("config").get_item(Key={"pk": "FIRM#cabinet-dupont"})["Item"]
    return item["pk"]

first = handler("vendor", Context())
botocore_after_first = sorted(name for name in sys.modules if name.startswith("botocore"))
second = handler("aws", Context())
botocore_after = sorted(name for name in sys.modules if name.startswith("botocore"))
print(json.dumps({"answers": [first, second], "botocore_after": [botocore_after_first, botocore_after]}))
"""


def test_in_lambda_the_tracer_traces_handler_vendor_and_aws_calls_without_loading_botocore() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as daemon:
        daemon.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{daemon.getsockname()[1]}"
        outcome = _run(_TRACED_INVOCATIONS, {**LAMBDA, "AWS_XRAY_DAEMON_ADDRESS": address})
        emitted = received(daemon, wait=0.5)
    assert outcome["answers"] == [200, "FIRM#cabinet-dupont"]
    # Powertools' user-agent hook imports botocore's package (its __init__ only), never a client
    assert outcome["botocore_after"] == [["botocore"], ["botocore"]]
    trace_id = LAMBDA["_X_AMZN_TRACE_ID"].split(";")[0].removeprefix("Root=")
    assert {document["trace_id"] for document in emitted} == {trace_id}
    handlers = [document for document in emitted if document["name"] == "## handler"]
    assert len(handlers) == 2
    assert all(document["annotations"]["Service"] == "paysync" for document in handlers)
    assert [document["annotations"]["ColdStart"] for document in handlers].count(True) == 1
    (vendor,) = [document for document in emitted if document["name"] == "127.0.0.1"]
    assert vendor["namespace"] == "remote"
    assert vendor["http"]["request"]["method"] == "GET"
    assert vendor["http"]["request"]["url"].endswith("/vendor")
    assert vendor["http"]["response"]["status"] == 200
    (aws,) = [document for document in emitted if document["name"] == "dynamodb"]
    assert aws["namespace"] == "aws" and aws["aws"]["operation"] == "GetItem"
    assert aws["http"]["response"]["status"] == 200
    # each call inside its own invocation's handler subsegment
    parents = {document["id"]: document for document in handlers}
    assert {vendor["parent_id"], aws["parent_id"]} == set(parents)
    assert parents[vendor["parent_id"]]["annotations"]["ColdStart"] is True


def _run(script: str, environment: dict[str, str]) -> dict[str, Any]:
    outcome: dict[str, Any] = json.loads(run_script(script, environment).strip().splitlines()[-1])
    return outcome


def test_in_lambda_the_collector_waits_for_the_end_of_the_first_invocation() -> None:
    outcome = _run(_COLLECTOR, LAMBDA)
    assert outcome["before"] is True and outcome["paused_at_import"] is True
    # resumed even though the first invocation raised, with what it loaded frozen
    assert outcome["enabled_after_first"] is True
    assert isinstance(outcome["frozen"], int) and outcome["frozen"] > 0
    assert outcome["second_call_sees_collector"] is True


def test_outside_lambda_the_collector_is_left_alone() -> None:
    outcome = _run(_COLLECTOR, {"AWS_REGION": "eu-west-3"})
    assert outcome["paused_at_import"] is False and outcome["enabled_after_first"] is True
    assert outcome["frozen"] == 0


# A model built after paysync.coldstart, as in every function; what pydantic's plugin lookup
# answers, and whether it loaded importlib.metadata on the way.
_PLUGINS = """
import json, sys
import paysync.coldstart
from pydantic import BaseModel

class Built(BaseModel):
    value: int

assert Built(value=1).value == 1
from pydantic.plugin import _loader
print(json.dumps({
    "plugins": list(_loader.get_plugins()),
    "metadata_loaded": "importlib.metadata" in sys.modules,
    "stand_in": getattr(_loader, "__file__", None) is None,
}))
"""


def test_in_lambda_with_plugins_disabled_pydantic_never_loads_its_plugin_machinery() -> None:
    template = load_template()
    setting = template["Globals"]["Function"]["Environment"]["Variables"]["PYDANTIC_DISABLE_PLUGINS"]
    assert setting in PLUGINS_DISABLED  # every deployed function
    outcome = _run(_PLUGINS, {**LAMBDA, "PYDANTIC_DISABLE_PLUGINS": setting})
    assert outcome == {"plugins": [], "metadata_loaded": False, "stand_in": True}


def test_the_stand_in_answers_what_pydantic_answers_with_plugins_disabled() -> None:
    # Outside Lambda pydantic's own loader runs: with the template's setting it finds no plugin,
    # as the stand-in says (a pydantic upgrade that changed this would fail here).
    outcome = _run(_PLUGINS, {"AWS_REGION": "eu-west-3", "PYDANTIC_DISABLE_PLUGINS": "__all__"})
    assert outcome["plugins"] == [] and outcome["stand_in"] is False


def test_in_lambda_with_plugins_allowed_pydantic_looks_them_up() -> None:
    outcome = _run(_PLUGINS, LAMBDA)
    assert outcome["metadata_loaded"] is True and outcome["stand_in"] is False
