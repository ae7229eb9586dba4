"""AWS-side faults, injected into paysync's own boto3 clients through botocore's event hooks.

Two depths, as AWS fails in two ways:

- **per attempt** (``retried_by_sdk``): the answer to one HTTP attempt (``before-send``), e.g. a
  DynamoDB throttle; the SDK's own retries meet it first, as they would on AWS;
- **per call** (otherwise): the whole call fails as it does once the SDK's retries are spent
  (``before-call``), e.g. DynamoDB or Secrets Manager unavailable: paysync's code meets it.

A fault hits the next ``times`` matching calls (or attempts), deterministically. Only the clients
paysync made (``paysync.storage.aws``) are touched; the test's own boto3 calls go through.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, cast

from botocore.awsrequest import AWSResponse

# DynamoDB writes: what "the ledger writes" and "the run writes" are made of.
DYNAMODB_WRITES = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems")


@dataclass
class AwsFault:
    """``times`` calls of ``operations`` on ``service`` (botocore's hyphenated service id) fail with
    ``code``/``status``; ``table``: for DynamoDB, only calls naming a table whose name contains it."""

    name: str
    service: str
    operations: tuple[str, ...]
    code: str
    status: int
    times: int
    table: str | None = None
    retried_by_sdk: bool = False

    def matches(self, service: str, operation: str, body: bytes) -> bool:
        if self.times <= 0 or service != self.service or operation not in self.operations:
            return False
        return self.table is None or _names_table(body, self.table)


def _names_table(body: bytes, table: str) -> bool:
    try:
        payload = json.loads(body or b"{}")
    except ValueError:
        return False
    return any(table in name for name in _table_names(payload))


def _table_names(payload: Any) -> Iterator[str]:
    if isinstance(payload, dict):
        for key, value in payload.items():
            if key == "TableName" and isinstance(value, str):
                yield value
            else:
                yield from _table_names(value)
    elif isinstance(payload, list):
        for value in payload:
            yield from _table_names(value)


class _Body:
    def __init__(self, content: bytes) -> None:
        self._content = content

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._content


def _response(url: str, status: int, headers: dict[str, str], content: bytes) -> AWSResponse:
    return AWSResponse(url, status, cast(Any, headers), _Body(content))


class AwsFaults:
    """Installs faults on paysync's cached boto3 clients; ``injected`` counts them by name."""

    def __init__(self) -> None:
        self.faults: list[AwsFault] = []
        self.injected: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._installed: list[tuple[Any, str, Any]] = []

    def add(self, *faults: AwsFault) -> None:
        with self._lock:
            self.faults.extend(faults)

    def clear(self) -> None:
        with self._lock:
            self.faults.clear()

    def _take(self, service: str, operation: str, body: bytes, *, per_attempt: bool) -> AwsFault | None:
        with self._lock:
            for fault in self.faults:
                if fault.retried_by_sdk == per_attempt and fault.matches(service, operation, body):
                    fault.times -= 1
                    self.injected[fault.name] += 1
                    return fault
        return None

    def install(self) -> None:
        """Hook paysync's current clients (again after ``reset_container_state`` made new ones)."""
        from paysync.storage.aws import dynamodb, secretsmanager, sesv2, sqs

        self.uninstall()
        for client in (dynamodb().meta.client, secretsmanager(), sqs(), sesv2()):
            service = client.meta.service_model.service_id.hyphenize()
            for event, handler in (
                (f"before-call.{service}", self._before_call),
                (f"before-send.{service}", self._before_send),
            ):
                client.meta.events.register_first(event, handler)
                self._installed.append((client, event, handler))

    def uninstall(self) -> None:
        for client, event, handler in self._installed:
            client.meta.events.unregister(event, handler)
        self._installed.clear()

    def _before_call(self, params: dict[str, Any], model: Any, **_: Any) -> Any:
        service = model.service_model.service_id.hyphenize()
        body = params.get("body") or b""
        fault = self._take(service, model.name, body if isinstance(body, bytes) else b"", per_attempt=False)
        if fault is None:
            return None
        parsed = {
            "Error": {"Code": fault.code, "Message": f"injected: {fault.name}"},
            "ResponseMetadata": {"HTTPStatusCode": fault.status, "RequestId": "injected"},
        }
        return _response("https://injected.invalid", fault.status, {}, b""), parsed

    def _before_send(self, request: Any, **_: Any) -> Any:
        # JSON-protocol services name the call in X-Amz-Target: "DynamoDB_20120810.PutItem".
        raw = request.headers.get("X-Amz-Target") or b""
        target = raw.decode() if isinstance(raw, bytes) else str(raw)
        prefix, _dot, operation = target.partition(".")
        service = _TARGET_PREFIXES.get(prefix.lower(), prefix.lower())
        body = request.body if isinstance(request.body, bytes) else b""
        fault = self._take(service, operation, body, per_attempt=True)
        if fault is None:
            return None
        content = json.dumps({"__type": fault.code, "message": f"injected: {fault.name}"}).encode()
        headers = {"x-amzn-RequestId": "injected", "Content-Type": "application/x-amz-json-1.0"}
        return _response(request.url, fault.status, headers, content)


_TARGET_PREFIXES = {"dynamodb_20120810": "dynamodb", "secretsmanager": "secrets-manager"}


class FifoDeduplication:
    """SQS FIFO's deduplication window on paysync's SQS client: a message whose deduplication id
    was accepted less than five minutes ago is accepted again but never delivered. moto drops such
    a message only while the first one is still in the queue; SQS does for five minutes, even after
    the first was received and deleted, and that is what a planner invoked twice meets."""

    WINDOW_SECONDS = 300.0

    def __init__(self, clock: Any = None) -> None:
        import time

        self._clock = clock or time.monotonic
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()
        self._installed: tuple[Any, Any] | None = None
        self.dropped: list[str] = []

    def install(self) -> None:
        from paysync.storage.aws import sqs

        client = sqs()
        client.meta.events.register_first("before-call.sqs.SendMessageBatch", self._before_call)
        self._installed = (client, self._before_call)

    def uninstall(self) -> None:
        if self._installed is not None:
            client, handler = self._installed
            client.meta.events.unregister("before-call.sqs.SendMessageBatch", handler)
            self._installed = None

    def _before_call(self, params: dict[str, Any], **_: Any) -> Any:
        payload = json.loads(params["body"])
        now = self._clock()
        kept, answered = [], []
        with self._lock:
            for entry in payload["Entries"]:
                dedup = entry.get("MessageDeduplicationId", "")
                if now - self._seen.get(dedup, -self.WINDOW_SECONDS * 2) < self.WINDOW_SECONDS:
                    self.dropped.append(dedup)
                    answered.append(
                        {"Id": entry["Id"], "MessageId": f"dropped-{dedup}", "MD5OfMessageBody": ""}
                    )
                else:
                    self._seen[dedup] = now
                    kept.append(entry)
        if kept:
            payload["Entries"] = kept
            params["body"] = json.dumps(payload).encode()
            return (
                None  # the rest goes to the queue (its answer omits the dropped ones: paysync reads "Failed")
            )
        parsed = {"Successful": answered, "Failed": [], "ResponseMetadata": {"HTTPStatusCode": 200}}
        return _response("https://sqs.invalid", 200, {}, b""), parsed


# -- the AWS nights of the fault matrix -------------------------------------------------------------
@dataclass(frozen=True)
class AwsNight:
    """An AWS fault and when it strikes: while the night is planned, while runs work, or while
    the morning's reminders are sent."""

    name: str
    phase: str  # "planning" | "work"
    faults: Callable[[Any], list[AwsFault]]  # from the settings (table names)


def _table_fault(name: str, table: str, *, throttled: bool) -> Callable[[Any], list[AwsFault]]:
    def faults(settings: Any) -> list[AwsFault]:
        if throttled:  # per attempt: the SDK's own retries meet it first
            return [
                AwsFault(
                    name,
                    "dynamodb",
                    DYNAMODB_WRITES,
                    "ProvisionedThroughputExceededException",
                    400,
                    times=3,
                    table=getattr(settings, table),
                    retried_by_sdk=True,
                )
            ]
        return [
            AwsFault(
                name,
                "dynamodb",
                DYNAMODB_WRITES,
                "InternalServerError",
                500,
                times=3,
                table=getattr(settings, table),
            )
        ]

    return faults


AWS_NIGHTS = (
    AwsNight(
        "DynamoDB throttled: ledger writes", "work", _table_fault("ledger", "ledger_table", throttled=True)
    ),
    AwsNight(
        "DynamoDB unavailable: ledger writes", "work", _table_fault("ledger", "ledger_table", throttled=False)
    ),
    AwsNight("DynamoDB throttled: run writes", "work", _table_fault("runs", "runs_table", throttled=True)),
    AwsNight("DynamoDB unavailable: run writes", "work", _table_fault("runs", "runs_table", throttled=False)),
    AwsNight(
        "Secrets Manager unavailable",
        "work",
        lambda _: [
            AwsFault("secrets", "secrets-manager", ("GetSecretValue",), "InternalServiceError", 500, times=2)
        ],
    ),
    AwsNight(
        "SQS send fails while the night is planned",
        "planning",
        lambda _: [AwsFault("sqs", "sqs", ("SendMessageBatch",), "ServiceUnavailable", 503, times=1)],
    ),
)
