"""AWS-side faults, injected into paysync's own AWS client (``paysync.aws``).

Two depths, as AWS fails in two ways:

- **per attempt** (``retried_by_sdk``): the answer to one HTTP attempt, given by a transport standing
  in front of the real one, e.g. a DynamoDB throttle; the client's own retries meet it first, as
  they would on AWS;
- **per call** (otherwise): the whole call fails as it does once the retries are spent (before any
  attempt), e.g. DynamoDB or Secrets Manager unavailable: paysync's code meets it.

A fault hits the next ``times`` matching calls (or attempts), deterministically. Only the clients
paysync made (``paysync.aws.services``) are touched; the test's own boto3 calls go through.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from paysync.aws.errors import AwsServiceError
from paysync.aws.wire import AwsService, Request, Response, Transport

# DynamoDB writes: what "the ledger writes" and "the run writes" are made of.
DYNAMODB_WRITES = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems")


@dataclass
class AwsFault:
    """``times`` calls of ``operations`` on ``service`` (``paysync.aws``'s service name) fail with
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


def _services() -> list[AwsService]:
    from paysync.aws.services import dynamodb, secretsmanager, sesv2, sqs

    return [dynamodb().service, secretsmanager().service, sqs().service, sesv2().service]


class _Installed:
    """What was put in front of paysync's clients, to take it away again."""

    def __init__(self) -> None:
        self._undo: list[Callable[[], None]] = []

    def wrap_send(self, service: AwsService, send: Callable[[Request], dict[str, Any]]) -> None:
        service.send = send  # type: ignore[method-assign,assignment]
        self._undo.append(lambda: service.__dict__.pop("send", None))

    def wrap_transport(self, service: AwsService, transport: Transport) -> None:
        original = service.transport
        service.transport = transport
        self._undo.append(lambda: setattr(service, "transport", original))

    def undo(self) -> None:
        while self._undo:
            self._undo.pop()()


class _FaultyTransport:
    def __init__(self, faults: AwsFaults, service: str, inner: Transport) -> None:
        self._faults, self._service, self._inner = faults, service, inner

    def send(self, url: str, request: Request) -> Response:
        fault = self._faults.take(self._service, request.operation, request.body, per_attempt=True)
        if fault is None:
            return self._inner.send(url, request)
        content = json.dumps({"__type": fault.code, "message": f"injected: {fault.name}"}).encode()
        headers = {"x-amzn-requestid": "injected", "content-type": "application/x-amz-json-1.0"}
        return Response(fault.status, headers, content)


class AwsFaults:
    """Installs faults on paysync's AWS clients; ``injected`` counts them by name."""

    def __init__(self) -> None:
        self.faults: list[AwsFault] = []
        self.injected: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._installed = _Installed()

    def add(self, *faults: AwsFault) -> None:
        with self._lock:
            self.faults.extend(faults)

    def clear(self) -> None:
        with self._lock:
            self.faults.clear()

    def take(self, service: str, operation: str, body: bytes, *, per_attempt: bool) -> AwsFault | None:
        with self._lock:
            for fault in self.faults:
                if fault.retried_by_sdk == per_attempt and fault.matches(service, operation, body):
                    fault.times -= 1
                    self.injected[fault.name] += 1
                    return fault
        return None

    def install(self) -> None:
        """Hook paysync's current clients (again after ``reset_container_state`` made new ones)."""
        self.uninstall()
        for service in _services():
            name, send = service.spec.name, service.send
            self._installed.wrap_transport(service, _FaultyTransport(self, name, service.transport))
            self._installed.wrap_send(service, self._failing_call(name, send))

    def _failing_call(
        self, service: str, send: Callable[[Request], dict[str, Any]]
    ) -> Callable[[Request], dict[str, Any]]:
        def call(request: Request) -> dict[str, Any]:
            fault = self.take(service, request.operation, request.body, per_attempt=False)
            if fault is None:
                return send(request)
            raise AwsServiceError(
                service,
                request.operation,
                status=fault.status,
                code=fault.code,
                message=f"injected: {fault.name}",
                body={},
            )

        return call

    def uninstall(self) -> None:
        self._installed.undo()


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
        self._installed = _Installed()
        self.dropped: list[str] = []

    def install(self) -> None:
        from paysync.aws.services import sqs

        service = sqs().service
        send = service.send

        def call(request: Request) -> dict[str, Any]:
            if request.operation != "SendMessageBatch":
                return send(request)
            return self._deduplicate(request, send)

        self._installed.wrap_send(service, call)

    def uninstall(self) -> None:
        self._installed.undo()

    def _deduplicate(self, request: Request, send: Callable[[Request], dict[str, Any]]) -> dict[str, Any]:
        payload = json.loads(request.body)
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
            # the rest goes to the queue (its answer omits the dropped ones: paysync reads "Failed")
            return send(request._replace(body=json.dumps({**payload, "Entries": kept}).encode()))
        return {"Successful": answered, "Failed": []}


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
            AwsFault("secrets", "secretsmanager", ("GetSecretValue",), "InternalServiceError", 500, times=2)
        ],
    ),
    AwsNight(
        "SQS send fails while the night is planned",
        "planning",
        lambda _: [AwsFault("sqs", "sqs", ("SendMessageBatch",), "ServiceUnavailable", 503, times=1)],
    ),
)
