"""Plays Lambda's SQS event source mapping over a (FIFO) queue on the local stack: the one emulator.

:class:`FifoExecutor` runs ``workers`` Lambda *containers*; each receives a batch (``batch_size``
messages, as the mapping's poller does), invokes the handler with the exact SQS event Lambda builds
and applies its answer as Lambda does with ``ReportBatchItemFailures``: messages not listed in
``batchItemFailures`` are deleted, listed ones go back to the queue, and a handler that raises (or
an answer Lambda would reject) fails the whole batch. :func:`drain` is the executor with one worker,
in the calling thread, running a handler as given (the demo, ``make serve``, most tests).

- **never two batches of one message group at once**: SQS FIFO (moto) does not hand out a group
  with messages in flight; the executor counts any overlap it sees (``group_overlaps``: must stay
  0). A batch may hold several groups, in queue order, as Lambda's does;
- **containers** (:mod:`local.containers`): from a handler's path, each loads its own copy of the
  module and gets its own Services (repositories, secrets cache, Silae tokens, MyUnisoft pacers);
  ``paysync.entrypoints.services`` is routed to the calling worker's container while it runs;
- **a dying container** (a ``BaseException`` but ``KeyboardInterrupt`` out of the handler: tests
  kill workers so) loses its batch: the messages come back, a fresh container (a cold start) goes on;
- **failed messages come back** and count their receives; the redrive policy moves a message to
  the dead-letter queue after ``maxReceiveCount`` receives.

Not kept: time. A returned message is visible again at once (Lambda waits for the visibility
timeout) and the function's timeout is not enforced. Workers share what the threads of one process
share (modules, boto3 clients, Powertools' singletons); SQS calls are serialised by one lock, which
stands for SQS's own atomicity (moto's receive is not thread-safe). A drain ends when a receive
finds nothing and no batch is in flight, after ``max_batches`` batches, or after ``max_seconds``
(``timed_out``).
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from local.cfn import Resolver, load_template, parameter_values
from local.containers import (
    SYNC_WORKER,
    Container,
    container_services,
    load_handler,
    running_in,
    services_per_container,
)
from local.lambda_runtime import DEFAULT_FUNCTION_NAME, Handler, build_sqs_event, failed_ids, fake_context

__all__ = ["DrainReport", "EventSource", "FifoExecutor", "Invocation", "drain", "event_source"]

LOGGER = logging.getLogger(__name__)
# How often idle workers look at the queue when no batch has finished since it was last empty.
IDLE_RECEIVE_SECONDS = 0.25


# ------------------------------------------------------------------ the template's settings


@dataclass(frozen=True)
class EventSource:
    """What the template says about the worker's SQS event source."""

    batch_size: int
    maximum_concurrency: int | None
    timeout_seconds: float


def event_source(
    template: Mapping[str, Any] | None = None, function: str = "SyncWorkerFunction"
) -> EventSource:
    """The SQS event source of ``function`` in a loaded template (default: template.yaml's)."""
    template = load_template() if template is None else template
    spec = template["Resources"][function]["Properties"]
    (event,) = (e for e in spec.get("Events", {}).values() if e.get("Type") == "SQS")
    properties = event["Properties"]
    scaling = properties.get("ScalingConfig") or {}
    timeout = spec.get("Timeout", (template.get("Globals") or {}).get("Function", {}).get("Timeout", 3))
    resolver = Resolver(template, parameters=parameter_values(template))
    concurrency = scaling.get("MaximumConcurrency")
    return EventSource(
        batch_size=int(properties.get("BatchSize", 10)),
        maximum_concurrency=int(concurrency) if concurrency is not None else None,
        timeout_seconds=float(resolver.resolve(timeout)),
    )


# ------------------------------------------------------------------ report


@dataclass
class Invocation:
    """One handler invocation: its batch, what went back to the queue, and why."""

    worker: int
    container: int
    started: float  # the executor's clock (time.monotonic unless given)
    ended: float
    message_ids: list[str]
    groups: list[str]
    failed_ids: list[str] = field(default_factory=list)
    response: Any = None
    error: Exception | None = None  # the handler raised: the whole batch failed
    crashed: BaseException | None = None  # the container died: the batch came back

    @property
    def returned(self) -> int:
        return len(set(self.failed_ids))


@dataclass
class DrainReport:
    """What a drain did.

    ``successes`` counts messages deleted after an invocation; ``failures`` counts deliveries that
    went back to the queue (listed in ``batchItemFailures``, in a failed batch or in a dead
    container's), so a message retried three times counts three times.
    """

    workers: int
    batch_size: int
    started: float = 0.0
    ended: float = 0.0
    containers: int = 0
    group_overlaps: int = 0  # batches handed out while another batch of one of their groups ran
    timed_out: bool = False
    history: list[Invocation] = field(default_factory=list)

    @property
    def invocations(self) -> int:
        return len(self.history)

    @property
    def received(self) -> int:
        return sum(len(i.message_ids) for i in self.history)

    @property
    def failures(self) -> int:
        return sum(i.returned for i in self.history)

    @property
    def successes(self) -> int:
        return self.received - self.failures

    @property
    def handler_errors(self) -> int:
        return len(self.errors)

    @property
    def errors(self) -> list[Exception]:
        return [i.error for i in self.history if i.error is not None]

    @property
    def crashes(self) -> int:
        return sum(1 for i in self.history if i.crashed is not None)

    @property
    def makespan(self) -> float:
        return self.ended - self.started

    @property
    def busy_seconds(self) -> float:
        return sum(i.ended - i.started for i in self.history)


# ------------------------------------------------------------------ executor


class FifoExecutor:
    """Drain a FIFO queue with ``workers`` concurrent containers; see the module docstring.

    ``handler``: a callable every container runs as is; without it, each container loads its own
    copy of ``handler_path``. ``services_factory`` gives each container its Services (None: the
    process's). ``on_container`` is called with each new container (tests use it to count cold
    starts). ``context_factory`` makes each invocation's context (default: :func:`fake_context`).
    ``endpoint_url``/``region`` of the SQS client: None uses boto3's defaults (``AWS_ENDPOINT_URL``
    from the local stack, or in-process moto). ``clock`` times the invocations and the makespan (a
    virtual clock for a night in virtual time, ``local.virtual_time``); ``max_seconds`` stays real.
    """

    def __init__(
        self,
        queue_url: str,
        *,
        workers: int = 1,
        batch_size: int = 10,
        handler: Handler | None = None,
        handler_path: Path = SYNC_WORKER,
        function_name: str = DEFAULT_FUNCTION_NAME,
        timeout_seconds: float = 300.0,
        max_seconds: float | None = 600.0,
        max_batches: int | None = None,
        services_factory: Callable[[], Any] | None = container_services,
        on_container: Callable[[Container], None] | None = None,
        context_factory: Callable[[], Any] | None = None,
        endpoint_url: str | None = None,
        region: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if workers < 1:
            raise ValueError("at least one worker")
        if not 1 <= batch_size <= 10:
            raise ValueError("SQS delivers 1 to 10 messages per batch")
        self.queue_url = queue_url
        self.workers = workers
        self.batch_size = batch_size
        self.handler = handler
        self.handler_path = handler_path
        self.function_name = function_name
        self.timeout_seconds = timeout_seconds
        self.max_seconds = max_seconds
        self.max_batches = max_batches
        self._services_factory = services_factory
        self._on_container = on_container
        self._clock = clock
        self._sqs: Any = boto3.client("sqs", endpoint_url=endpoint_url, region_name=region)
        self._queue_arn = self._sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self._context_factory = context_factory or self._fresh_context
        self._cond = threading.Condition()
        self._in_flight = 0
        self._handed_out = 0
        # Batches finished so far, and how many had when a receive last found nothing: until one
        # more finishes (a group freed, failed messages back), receiving again would find nothing
        # either, so idle workers wait instead of polling (their receives cost more CPU than the
        # night's own calls on a busy local stack).
        self._finished = 0
        self._empty_at = -1
        self._empty_since = 0.0
        self._active_groups: Counter[str] = Counter()
        self._done = False
        self._deadline = 0.0
        self._numbers = itertools.count(1)
        self._report = DrainReport(workers=workers, batch_size=batch_size)

    # -- public ------------------------------------------------------------------------------------
    def run(self) -> DrainReport:
        report = self._report
        report.started = self._clock()
        self._deadline = time.monotonic() + (
            self.max_seconds if self.max_seconds is not None else float("inf")
        )
        routing = services_per_container() if self._services_factory else contextlib.nullcontext()
        with routing:
            if self.workers == 1:
                self._worker(0)  # in the calling thread
            else:
                threads = [
                    threading.Thread(target=self._worker, args=(index,), name=f"container-worker-{index}")
                    for index in range(self.workers)
                ]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
        report.ended = max([report.started, *(i.ended for i in report.history)])
        return report

    # -- one worker ----------------------------------------------------------------------------------
    def _worker(self, index: int) -> None:
        container: Container | None = None
        while True:
            with self._cond:
                messages = self._next_batch()
                if messages is None:
                    return
                groups = [_group(m) for m in messages]
                self._in_flight += 1
                for group in set(groups):
                    if self._active_groups[group]:
                        self._report.group_overlaps += 1
                    self._active_groups[group] += 1
            if container is None:
                container = self._new_container()
            record = self._invoke(index, container, messages, groups)
            with self._cond:
                failed = set(record.failed_ids)
                _delete(self._sqs, self.queue_url, [m for m in messages if m["MessageId"] not in failed])
                # A container that died, or messages reported failed: back to the queue at once.
                _make_visible(self._sqs, self.queue_url, [m for m in messages if m["MessageId"] in failed])
                self._report.history.append(record)
                for group in set(groups):
                    self._active_groups[group] -= 1
                self._in_flight -= 1
                self._finished += 1
                self._cond.notify_all()
            if record.crashed:
                container = None

    def _next_batch(self) -> list[dict[str, Any]] | None:
        """A batch to work on, or None when the drain is over. Caller holds the condition."""
        while not self._done:
            if time.monotonic() > self._deadline:
                self._report.timed_out = True
                self._done = True
                break
            if self.max_batches is not None and self._handed_out >= self.max_batches:
                self._done = True
                break
            quiet = time.monotonic() - self._empty_since < IDLE_RECEIVE_SECONDS
            if self._in_flight and self._empty_at == self._finished and quiet:
                # Nothing came back since the last empty receive (a message sent from outside the
                # drain is still picked up within IDLE_RECEIVE_SECONDS).
                self._cond.wait(timeout=IDLE_RECEIVE_SECONDS)
                continue
            messages: list[dict[str, Any]] = self._sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=self.batch_size,
                AttributeNames=["All"],
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
                WaitTimeSeconds=0,
            ).get("Messages", [])
            if messages:
                self._handed_out += 1
                return messages
            if self._in_flight == 0:
                # Nothing visible and nothing that could come back: the queue is drained.
                self._done = True
                break
            self._empty_at, self._empty_since = self._finished, time.monotonic()
        self._cond.notify_all()
        return None

    def _new_container(self) -> Container:
        number = next(self._numbers)
        handler = self.handler or load_handler(self.handler_path, number)
        services = self._services_factory() if self._services_factory else None
        container = Container(number=number, handler=handler, services=services)
        with self._cond:
            self._report.containers += 1
        if self._on_container is not None:
            self._on_container(container)
        return container

    def _fresh_context(self) -> Any:
        return fake_context(
            self.function_name, timeout_seconds=self.timeout_seconds, region=self._queue_arn.split(":")[3]
        )

    def _invoke(
        self, index: int, container: Container, messages: Sequence[dict[str, Any]], groups: list[str]
    ) -> Invocation:
        ids = [m["MessageId"] for m in messages]
        event = build_sqs_event(messages, queue_arn=self._queue_arn)
        context = self._context_factory()
        record = Invocation(index, container.number, self._clock(), 0.0, ids, groups)
        container.invocations += 1
        try:
            with running_in(container):
                record.response = container.handler(event, context)
        except Exception as error:
            LOGGER.warning("handler raised %r: the whole batch of %d fails", error, len(ids))
            record.error = error
            record.failed_ids = list(ids)
        except BaseException as death:  # a killed container: its batch comes back
            if isinstance(death, KeyboardInterrupt):
                raise
            record.crashed = death
            record.failed_ids = list(ids)
        else:
            record.failed_ids = failed_ids(record.response, ids)
        finally:
            record.ended = self._clock()
        return record


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
    """Deliver the queue's messages to ``handler`` in batches until the queue is empty: the executor
    with one worker, in the calling thread, on the process's own Services."""
    executor = FifoExecutor(
        queue_url,
        workers=1,
        batch_size=batch_size,
        handler=handler,
        function_name=function_name,
        max_seconds=None,
        max_batches=max_batches,
        services_factory=None,
        context_factory=context_factory,
        endpoint_url=endpoint_url,
        region=region,
    )
    return executor.run()


def _group(message: Mapping[str, Any]) -> str:
    return str((message.get("Attributes") or {}).get("MessageGroupId", ""))


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
