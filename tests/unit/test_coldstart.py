"""What a cold start defers, checked in a fresh interpreter set up as Lambda sets one up: the garbage
collector paused until the first invocation ends, and httpx traced only once a client is built."""

from __future__ import annotations

import json

from tests.fresh_python import run_script

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

_TRACER = """
import json, sys
from paysync.observability import trace_httpx, tracer
tracer.tracer  # built as at the first invocation
loaded_by_tracer = "httpx" in sys.modules
trace_httpx()
import httpx
print(json.dumps({
    "httpx_loaded_by_tracer": loaded_by_tracer,
    "client": httpx.Client.__module__,
    "botocore_patched": "aws_xray_sdk.ext.botocore.patch" in sys.modules,
}))
"""


def _run(script: str, environment: dict[str, str]) -> dict[str, object]:
    outcome: dict[str, object] = json.loads(run_script(script, environment).strip().splitlines()[-1])
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


def test_the_tracer_patches_httpx_when_a_client_is_about_to_be_built() -> None:
    outcome = _run(_TRACER, LAMBDA)
    assert outcome["botocore_patched"] is True
    assert outcome["httpx_loaded_by_tracer"] is False
    assert outcome["client"] == "aws_xray_sdk.ext.httpx.patch"  # X-Ray's instrumented client
