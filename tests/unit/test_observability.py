"""paysync's own tracer: what reaches the X-Ray daemon, when, and in what shape."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from paysync.observability import aws_subsegment, traced_call
from paysync.tracing import Tracer
from tests.xray_daemon import received

TRACE = "Root=1-6740b7a0-0123456789abcdef01234567;Parent=0123456789abcdef;Sampled=1"
ROOT = "1-6740b7a0-0123456789abcdef01234567"


@pytest.fixture
def daemon(monkeypatch: pytest.MonkeyPatch) -> Iterator[socket.socket]:
    """A UDP socket standing for the daemon, and the environment Lambda gives a sampled invocation."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as listening:
        listening.bind(("127.0.0.1", 0))
        monkeypatch.setenv("AWS_XRAY_DAEMON_ADDRESS", f"udp:127.0.0.1:{listening.getsockname()[1]} tcp:x:1")
        monkeypatch.setenv("LAMBDA_TASK_ROOT", "/var/task")
        monkeypatch.setenv("_X_AMZN_TRACE_ID", TRACE)
        monkeypatch.delenv("POWERTOOLS_TRACE_DISABLED", raising=False)
        monkeypatch.delenv("AWS_SAM_LOCAL", raising=False)
        yield listening


@pytest.fixture
def tracer(monkeypatch: pytest.MonkeyPatch) -> Tracer:
    """A fresh tracer (a first invocation to come), the one observability's helpers record with."""
    from paysync import observability

    fresh = Tracer(service="paysync")
    monkeypatch.setattr(observability, "tracer", fresh)
    return fresh


def test_the_handler_and_what_it_calls_are_subsegments_of_lambdas_segment(
    daemon: socket.socket, tracer: Tracer
) -> None:
    @tracer.capture_lambda_handler
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        tracer.put_annotation("dossier", event["dossier"])
        with traced_call("api.myunisoft.fr", "GET", "https://api.myunisoft.fr/api/v1/mad/entries?token=x"):
            pass
        return {"ok": True}

    assert handler({"dossier": "d-1"}, None) == {"ok": True}
    assert handler({"dossier": "d-2"}, None) == {"ok": True}
    documents = received(daemon)
    handlers = [d for d in documents if d["name"] == "## handler"]
    calls = [d for d in documents if d["name"] == "api.myunisoft.fr"]
    assert len(handlers) == len(calls) == 2
    assert {d["trace_id"] for d in documents} == {ROOT}
    assert all(d["type"] == "subsegment" and d["end_time"] >= d["start_time"] for d in documents)
    # the handlers hang from Lambda's segment, each call from its own invocation's handler
    assert {d["parent_id"] for d in handlers} == {"0123456789abcdef"}
    assert [call["parent_id"] for call in calls] == [d["id"] for d in handlers]
    assert [d["annotations"]["ColdStart"] for d in handlers] == [True, False]
    assert [d["annotations"]["dossier"] for d in handlers] == ["d-1", "d-2"]
    assert all(d["annotations"]["Service"] == "paysync" for d in handlers)
    assert handlers[0]["metadata"] == {"paysync": {"handler response": {"ok": True}}}
    (call, _) = calls
    assert call["namespace"] == "remote"
    assert call["http"]["request"] == {"method": "GET", "url": "https://api.myunisoft.fr/api/v1/mad/entries"}


def test_an_error_is_a_fault_with_its_cause_and_is_raised_unchanged(
    daemon: socket.socket, tracer: Tracer
) -> None:
    @tracer.capture_lambda_handler
    def handler(event: Any, context: Any) -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        handler({}, None)
    (document,) = received(daemon)
    assert document["fault"] is True
    (exception,) = document["cause"]["exceptions"]
    assert exception["type"] == "RuntimeError" and exception["message"] == "boom"
    assert exception["stack"][0]["label"] == "handler"
    assert "handler error" in document["metadata"]["paysync"]


def test_answers_are_errors_throttles_or_faults_as_x_ray_reads_them(
    daemon: socket.socket, tracer: Tracer
) -> None:
    @tracer.capture_lambda_handler
    def handler(event: Any, context: Any) -> None:
        for status in (200, 404, 429, 503):
            with aws_subsegment("dynamodb", "GetItem", "eu-west-3") as answered:
                answered(status)

    handler({}, None)
    calls = [d for d in received(daemon) if d["name"] == "dynamodb"]
    assert [(d["aws"]["operation"], d["http"]["response"]["status"]) for d in calls] == [
        ("GetItem", 200),
        ("GetItem", 404),
        ("GetItem", 429),
        ("GetItem", 503),
    ]
    flags = [(d.get("error", False), d.get("throttle", False), d.get("fault", False)) for d in calls]
    assert flags == [(False, False, False), (True, False, False), (True, True, False), (False, False, True)]
    assert all(d["namespace"] == "aws" for d in calls)


def test_work_in_another_thread_hangs_from_the_invocation(daemon: socket.socket, tracer: Tracer) -> None:
    def upload() -> None:
        with tracer.subsegment("files.example", namespace="remote"):
            pass

    @tracer.capture_lambda_handler
    def handler(event: Any, context: Any) -> None:
        worker = threading.Thread(target=upload)
        worker.start()
        worker.join()

    handler({}, None)
    documents = received(daemon)
    (invocation,) = [d for d in documents if d["name"] == "## handler"]
    (upload_document,) = [d for d in documents if d["name"] == "files.example"]
    assert upload_document["parent_id"] == invocation["id"]


@pytest.mark.parametrize(
    "environment",
    [
        {"_X_AMZN_TRACE_ID": TRACE.replace("Sampled=1", "Sampled=0")},  # Lambda did not sample it
        {"POWERTOOLS_TRACE_DISABLED": "true"},
        {"AWS_SAM_LOCAL": "true"},
        {"LAMBDA_TASK_ROOT": ""},  # not in Lambda: tests, the CLI, the local stack
    ],
    ids=["not-sampled", "disabled", "sam-local", "outside-lambda"],
)
def test_nothing_is_sent_when_tracing_is_off(
    daemon: socket.socket, monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], tracer: Tracer
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    @tracer.capture_lambda_handler
    def handler(event: Any, context: Any) -> str:
        with tracer.subsegment("x") as subsegment:
            assert subsegment is None
        return "answer"

    assert handler({}, None) == "answer"
    assert received(daemon) == []


def test_outside_an_invocation_calls_are_not_traced(daemon: socket.socket, tracer: Tracer) -> None:
    with tracer.subsegment("dynamodb", namespace="aws") as subsegment:
        assert subsegment is None
    tracer.put_annotation("ignored", 1)
    assert received(daemon) == []


def test_an_oversized_answer_drops_the_metadata_not_the_trace_nor_the_answer(
    daemon: socket.socket, tracer: Tracer
) -> None:
    big = {"body": "x" * 100_000}

    @tracer.capture_lambda_handler
    def handler(event: Any, context: Any) -> dict[str, str]:
        return big

    assert handler({}, None) is big
    (document,) = received(daemon)
    assert "metadata" not in document and document["annotations"]["ColdStart"] is True


def test_a_daemon_that_cannot_be_reached_fails_nothing(
    daemon: socket.socket, monkeypatch: pytest.MonkeyPatch, tracer: Tracer
) -> None:
    monkeypatch.setenv("AWS_XRAY_DAEMON_ADDRESS", "not-an-address")

    @tracer.capture_lambda_handler
    def handler(event: Any, context: Any) -> int:
        return 1

    assert handler({}, None) == 1
