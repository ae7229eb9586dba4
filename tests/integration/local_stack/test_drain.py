"""Lambda's SQS event source mapping on the local stack: the exact event, partial batch failures,
the dead-letter queue (local.executor.drain, the executor with one worker)."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from local.executor import DrainReport, drain
from local.lambda_runtime import fake_context
from local.provision import LocalResources
from tests.integration.local_stack.support import MAX_RECEIVE_COUNT, REGION, client, queue_depth, send


def run(resources: LocalResources, handler: Any, **kwargs: Any) -> DrainReport:
    return drain(
        resources.queue_url("SyncQueue"),
        handler,
        endpoint_url=resources.endpoint_url,
        region=REGION,
        **kwargs,
    )


def test_drain_delivers_the_exact_lambda_sqs_event(stack: LocalResources) -> None:
    from aws_lambda_powertools.utilities.parser.models import SqsModel

    groups = {
        "firm-1": [f"f1-{i}" for i in range(12)],
        "firm-2": [f"f2-{i}" for i in range(8)],
        "dossier-9": ["d9"],
    }
    send(stack, groups, MessageAttributes={"trigger": {"DataType": "String", "StringValue": "nightly"}})
    events: list[dict[str, Any]] = []
    contexts: list[Any] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        events.append(event)
        contexts.append(context)
        return {"batchItemFailures": []}

    report = run(stack, handler)

    assert report.received == report.successes == 21
    assert report.failures == report.handler_errors == 0
    assert report.invocations == len(events) >= 3
    assert all(1 <= len(event["Records"]) <= 10 for event in events)
    records = [record for event in events for record in event["Records"]]
    for group, bodies in groups.items():  # FIFO: each group in send order
        assert [r["body"] for r in records if r["attributes"]["MessageGroupId"] == group] == bodies
    record = records[0]
    assert set(record) == {
        "messageId",
        "receiptHandle",
        "body",
        "attributes",
        "messageAttributes",
        "md5OfBody",
        "md5OfMessageAttributes",
        "eventSource",
        "eventSourceARN",
        "awsRegion",
    }
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == stack.arn("SyncQueue")
    assert record["awsRegion"] == REGION
    assert record["md5OfBody"] == hashlib.md5(record["body"].encode()).hexdigest()  # noqa: S324 - SQS's checksum
    assert set(record["attributes"]) >= {
        "ApproximateReceiveCount",
        "SentTimestamp",
        "SequenceNumber",
        "MessageGroupId",
        "MessageDeduplicationId",
        "ApproximateFirstReceiveTimestamp",
        "SenderId",
    }
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["messageAttributes"] == {
        "trigger": {
            "stringValue": "nightly",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "String",
        }
    }
    for event in events:
        SqsModel.model_validate(event)  # what Powertools' parser and batch processor expect
    assert len({c.aws_request_id for c in contexts}) == len(contexts)
    context = contexts[0]
    assert context.function_name == "paysync-local-SyncWorkerFunction"
    assert context.invoked_function_arn.endswith(":function:paysync-local-SyncWorkerFunction")
    assert context.memory_limit_in_mb > 0
    assert 0 < context.get_remaining_time_in_millis() <= 300_000
    assert queue_depth(stack, "SyncQueue") == 0


def test_drain_redelivers_partial_batch_failures(stack: LocalResources) -> None:
    send(stack, {"firm-1": ["a", "b", "c"], "firm-2": ["x", "y"]})
    deliveries: list[tuple[str, str]] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        failures = []
        for record in event["Records"]:
            deliveries.append((record["body"], record["attributes"]["ApproximateReceiveCount"]))
            if record["body"] == "y" and record["attributes"]["ApproximateReceiveCount"] == "1":
                failures.append({"itemIdentifier": record["messageId"]})
        return {"batchItemFailures": failures}

    report = run(stack, handler)

    assert report.successes == 5
    assert report.failures == 1
    assert report.received == 6
    assert ("y", "1") in deliveries and ("y", "2") in deliveries
    assert sorted(body for body, _ in deliveries) == ["a", "b", "c", "x", "y", "y"]
    assert queue_depth(stack, "SyncQueue") == 0
    assert queue_depth(stack, "SyncDeadLetterQueue") == 0


def test_poison_messages_reach_the_dlq_after_max_receive_count(stack: LocalResources) -> None:
    send(stack, {"firm-1": ["ok-1", "poison", "ok-2"], "firm-2": ["ok-3"]})
    attempts: list[str] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        failures = []
        for record in event["Records"]:
            if record["body"] == "poison":
                attempts.append(record["attributes"]["ApproximateReceiveCount"])
                failures.append({"itemIdentifier": record["messageId"]})
        return {"batchItemFailures": failures}

    report = run(stack, handler)

    assert attempts == [str(n) for n in range(1, MAX_RECEIVE_COUNT + 1)]
    assert report.failures == MAX_RECEIVE_COUNT
    assert report.successes == 3
    assert queue_depth(stack, "SyncQueue") == 0
    dead = client(stack, "sqs").receive_message(
        QueueUrl=stack.queue_url("SyncDeadLetterQueue"), MaxNumberOfMessages=10, AttributeNames=["All"]
    )["Messages"]
    assert [m["Body"] for m in dead] == ["poison"]
    assert dead[0]["Attributes"]["MessageGroupId"] == "firm-1"


def test_a_raising_handler_fails_the_whole_batch(stack: LocalResources) -> None:
    send(stack, {"firm-1": ["a", "b"]})
    calls: list[list[str]] = []

    def handler(event: dict[str, Any], context: Any) -> None:
        calls.append([r["body"] for r in event["Records"]])
        if len(calls) == 1:
            raise RuntimeError("boom")

    report = run(stack, handler)

    assert report.handler_errors == 1
    assert [str(e) for e in report.errors] == ["boom"]
    assert report.failures == 2
    assert report.successes == 2
    assert calls == [["a", "b"], ["a", "b"]]
    assert queue_depth(stack, "SyncQueue") == 0


@pytest.mark.parametrize(
    "response",
    [
        {"batchItemFailures": [{"itemIdentifier": "not-in-the-batch"}]},
        {"batchItemFailures": [{"itemIdentifier": ""}]},
        {"batchItemFailures": [{"wrongKey": "x"}]},
        "not an object",
    ],
)
def test_invalid_responses_fail_the_whole_batch(stack: LocalResources, response: Any) -> None:
    send(stack, {"firm-1": ["a", "b"]})
    report = run(stack, lambda event, context: response, max_batches=1)
    assert report.invocations == 1
    assert report.failures == 2
    assert report.successes == 0
    assert queue_depth(stack, "SyncQueue") == 2


@pytest.mark.parametrize("skip_group_on_error", [False, True])
def test_drain_works_with_powertools_fifo_batch_processor(
    stack: LocalResources, skip_group_on_error: bool
) -> None:
    from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response

    send(stack, {"firm-1": ["1", "2", "fail-once", "4"], "firm-2": ["5"]})
    seen: list[str] = []
    failed_once: set[str] = set()

    def record_handler(record: Any) -> None:
        seen.append(record.body)
        if record.body == "fail-once" and record.body not in failed_once:
            failed_once.add(record.body)
            raise ValueError("transient")

    def handler(event: dict[str, Any], context: Any) -> Any:
        processor = SqsFifoPartialProcessor(skip_group_on_error=skip_group_on_error)
        return process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )

    report = run(stack, handler)

    # The FIFO processor fails what follows a failure (in its group, or in the whole batch) without
    # processing it, so the group's order holds: "4" only after "fail-once" succeeded.
    assert [body for body in seen if body != "5"] == ["1", "2", "fail-once", "fail-once", "4"]
    assert seen.count("5") == 1
    assert report.failures == (2 if skip_group_on_error else 3)
    assert queue_depth(stack, "SyncQueue") == 0
    assert queue_depth(stack, "SyncDeadLetterQueue") == 0


def test_max_batches_and_custom_context(stack: LocalResources) -> None:
    send(stack, {f"group-{n}": [f"m{n}"] for n in range(15)})
    names: list[str] = []

    def handler(event: dict[str, Any], context: Any) -> None:
        names.append(context.function_name)

    report = run(
        stack,
        handler,
        batch_size=5,
        max_batches=2,
        context_factory=lambda: fake_context("custom", timeout_seconds=3),
    )
    assert report.invocations == 2
    assert report.successes == 10
    assert names == ["custom", "custom"]
    assert queue_depth(stack, "SyncQueue") == 5


def test_batch_size_is_bounded_like_sqs(stack: LocalResources) -> None:
    with pytest.raises(ValueError, match="1 to 10"):
        run(stack, lambda event, context: None, batch_size=11)
