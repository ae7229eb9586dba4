"""One logger, tracer and metrics object for the whole library.

Logs and metrics are Powertools'. The tracer is paysync's own (:mod:`paysync.tracing`): Powertools'
``Tracer`` builds on the X-Ray SDK, some 55 ms of CPU per cold start for the three kinds of
subsegment paysync records: the handler, each vendor call (:func:`traced_call`, wrapped around
httpx's transport by ``paysync.vendor_http``) and each AWS call of ``paysync.aws``
(:func:`aws_subsegment`, as botocore's X-Ray patch records them).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from aws_lambda_powertools import Logger, Metrics

from paysync.tracing import Tracer

logger = Logger(service="paysync")
tracer = Tracer(service="paysync")


@contextlib.contextmanager
def aws_subsegment(service: str, operation: str, region: str) -> Iterator[Callable[[int], None]]:
    """One AWS call of ``paysync.aws`` as an X-Ray subsegment, as botocore's patch records them
    (namespace ``aws``, the operation, the answer's status); yields what records the status.
    Nothing outside a traced invocation."""
    with tracer.subsegment(service, namespace="aws") as subsegment:
        if subsegment is None:
            yield lambda status: None
            return
        subsegment.set_aws({"operation": operation, "region": region})
        yield lambda status: subsegment.put_http_meta("status", status)


@contextlib.contextmanager
def traced_call(host: str, method: str, url: str) -> Iterator[Callable[[int], None]]:
    """One vendor HTTP call as an X-Ray subsegment named after its host (namespace ``remote``, as
    the X-Ray SDK's httpx patch records it; the URL without its query string); yields what records
    the answer's status. Nothing outside a traced invocation."""
    with tracer.subsegment(host, namespace="remote") as subsegment:
        if subsegment is None:
            yield lambda status: None
            return
        subsegment.put_http_meta("method", method)
        subsegment.put_http_meta("url", url.partition("?")[0])
        yield lambda status: subsegment.put_http_meta("status", status)


metrics = Metrics(service="paysync")
