"""One AWS service over HTTPS: endpoint, credentials, signing, retries, errors.

Endpoints, region and credentials come from the environment, as Lambda provides them and as
botocore reads them: ``AWS_ENDPOINT_URL_<SERVICE>`` then ``AWS_ENDPOINT_URL`` (the local stack,
moto), else the service's regional endpoint; ``AWS_REGION``/``AWS_DEFAULT_REGION``;
``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``.

Retries follow botocore's rules: throttling, 5xx answers and lost connections are tried again with
exponential backoff and full jitter, up to the service's attempts (DynamoDB 10 and 50 ms as in
botocore's legacy mode that Lambda's boto3 uses; the others 3 and 1 s as its standard mode).
The HTTP connection is kept per thread and host, opened again when the server closed it.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from typing import Any, NamedTuple, Protocol
from urllib.parse import urlsplit

from paysync.aws.errors import AwsServiceError, AwsUnreachableError
from paysync.aws.signing import Credentials, sign
from paysync.observability import aws_subsegment
from paysync.tls import tls_context

TIMEOUT_SECONDS = 10.0
THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    }
)
_RETRIED_STATUSES = frozenset({500, 502, 503, 504})


class Request(NamedTuple):  # not a dataclass: cheaper to define at a cold start
    """One HTTP request to an AWS service, and the operation it calls (named in errors and X-Ray)."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    operation: str


class Response(NamedTuple):  # not a dataclass: cheaper to define at a cold start
    """An AWS service's HTTP answer, as the transport read it."""

    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes


class Transport(Protocol):
    def send(self, url: str, request: Request) -> Response:
        """One HTTP exchange; raises ``OSError``/``http.client.HTTPException`` when there is none."""


class HttpTransport:
    """The standard library's HTTP client, one kept-alive connection per thread and host."""

    def __init__(self, timeout: float = TIMEOUT_SECONDS) -> None:
        self._timeout = timeout
        self._local = threading.local()

    def _pool(self) -> dict[tuple[str, str], http.client.HTTPConnection]:
        if not hasattr(self._local, "pool"):
            self._local.pool = {}
        pool: dict[tuple[str, str], http.client.HTTPConnection] = self._local.pool
        return pool

    def _connection(self, scheme: str, netloc: str) -> http.client.HTTPConnection:
        pool = self._pool()
        connection = pool.get((scheme, netloc))
        if connection is None:
            if scheme == "https":
                connection = http.client.HTTPSConnection(netloc, timeout=self._timeout, context=tls_context())
            else:
                connection = http.client.HTTPConnection(netloc, timeout=self._timeout)
            pool[(scheme, netloc)] = connection
        return connection

    def send(self, url: str, request: Request) -> Response:
        parts = urlsplit(url)
        connection = self._connection(parts.scheme, parts.netloc)
        try:
            connection.request(request.method, request.path, body=request.body, headers=request.headers)
            answer = connection.getresponse()
            body = answer.read()
        except (OSError, http.client.HTTPException):
            connection.close()
            self._pool().pop((parts.scheme, parts.netloc), None)
            raise
        return Response(answer.status, {k.lower(): v for k, v in answer.getheaders()}, body)


def env_credentials() -> Credentials:
    """Lambda's credentials, from its environment; elsewhere (the operator's CLI) whatever botocore
    finds (profile, SSO), read again at each call so refreshed credentials are used."""
    key, secret = os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_SECRET_ACCESS_KEY")
    if key and secret:
        return Credentials(key, secret, os.environ.get("AWS_SESSION_TOKEN"))
    found = _botocore_session().get_credentials()
    if found is None:
        raise AwsUnreachableError(
            "no AWS credentials: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or a profile"
        )
    frozen = found.get_frozen_credentials()
    return Credentials(frozen.access_key, frozen.secret_key, frozen.token)


def env_region() -> str:
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    region = region or _botocore_session().get_config_variable("region")
    if not region:
        raise AwsUnreachableError("no AWS region: set AWS_REGION or a profile's region")
    return str(region)


@cache
def _botocore_session() -> Any:
    """Only outside Lambda, where the environment lacks what Lambda always sets."""
    try:
        import botocore.session
    except ImportError:
        raise AwsUnreachableError("no AWS credentials or region in the environment") from None
    return botocore.session.get_session()


class ServiceSpec(NamedTuple):  # not a dataclass: cheaper to define at a cold start
    """What tells one service from another on the wire."""

    name: str  # for messages: "dynamodb"
    endpoint_id: str  # AWS_ENDPOINT_URL_<endpoint_id>
    host_prefix: str  # <host_prefix>.<region>.amazonaws.com
    signing_name: str
    max_attempts: int
    backoff_base: float  # seconds


class AwsService:
    """Calls to one service. ``transport`` is the one seam tests use to make AWS fail."""

    def __init__(
        self,
        spec: ServiceSpec,
        *,
        transport: Transport | None = None,
        credentials: Callable[[], Credentials] = env_credentials,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.spec = spec
        self.transport: Transport = transport or HttpTransport()
        self.region = env_region()
        endpoint = (
            os.environ.get(f"AWS_ENDPOINT_URL_{spec.endpoint_id}")
            or os.environ.get("AWS_ENDPOINT_URL")
            or f"https://{spec.host_prefix}.{self.region}.amazonaws.com"
        )
        self.endpoint = endpoint.rstrip("/")
        self._host = urlsplit(self.endpoint).netloc
        self._credentials = credentials
        self._sleep = sleep

    def json_call(
        self, operation: str, payload: dict[str, Any], *, target: str, version: str
    ) -> dict[str, Any]:
        """An AWS JSON protocol call (DynamoDB, Secrets Manager, SQS)."""
        headers = {
            "Content-Type": f"application/x-amz-json-{version}",
            "X-Amz-Target": f"{target}.{operation}",
        }
        return self.send(Request("POST", "/", headers, json.dumps(payload).encode(), operation))

    def send(self, request: Request) -> dict[str, Any]:
        """Send with retries; the answer's JSON body, or ``AwsServiceError``/``AwsUnreachableError``.
        One X-Ray subsegment per call, its retries inside, as botocore's."""
        with aws_subsegment(self.spec.name, request.operation, self.region) as record_status:
            return self._send(request, record_status)

    def _send(self, request: Request, record_status: Callable[[int], None]) -> dict[str, Any]:
        for attempt in range(1, self.spec.max_attempts + 1):
            last = attempt == self.spec.max_attempts
            headers = dict(request.headers)
            headers.update(
                sign(
                    method=request.method,
                    host=self._host,
                    path=request.path,
                    headers=headers,
                    body=request.body,
                    credentials=self._credentials(),
                    region=self.region,
                    service=self.spec.signing_name,
                    now=datetime.now(UTC),
                )
            )
            try:
                answer = self.transport.send(self.endpoint + request.path, request._replace(headers=headers))
            except (OSError, http.client.HTTPException) as error:
                if last:
                    raise AwsUnreachableError(
                        f"{self.spec.name} {request.operation}: no answer ({type(error).__name__})"
                    ) from None
                self._sleep(self._backoff(attempt))
                continue
            if answer.status < 300 or last:
                record_status(answer.status)
            if answer.status < 300:
                return _json(answer.body)
            failure = self._error(request.operation, answer)
            if last or not (failure.code in THROTTLING_CODES or answer.status in _RETRIED_STATUSES):
                raise failure
            self._sleep(self._backoff(attempt))
        raise AssertionError("unreachable")  # the loop returns or raises on its last attempt

    def _backoff(self, attempt: int) -> float:
        ceiling = min(20.0, self.spec.backoff_base * 2.0 ** (attempt - 1))
        return random.random() * ceiling  # noqa: S311 - jitter, not secrecy

    def _error(self, operation: str, answer: Response) -> AwsServiceError:
        body = _json(answer.body)
        # JSON protocols: "__type": "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException";
        # REST (SES v2): the x-amzn-ErrorType header; SQS's JSON also says it in x-amzn-query-error.
        raw = str(
            answer.headers.get("x-amzn-query-error")
            or body.get("__type")
            or answer.headers.get("x-amzn-errortype")
            or body.get("code")
            or ""
        )
        code = (
            raw.split(";", maxsplit=1)[0].split(":", maxsplit=1)[0].rsplit("#", 1)[-1]
            or f"HTTP{answer.status}"
        )
        message = str(body.get("message") or body.get("Message") or "")
        return AwsServiceError(
            self.spec.name, operation, status=answer.status, code=code, message=message, body=body
        )


def _json(content: bytes) -> dict[str, Any]:
    if not content:
        return {}
    try:
        value = json.loads(content)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
