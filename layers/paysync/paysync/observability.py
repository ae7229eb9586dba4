"""One logger, tracer and metrics object for the whole library (Powertools).

The tracer is built on first use. Building Powertools' ``Tracer`` imports the X-Ray SDK (wrapt,
asyncio: some 45 ms of CPU), which a handler's import does not otherwise need. Handlers still
decorate with ``@tracer.capture_lambda_handler`` at import; the real tracer is built at the first
invocation, before the handler body runs, so every call of every invocation is traced as before.

Nothing is patched when the tracer is built, since patching imports what it patches (botocore alone
cost 70 ms of CPU per cold start, and no function uses it: AWS calls go through ``paysync.aws``,
each recorded by :func:`aws_subsegment`). The X-Ray SDK's centralised sampling, whose connector
imports botocore, is never loaded in Lambda: there the SDK samples as the Lambda service decided
(``LAMBDA_TASK_ROOT``). httpx is patched by :func:`trace_httpx`, which whoever builds an httpx
client calls first (patching replaces ``httpx.Client``).
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics, Tracer

F = TypeVar("F", bound=Callable[..., Any])


class LazyTracer:
    """Powertools' ``Tracer`` with the same options, built when first needed.

    ``capture_lambda_handler`` and ``capture_method`` (plain functions) defer building it to the
    first call; any other attribute builds it at once and is the real tracer's.
    """

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._tracer: Tracer | None = None
        self._lock = threading.Lock()

    @property
    def tracer(self) -> Tracer:
        if self._tracer is None:
            with self._lock:
                if self._tracer is None:
                    self._tracer = Tracer(**self._options)
        return self._tracer

    @property
    def built(self) -> bool:
        return self._tracer is not None

    def capture_lambda_handler(
        self,
        lambda_handler: F | None = None,
        capture_response: bool | None = None,
        capture_error: bool | None = None,
    ) -> Any:
        if lambda_handler is None:
            return functools.partial(
                self.capture_lambda_handler, capture_response=capture_response, capture_error=capture_error
            )
        handler: F = lambda_handler
        traced: list[Callable[..., Any]] = []

        @functools.wraps(handler)
        def decorate(event: Any, context: Any, **kwargs: Any) -> Any:
            if not traced:
                traced.append(
                    self.tracer.capture_lambda_handler(
                        handler, capture_response=capture_response, capture_error=capture_error
                    )
                )
            return traced[0](event, context, **kwargs)

        return decorate

    def capture_method(
        self,
        method: F | None = None,
        capture_response: bool | None = None,
        capture_error: bool | None = None,
    ) -> Any:
        if method is None:
            return functools.partial(
                self.capture_method, capture_response=capture_response, capture_error=capture_error
            )
        plain: F = method
        if (
            not inspect.isfunction(plain)
            or inspect.iscoroutinefunction(plain)
            or inspect.isgeneratorfunction(plain)
        ):
            # Coroutines, generators and context managers: Powertools wraps them by kind, at once.
            return self.tracer.capture_method(capture_response=capture_response, capture_error=capture_error)(
                plain
            )
        traced: list[Callable[..., Any]] = []

        @functools.wraps(plain)
        def decorate(*args: Any, **kwargs: Any) -> Any:
            if not traced:
                wrap = self.tracer.capture_method(
                    capture_response=capture_response, capture_error=capture_error
                )
                traced.append(wrap(plain))
            return traced[0](*args, **kwargs)

        return decorate

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.tracer, name)


logger = Logger(service="paysync")
# Nothing auto-patched (see the module's docstring): httpx by trace_httpx, AWS by aws_subsegment.
tracer = LazyTracer(service="paysync", auto_patch=False)


@contextlib.contextmanager
def aws_subsegment(service: str, operation: str, region: str) -> Iterator[Callable[[int], None]]:
    """One AWS call of ``paysync.aws`` as an X-Ray subsegment, as botocore's patch records them
    (namespace ``aws``, the operation, the answer's status); yields what records the status.
    Nothing outside a traced invocation. X-Ray's own http.client patch would import urllib3
    (20 ms of every cold start) and name only the host."""
    if not tracer.built or tracer.tracer.disabled:
        yield lambda status: None
        return
    with tracer.tracer.provider.in_subsegment(name=service) as segment:
        subsegment: Any = segment  # the X-Ray SDK's subsegment: more than BaseSegment says
        subsegment.namespace = "aws"
        subsegment.set_aws({"operation": operation, "region": region})
        yield lambda status: subsegment.put_http_meta("status", status)


metrics = Metrics(service="paysync")


def trace_httpx() -> None:
    """Trace the vendors' HTTP calls: to call before building an httpx client (patching replaces
    ``httpx.Client``). Once per container; nothing when tracing is off (outside Lambda)."""
    if not _httpx_traced:
        tracer.patch(["httpx"])
        _httpx_traced.append(True)


_httpx_traced: list[bool] = []
