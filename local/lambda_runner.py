"""Plays Lambda's SQS event source mapping against a (FIFO) queue on the local stack.

:func:`drain` receives batches the way the event source mapping does, hands the handler the exact
SQS event Lambda builds, and applies the answer the way Lambda does with
``FunctionResponseTypes: [ReportBatchItemFailures]``:

- the messages not listed in ``batchItemFailures`` are deleted;
- the listed ones are returned to the queue. Lambda leaves them invisible until the queue's
  visibility timeout ends; here they are made visible at once (``ChangeMessageVisibility 0``) so
  that retries happen immediately. The queue's redrive policy still applies: after
  ``maxReceiveCount`` receives, SQS (moto) moves a message to the dead-letter queue;
- a handler that raises, or an answer Lambda would reject (an unknown or empty ``itemIdentifier``),
  fails the whole batch.

It stops when a receive returns no message (or after ``max_batches`` invocations).
"""

from __future__ import annotations

import base64
import json
import logging
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import boto3

__all__ = ["DrainReport", "FakeLambdaContext", "Invocation", "build_sqs_event", "drain", "fake_context"]

LOGGER = logging.getLogger(__name__)
DEFAULT_FUNCTION_NAME = "paysync-local-SyncWorkerFunction"

Handler = Callable[[dict[str, Any], Any], Any]


# ------------------------------------------------------------------ context


@dataclass
class FakeLambdaContext:
    """What the Python runtime passes as ``context`` (the attributes Powertools reads included)."""

    function_name: str
    function_version: str = "$LATEST"
    invoked_function_arn: str = ""
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = ""
    log_stream_name: str = ""
    identity: Any = None
    client_context: Any = None
    timeout_seconds: float = 300.0
    _deadline: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        if not self._deadline:
            self._deadline = time.monotonic() + self.timeout_seconds
        if not self.log_group_name:
            self.log_group_name = f"/aws/lambda/{self.function_name}"
        if not self.log_stream_name:
            self.log_stream_name = f"{time.strftime('%Y/%m/%d')}/[{self.function_version}]{uuid.uuid4().hex}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def fake_context(
    function_name: str = DEFAULT_FUNCTION_NAME,
    *,
    memory_limit_in_mb: int = 512,
    timeout_seconds: float = 300.0,
    region: str = "eu-west-3",
    account_id: str = "123456789012",
) -> FakeLambdaContext:
    """A fresh context for one invocation (new request id, deadline ``timeout_seconds`` from now)."""
    return FakeLambdaContext(
        function_name=function_name,
        invoked_function_arn=f"arn:aws:lambda:{region}:{account_id}:function:{function_name}",
        memory_limit_in_mb=memory_limit_in_mb,
        timeout_seconds=timeout_seconds,
    )


# ------------------------------------------------------------------ report


@dataclass
class Invocation:
    """One handler invocation: the batch, what failed, and the handler's error if it raised."""

    message_ids: list[str]
    failed_ids: list[str]
    response: Any = None
    error: BaseException | None = None


@dataclass
class DrainReport:
    """What a drain did.

    ``successes`` counts messages deleted after a successful invocation; ``failures`` counts message
    deliveries that failed (reported in ``batchItemFailures`` or in a failed batch), so a message
    retried three times counts three times.
    """

    invocations: int = 0
    received: int = 0
    successes: int = 0
    failures: int = 0
    handler_errors: int = 0
    history: list[Invocation] = field(default_factory=list)

    @property
    def errors(self) -> list[BaseException]:
        return [invocation.error for invocation in self.history if invocation.error is not None]


# ------------------------------------------------------------------ event


def build_sqs_event(messages: Sequence[Mapping[str, Any]], *, queue_arn: str) -> dict[str, Any]:
    """The event Lambda passes for a batch of messages received from the queue ``queue_arn``."""
    region = queue_arn.split(":")[3]
    return {"Records": [_record(message, queue_arn=queue_arn, region=region) for message in messages]}


def _record(message: Mapping[str, Any], *, queue_arn: str, region: str) -> dict[str, Any]:
    record: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message.get("Body", ""),
        "attributes": dict(message.get("Attributes") or {}),
        "messageAttributes": {
            name: _message_attribute(value)
            for name, value in (message.get("MessageAttributes") or {}).items()
        },
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }
    if "MD5OfMessageAttributes" in message:
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


def _message_attribute(value: Mapping[str, Any]) -> dict[str, Any]:
    """SQS API shape (``StringValue``, bytes ``BinaryValue``) to Lambda's (camelCase, base64)."""
    attribute: dict[str, Any] = {
        "stringListValues": list(value.get("StringListValues") or []),
        "binaryListValues": [_b64(item) for item in value.get("BinaryListValues") or []],
        "dataType": value["DataType"],
    }
    if "StringValue" in value:
        attribute["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        attribute["binaryValue"] = _b64(value["BinaryValue"])
    return attribute


def _b64(value: bytes | str) -> str:
    raw = value.encode() if isinstance(value, str) else value
    return base64.b64encode(raw).decode()


# ------------------------------------------------------------------ drain


def drain(
    queue_url: str,
    handler: Handler,
    *,
    batch_size: int = 10,
    max_batches: int | None = None,
    endpoint_url: str | None = None,
    context_factory: Callable[[], Any] | None = None,
    function_name: str = DEFAULT_FUNCTION_NAME,
    region: str | None = None,
) -> DrainReport:
    """Deliver the queue's messages to ``handler`` in batches until the queue is empty.

    ``endpoint_url=None`` uses boto3's defaults (``AWS_ENDPOINT_URL`` from the local stack, or
    in-process moto). ``context_factory`` makes each invocation's context (default:
    :func:`fake_context` for ``function_name``).
    """
    if not 1 <= batch_size <= 10:
        raise ValueError("SQS delivers 1 to 10 messages per batch")
    sqs = boto3.client("sqs", endpoint_url=endpoint_url, region_name=region)
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    make_context = context_factory or (lambda: fake_context(function_name, region=queue_arn.split(":")[3]))
    report = DrainReport()

    while max_batches is None or report.invocations < max_batches:
        messages = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=batch_size,
            AttributeNames=["All"],
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
            WaitTimeSeconds=0,
        ).get("Messages", [])
        if not messages:
            break
        report.received += len(messages)
        invocation = _invoke(handler, build_sqs_event(messages, queue_arn=queue_arn), make_context())
        report.invocations += 1
        report.history.append(invocation)
        if invocation.error is not None:
            report.handler_errors += 1
        failed = set(invocation.failed_ids)
        succeeded = [message for message in messages if message["MessageId"] not in failed]
        retried = [message for message in messages if message["MessageId"] in failed]
        _delete(sqs, queue_url, succeeded)
        _make_visible(sqs, queue_url, retried)
        report.successes += len(succeeded)
        report.failures += len(retried)
    return report


def _invoke(handler: Handler, event: dict[str, Any], context: Any) -> Invocation:
    message_ids = [record["messageId"] for record in event["Records"]]
    try:
        response = handler(event, context)
    except Exception as error:
        LOGGER.warning("handler raised %r: the whole batch of %d fails", error, len(message_ids))
        return Invocation(message_ids, list(message_ids), error=error)
    failed = _failed_ids(response, message_ids)
    return Invocation(message_ids, failed, response=response)


def _failed_ids(response: Any, message_ids: list[str]) -> list[str]:
    """The messages Lambda would return to the queue for this handler response.

    Complete success: no response, an empty one, or a null or empty ``batchItemFailures``. Complete
    failure: a response that is not a JSON object, or an ``itemIdentifier`` that is missing, empty or
    not a message of the batch.
    """
    if response is None:
        return []
    try:
        json.dumps(response)
    except (TypeError, ValueError):
        LOGGER.warning("the response is not JSON-serialisable: the whole batch fails")
        return list(message_ids)
    if not isinstance(response, Mapping):
        LOGGER.warning("the response is not a JSON object: the whole batch fails")
        return list(message_ids)
    failures = response.get("batchItemFailures") or []
    if not isinstance(failures, list):
        failures = [failures]
    identifiers = [f.get("itemIdentifier") if isinstance(f, Mapping) else None for f in failures]
    if any(not identifier or identifier not in message_ids for identifier in identifiers):
        LOGGER.warning("invalid batchItemFailures %r: the whole batch fails", failures)
        return list(message_ids)
    return [str(identifier) for identifier in identifiers]


def _delete(sqs: Any, queue_url: str, messages: Sequence[Mapping[str, Any]]) -> None:
    if not messages:
        return
    entries = [{"Id": str(index), "ReceiptHandle": m["ReceiptHandle"]} for index, m in enumerate(messages)]
    result = sqs.delete_message_batch(QueueUrl=queue_url, Entries=entries)
    if result.get("Failed"):
        raise RuntimeError(f"could not delete processed messages: {result['Failed']}")


def _make_visible(sqs: Any, queue_url: str, messages: Sequence[Mapping[str, Any]]) -> None:
    if not messages:
        return
    entries = [
        {"Id": str(index), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
        for index, m in enumerate(messages)
    ]
    result = sqs.change_message_visibility_batch(QueueUrl=queue_url, Entries=entries)
    if result.get("Failed"):
        raise RuntimeError(f"could not return failed messages to the queue: {result['Failed']}")
