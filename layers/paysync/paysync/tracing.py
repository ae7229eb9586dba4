"""X-Ray tracing of paysync's invocations, sent to the X-Ray daemon without the X-Ray SDK.

Lambda opens each invocation's segment itself and hands its trace id, its parent id and the sampling
decision over in ``_X_AMZN_TRACE_ID``; a function only adds subsegments, each one a JSON document sent
over UDP to the daemon when it closes (as the SDK does with ``streaming_threshold=0``, which
Powertools sets). That much is what paysync needs: the handler, each vendor call and each AWS call.
The SDK that Powertools' ``Tracer`` builds on costs some 55 ms of CPU per cold start (wrapt,
asyncio, importlib.metadata, its plugins and patchers), more than a quarter of ``import boto3``.

What the handler subsegment holds is what Powertools' ``capture_lambda_handler`` records: the
``ColdStart`` and ``Service`` annotations, the answer as metadata (``POWERTOOLS_TRACER_CAPTURE_RESPONSE``)
and an error as metadata and cause (``POWERTOOLS_TRACER_CAPTURE_ERROR``). URLs are recorded without
their query string. Tracing never fails an invocation: a document the daemon cannot take is dropped.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import secrets
import socket
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

_HEADER = b'{"format": "json", "version": 1}\n'
_MAX_DATAGRAM = 64_000  # the daemon's limit is 64 KiB per UDP datagram
_FALSE = {"0", "false", "no", "off"}


def _env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() not in _FALSE


def _daemon_address() -> tuple[str, int]:
    """``AWS_XRAY_DAEMON_ADDRESS``: ``host:port``, or ``udp:host:port tcp:host:port`` (the UDP one)."""
    raw = os.environ.get("AWS_XRAY_DAEMON_ADDRESS", "127.0.0.1:2000").split()
    udp = next((part.removeprefix("udp:") for part in raw if part.startswith("udp:")), raw[0])
    host, _, port = udp.rpartition(":")
    return host, int(port)


class TraceHeader:
    """What Lambda put in ``_X_AMZN_TRACE_ID`` for the current invocation."""

    def __init__(self, root: str, parent: str | None, sampled: bool) -> None:
        self.root, self.parent, self.sampled = root, parent, sampled

    @classmethod
    def current(cls) -> TraceHeader | None:
        fields = dict(
            part.split("=", 1) for part in os.environ.get("_X_AMZN_TRACE_ID", "").split(";") if "=" in part
        )
        if not fields.get("Root"):
            return None
        return cls(fields["Root"], fields.get("Parent"), fields.get("Sampled") == "1")


class Subsegment:
    """One traced piece of work; its document goes to the daemon when it ends."""

    def __init__(self, name: str, trace: TraceHeader, parent_id: str | None, namespace: str | None) -> None:
        self.name = name
        self.id = secrets.token_hex(8)
        self.trace = trace
        self.parent_id = parent_id
        self.namespace = namespace
        self.start_time = time.time()
        self.annotations: dict[str, str | int | float | bool] = {}
        self.metadata: dict[str, dict[str, Any]] = {}
        self.http: dict[str, dict[str, Any]] = {}
        self.aws: dict[str, Any] = {}
        self.cause: dict[str, Any] | None = None

    def put_annotation(self, key: str, value: str | int | float | bool) -> None:
        self.annotations[key] = value

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        self.metadata.setdefault(namespace, {})[key] = value

    def put_http_meta(self, key: str, value: Any) -> None:
        """``url`` and ``method`` of the request, ``status`` of the response (as the SDK names them)."""
        side = "response" if key in ("status", "content_length") else "request"
        self.http.setdefault(side, {})[key] = value

    def set_aws(self, fields: dict[str, Any]) -> None:
        self.aws.update(fields)

    def add_exception(self, error: BaseException) -> None:
        frames = traceback.extract_tb(error.__traceback__)[-50:]
        self.cause = {
            "working_directory": os.getcwd(),
            "exceptions": [
                {
                    "id": secrets.token_hex(8),
                    "message": str(error),
                    "type": type(error).__name__,
                    "remote": False,
                    "stack": [
                        {"path": f.filename, "line": f.lineno, "label": f.name} for f in reversed(frames)
                    ],
                }
            ],
        }

    def document(self, end_time: float) -> dict[str, Any]:
        document: dict[str, Any] = {
            "name": self.name,
            "id": self.id,
            "trace_id": self.trace.root,
            "start_time": self.start_time,
            "end_time": end_time,
            "type": "subsegment",
        }
        if self.parent_id:
            document["parent_id"] = self.parent_id
        for key, value in (
            ("namespace", self.namespace),
            ("annotations", self.annotations),
            ("metadata", self.metadata),
            ("http", self.http),
            ("aws", self.aws),
        ):
            if value:
                document[key] = value
        # as X-Ray reads them: a 4xx answer is an error (429 a throttle), a 5xx or a raise a fault
        status = self.http.get("response", {}).get("status")
        if isinstance(status, int) and 400 <= status < 500:
            document["error"] = True
            document["throttle"] = status == 429
        elif (isinstance(status, int) and status >= 500) or self.cause is not None:
            document["fault"] = True
        if self.cause is not None:
            document["cause"] = self.cause
        return document


class Tracer:
    """Traces invocations and what they call, in Lambda only (``LAMBDA_TASK_ROOT`` set, not SAM's
    local runtime, ``POWERTOOLS_TRACE_DISABLED`` not set) and only when Lambda sampled the invocation."""

    def __init__(self, service: str) -> None:
        self.service = service
        self._local = threading.local()
        self._invocation: Subsegment | None = None  # the handler's: parent of other threads' work
        self._cold = True
        self._socket: socket.socket | None = None
        self._socket_lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return (
            bool(os.environ.get("LAMBDA_TASK_ROOT"))
            and not os.environ.get("AWS_SAM_LOCAL")
            and not _env_flag("POWERTOOLS_TRACE_DISABLED", False)
        )

    def capture_lambda_handler(self, handler: F) -> F:
        """The handler, run inside a ``## <name>`` subsegment as Powertools records it."""

        @functools.wraps(handler)
        def decorate(event: Any, context: Any, **kwargs: Any) -> Any:
            cold, self._cold = self._cold, False
            with self._open(f"## {handler.__name__}", None, invocation=True) as subsegment:
                if subsegment is None:
                    return handler(event, context, **kwargs)
                subsegment.put_annotation("ColdStart", cold)
                subsegment.put_annotation("Service", self.service)
                self._invocation = subsegment
                try:
                    response = handler(event, context, **kwargs)
                except Exception as error:
                    if _env_flag("POWERTOOLS_TRACER_CAPTURE_ERROR", True):
                        subsegment.put_metadata(f"{handler.__name__} error", repr(error), self.service)
                    raise
                finally:
                    self._invocation = None
                if _env_flag("POWERTOOLS_TRACER_CAPTURE_RESPONSE", True):
                    subsegment.put_metadata(f"{handler.__name__} response", response, self.service)
                return response

        return decorate  # type: ignore[return-value]

    def subsegment(
        self, name: str, namespace: str | None = None
    ) -> contextlib.AbstractContextManager[Subsegment | None]:
        """A subsegment of the current one (or of the invocation's, from another thread); ``None``
        where nothing is traced: outside Lambda, an invocation not sampled, or outside any invocation."""
        return self._open(name, namespace, invocation=False)

    @contextlib.contextmanager
    def _open(self, name: str, namespace: str | None, *, invocation: bool) -> Iterator[Subsegment | None]:
        stack: list[Subsegment] = self._local.__dict__.setdefault("stack", [])
        parent = self._current()
        if parent is not None:  # inside a traced invocation: its trace, under the current subsegment
            subsegment = Subsegment(name, parent.trace, parent.id, namespace)
        else:  # the invocation's own, under Lambda's segment, if Lambda sampled it
            trace = TraceHeader.current() if invocation and self.enabled else None
            if trace is None or not trace.sampled:
                yield None
                return
            subsegment = Subsegment(name, trace, trace.parent, namespace)
        stack.append(subsegment)
        try:
            yield subsegment
        except BaseException as error:
            subsegment.add_exception(error)
            raise
        finally:
            stack.pop()
            self._send(subsegment.document(time.time()))

    def put_annotation(self, key: str, value: str | int | float | bool) -> None:
        """On the current subsegment, if any."""
        current = self._current()
        if current is not None:
            current.put_annotation(key, value)

    def _current(self) -> Subsegment | None:
        stack: list[Subsegment] = self._local.__dict__.get("stack", [])
        return stack[-1] if stack else self._invocation

    def _send(self, document: dict[str, Any]) -> None:
        payload = json.dumps(document, default=str).encode()
        if len(payload) > _MAX_DATAGRAM and "metadata" in document:
            document = {key: value for key, value in document.items() if key != "metadata"}
            payload = json.dumps(document, default=str).encode()
        try:
            with self._socket_lock:
                if self._socket is None:
                    self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                self._socket.sendto(_HEADER + payload, _daemon_address())
        except (OSError, ValueError):
            pass  # a trace is never worth an invocation
