"""What the Lambda runtime gives a handler, and how Lambda reads its answer, for local runs.

- :func:`fake_context`: the ``context`` of one invocation (the attributes Powertools reads);
- :func:`build_sqs_event`: the exact event an SQS event source mapping hands the function;
- :func:`failed_ids`: which messages go back to the queue for a handler's answer, with
  ``FunctionResponseTypes: [ReportBatchItemFailures]``.

:mod:`local.executor` plays the event source mapping itself with these.
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

__all__ = [
    "DEFAULT_FUNCTION_NAME",
    "FakeLambdaContext",
    "Handler",
    "build_sqs_event",
    "failed_ids",
    "fake_context",
]

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


# ------------------------------------------------------------------ the answer


def failed_ids(response: Any, message_ids: list[str]) -> list[str]:
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
