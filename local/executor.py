"""Plays Lambda over the FIFO queue with several workers at once (benchmarks, fault tests).

:func:`local.lambda_runner.drain` delivers one batch at a time. :class:`FifoExecutor` runs ``workers``
threads, each one a Lambda *container*: it receives a batch (``batch_size`` messages, like the
event source mapping's poller), invokes the handler with the exact SQS event Lambda builds, and
applies the partial batch response. What it keeps from Lambda:

- **never two batches of one message group at once**: SQS FIFO (moto) does not hand out a group
  with messages in flight; the executor also counts any overlap it sees (``group_overlaps``, which
  must stay 0). A batch may hold several groups, in queue order, as Lambda's does;
- **containers**: each worker loads its own copy of the handler module (module-level state is per
  container) and gets its own :class:`paysync.usecases.services.Services`: boto3 repositories, a
  Secrets Manager cache, a Silae token cache and MyUnisoft pacers of its own, as separate Lambda
  containers have. ``paysync.entrypoints.services`` is routed to the calling worker's container
  while the executor runs;
- **a dying container** (any ``BaseException`` out of the handler: tests kill workers that way)
  loses its batch: the messages come back and a fresh container (a cold start) takes over;
- **failed messages come back** and count their receives; SQS's redrive policy moves a message to
  the dead-letter queue after ``maxReceiveCount`` receives.

What it does not keep: time. A returned message is visible again at once (Lambda waits for the
queue's visibility timeout), and the function's timeout is not enforced. Shared by all workers, as
they are by the threads of one process: the library's modules, the boto3 clients and resources
(thread-safe clients; ``paysync.storage.aws`` caches them per process), and Powertools' logger and
metrics singletons. SQS calls are serialised by one lock, which stands for SQS's own atomicity
(moto's receive is not thread-safe).
"""

from __future__ import annotations

import importlib.util
import itertools
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3

from local.lambda_runner import (
    DEFAULT_FUNCTION_NAME,
    _delete,
    _failed_ids,
    _make_visible,
    build_sqs_event,
    fake_context,
)

__all__ = [
    "SYNC_WORKER",
    "Container",
    "EventSource",
    "ExecutorReport",
    "FifoExecutor",
    "InvocationRecord",
    "event_source",
]

LOGGER = logging.getLogger(__name__)
REPO = Path(__file__).resolve().parents[1]
SYNC_WORKER = REPO / "functions" / "sync_worker" / "app.py"


# ------------------------------------------------------------------ the template's settings


@dataclass(frozen=True)
class EventSource:
    """What the template says about the worker's SQS event source."""

    batch_size: int
    maximum_concurrency: int | None
    timeout_seconds: float


def event_source(template: Mapping[str, Any], function: str = "SyncWorkerFunction") -> EventSource:
    """The SQS event source of ``function`` in a loaded template (``local.cfn.load_template``)."""
    spec = template["Resources"][function]["Properties"]
    (event,) = (e for e in spec.get("Events", {}).values() if e.get("Type") == "SQS")
    properties = event["Properties"]
    scaling = properties.get("ScalingConfig") or {}
    timeout = spec.get("Timeout", (template.get("Globals") or {}).get("Function", {}).get("Timeout", 3))
    if isinstance(timeout, dict):  # !FindInMap [Map, Key, Name]
        name, key, attribute = timeout["Fn::FindInMap"]
        timeout = template["Mappings"][name][key][attribute]
    concurrency = scaling.get("MaximumConcurrency")
    return EventSource(
        batch_size=int(properties.get("BatchSize", 10)),
        maximum_concurrency=int(concurrency) if concurrency is not None else None,
        timeout_seconds=float(timeout),
    )


# ------------------------------------------------------------------ containers


@dataclass
class Container:
    """One emulated Lambda container: its handler module and its own Services."""

    number: int
    module: ModuleType
    services: Any
    invocations: int = 0


def container_services() -> Any:
    """A Services of its own, as a fresh container builds one (no cache shared with others)."""
    from paysync.config import get_settings
    from paysync.myunisoft.client import MyUnisoftAccess, MyUnisoftClient
    from paysync.myunisoft.ratelimit import RatePacer
    from paysync.silae.client import SilaeClient, SilaeCredentials, TokenCache
    from paysync.usecases.services import Services

    settings = get_settings()
    services = Services.from_settings(settings)
    tokens = TokenCache()
    pacers: dict[str, RatePacer] = {}
    lock = threading.Lock()

    def silae(credentials: SilaeCredentials) -> SilaeClient:
        return SilaeClient(credentials, settings.silae, http=services.http, token_cache=tokens)

    def myunisoft(access: MyUnisoftAccess) -> MyUnisoftClient:
        with lock:
            pacer = pacers.get(access.token_identity)
            if pacer is None:
                limits = settings.myunisoft
                pacer = pacers[access.token_identity] = RatePacer(
                    limits.rate_limit, limits.rate_window_seconds
                )
        return MyUnisoftClient(access, settings.myunisoft, http=services.http, pacer=pacer)

    services.silae = silae
    services.myunisoft = myunisoft
    return services


_current = threading.local()


@contextmanager
def _services_per_container() -> Iterator[None]:
    """Route ``paysync.entrypoints.services()`` to the calling worker's container."""
    from paysync import entrypoints

    original = entrypoints.services

    def routed() -> Any:
        container: Container | None = getattr(_current, "container", None)
        return container.services if container is not None else original()

    routed.cache_clear = original.cache_clear  # type: ignore[attr-defined]
    entrypoints.services = routed  # type: ignore[assignment]
    try:
        yield
    finally:
        entrypoints.services = original


# ------------------------------------------------------------------ report


@dataclass
class InvocationRecord:
    worker: int
    container: int
    started: float  # time.monotonic()
    ended: float
    message_ids: list[str]
    groups: list[str]
    failed_ids: list[str]
    error: str | None = None  # the handler raised an Exception: the whole batch failed
    crashed: str | None = None  # the container died (BaseException): the batch came back


@dataclass
class ExecutorReport:
    workers: int
    batch_size: int
    started: float = 0.0
    ended: float = 0.0
    received: int = 0
    deleted: int = 0
    returned: int = 0
    containers: int = 0
    crashes: int = 0
    group_overlaps: int = 0  # batches handed out while another batch of one of their groups ran
    timed_out: bool = False
    invocations: list[InvocationRecord] = field(default_factory=list)

    @property
    def makespan(self) -> float:
        return self.ended - self.started

    @property
    def busy_seconds(self) -> float:
        return sum(i.ended - i.started for i in self.invocations)

    @property
    def crash_errors(self) -> list[str]:
        return [i.crashed for i in self.invocations if i.crashed]


# ------------------------------------------------------------------ executor


class FifoExecutor:
    """Drain a FIFO queue with ``workers`` concurrent containers; see the module docstring.

    ``on_container`` is called with each new container (tests use it to count cold starts).
    ``max_seconds`` bounds the whole drain: a safety net, reported as ``timed_out``.
    """

    def __init__(
        self,
        queue_url: str,
        *,
        workers: int,
        batch_size: int = 10,
        handler_path: Path = SYNC_WORKER,
        function_name: str = DEFAULT_FUNCTION_NAME,
        timeout_seconds: float = 300.0,
        max_seconds: float = 600.0,
        services_factory: Callable[[], Any] = container_services,
        on_container: Callable[[Container], None] | None = None,
    ) -> None:
        if workers < 1:
            raise ValueError("at least one worker")
        if not 1 <= batch_size <= 10:
            raise ValueError("a FIFO event source delivers 1 to 10 messages per batch")
        self.queue_url = queue_url
        self.workers = workers
        self.batch_size = batch_size
        self.handler_path = handler_path
        self.function_name = function_name
        self.timeout_seconds = timeout_seconds
        self.max_seconds = max_seconds
        self._services_factory = services_factory
        self._on_container = on_container
        self._sqs: Any = boto3.client("sqs")
        self._queue_arn = self._sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self._cond = threading.Condition()
        self._in_flight = 0
        self._active_groups: Counter[str] = Counter()
        self._done = False
        self._deadline = 0.0
        self._numbers = itertools.count(1)
        self._report = ExecutorReport(workers=workers, batch_size=batch_size)

    # -- public ------------------------------------------------------------------------------------
    def run(self) -> ExecutorReport:
        report = self._report
        report.started = time.monotonic()
        self._deadline = report.started + self.max_seconds
        with _services_per_container():
            threads = [
                threading.Thread(target=self._worker, args=(index,), name=f"container-worker-{index}")
                for index in range(self.workers)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        report.ended = max([report.started, *(i.ended for i in report.invocations)])
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
                self._report.received += len(messages)
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
                self._report.deleted += len(messages) - len(failed)
                self._report.returned += len(failed)
                self._report.invocations.append(record)
                for group in set(groups):
                    self._active_groups[group] -= 1
                self._in_flight -= 1
                self._cond.notify_all()
            if record.crashed:
                self._report.crashes += 1
                container = None

    def _next_batch(self) -> list[dict[str, Any]] | None:
        """A batch to work on, or None when the drain is over. Caller holds the condition."""
        while not self._done:
            if time.monotonic() > self._deadline:
                self._report.timed_out = True
                self._done = True
                break
            messages: list[dict[str, Any]] = self._sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=self.batch_size,
                AttributeNames=["All"],
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
                WaitTimeSeconds=0,
            ).get("Messages", [])
            if messages:
                return messages
            if self._in_flight == 0:
                # Nothing visible and nothing that could come back: the queue is drained.
                self._done = True
                break
            self._cond.wait(timeout=0.05)
        self._cond.notify_all()
        return None

    def _new_container(self) -> Container:
        number = next(self._numbers)
        spec = importlib.util.spec_from_file_location(
            f"_paysync_container_{number}_{self.handler_path.parent.name}", self.handler_path
        )
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load {self.handler_path}")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        container = Container(number=number, module=module, services=self._services_factory())
        with self._cond:
            self._report.containers += 1
        if self._on_container is not None:
            self._on_container(container)
        return container

    def _invoke(
        self, index: int, container: Container, messages: Sequence[dict[str, Any]], groups: list[str]
    ) -> InvocationRecord:
        ids = [m["MessageId"] for m in messages]
        event = build_sqs_event(messages, queue_arn=self._queue_arn)
        context = fake_context(
            self.function_name, timeout_seconds=self.timeout_seconds, region=self._queue_arn.split(":")[3]
        )
        record = InvocationRecord(index, container.number, time.monotonic(), 0.0, ids, groups, [])
        _current.container = container
        container.invocations += 1
        try:
            response = container.module.handler(event, context)
        except Exception as error:
            LOGGER.warning("handler raised %r: the whole batch of %d fails", error, len(ids))
            record.error = repr(error)
            record.failed_ids = list(ids)
        except BaseException as death:  # a killed container: its batch comes back
            if isinstance(death, KeyboardInterrupt):
                raise
            record.crashed = repr(death)
            record.failed_ids = list(ids)
        else:
            record.failed_ids = _failed_ids(response, ids)
        finally:
            _current.container = None
            record.ended = time.monotonic()
        return record


def _group(message: Mapping[str, Any]) -> str:
    return str((message.get("Attributes") or {}).get("MessageGroupId", ""))
