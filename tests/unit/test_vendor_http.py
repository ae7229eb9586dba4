"""The HTTP plumbing both vendor clients share: Retry-After and X-Rate-Limit-Reset, the retry
policy, redaction, and the base client's set-up and close."""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from email.utils import format_datetime

import httpx
import pytest

from paysync.vendor_http.client import VendorClient, redact
from paysync.vendor_http.headers import header_float, header_int, resolve_reset, retry_after
from paysync.vendor_http.retry import (
    MAX_BACKOFF_SECONDS,
    MAX_RETRY_AFTER_SECONDS,
    RetryPolicy,
    is_transient_status,
    may_have_been_sent,
)

NOW = datetime(2025, 3, 14, 9, 0, 0, tzinfo=UTC).timestamp()


def headers(**values: str) -> httpx.Headers:
    return httpx.Headers({name.replace("_", "-"): value for name, value in values.items()})


# -- Retry-After --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7", 7.0),
        ("0", 0.0),
        (" 2.5 ", 2.5),
        ("-3", 0.0),  # never a negative wait
        ("Fri, 14 Mar 2025 09:00:30 GMT", 30.0),  # IMF-fixdate, the preferred HTTP-date
        ("Friday, 14-Mar-25 09:01:00 GMT", 60.0),  # obsolete RFC 850 date
        ("Fri Mar 14 09:00:05 2025", 5.0),  # obsolete asctime date, GMT though it says no zone
        ("Fri, 14 Mar 2025 08:59:00 GMT", 0.0),  # a date already past: retry now
    ],
    ids=["seconds", "zero", "fraction", "negative", "imf-fixdate", "rfc850", "asctime", "past-date"],
)
def test_retry_after_reads_seconds_and_http_dates(value: str, expected: float) -> None:
    assert retry_after(headers(retry_after=value), NOW) == pytest.approx(expected)


@pytest.mark.parametrize("value", ["", "soon", "Fri, 32 Mar 2025 09:00:00 GMT", "inf", "nan", "-inf"])
def test_retry_after_garbage_is_none(value: str) -> None:
    assert retry_after(headers(retry_after=value), NOW) is None


def test_retry_after_missing_is_none() -> None:
    assert retry_after(httpx.Headers(), NOW) is None


def test_retry_after_date_written_by_the_stdlib_round_trips() -> None:
    when = datetime.fromtimestamp(NOW + 42, tz=UTC)
    assert retry_after(headers(retry_after=format_datetime(when, usegmt=True)), NOW) == pytest.approx(42)


# -- X-Rate-Limit-* -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "now", "expected"),
    [
        (1596442585.866154, 1596442580.0, 1596442585.866154),
        (1596442585866.0, 1596442580.0, 1596442585.866),
        (3.0, 1596442580.0, 1596442583.0),
        (12.0, 10.0, 12.0),  # a small fake clock: the absolute reading wins the tie
    ],
)
def test_resolve_reset(value: float, now: float, expected: float) -> None:
    assert resolve_reset(value, now) == pytest.approx(expected)


def test_numeric_headers() -> None:
    given = headers(x_rate_limit_reset="1596442585.866154", x_rate_limit_remaining="3.0", bad="x")
    assert header_float(given, "X-Rate-Limit-Reset") == pytest.approx(1596442585.866154)
    assert header_int(given, "x-rate-limit-remaining") == 3
    assert header_float(given, "bad") is None
    assert header_int(given, "bad") is None
    assert header_float(given, "missing") is None


# -- retry policy -------------------------------------------------------------------------------------
def test_backoff_doubles_from_the_first_attempt_and_is_capped() -> None:
    policy = RetryPolicy(attempts=8, backoff_seconds=2.5)
    assert [policy.backoff(attempt) for attempt in range(1, 7)] == [2.5, 5.0, 10.0, 20.0, 30.0, 30.0]
    assert MAX_BACKOFF_SECONDS == 30.0
    assert RetryPolicy(attempts=3, backoff_seconds=0).backoff(3) == 0.0


def test_wait_is_the_server_s_retry_after_else_the_backoff_and_none_beyond_the_limit() -> None:
    policy = RetryPolicy(attempts=3, backoff_seconds=0.5)
    assert policy.wait(2) == 1.0
    assert policy.wait(2, retry_after=0.0) == 0.0  # the server says now: not a backoff more
    assert policy.wait(1, retry_after=7.0) == 7.0
    assert policy.wait(1, retry_after=MAX_RETRY_AFTER_SECONDS) == MAX_RETRY_AFTER_SECONDS
    assert policy.wait(1, retry_after=MAX_RETRY_AFTER_SECONDS + 1) is None


class FlakyError(Exception):
    def __init__(self, retry_after: float | None = None) -> None:
        super().__init__("flaky")
        self.retry_after = retry_after


class Script:
    """Raises what it was given, one item per attempt, then returns "done"."""

    def __init__(self, *failures: Exception) -> None:
        self.failures = list(failures)
        self.attempts: list[int] = []

    def __call__(self, attempt: int) -> str:
        self.attempts.append(attempt)
        if self.failures:
            raise self.failures.pop(0)
        return "done"


def run(policy: RetryPolicy, script: Script, sleeps: list[float]) -> str:
    return policy.run(
        script,
        retryable=FlakyError,
        wait=lambda failure, attempt: policy.wait(attempt, failure.retry_after),
        sleep=sleeps.append,
    )


def test_run_retries_with_backoff_until_success() -> None:
    sleeps: list[float] = []
    script = Script(FlakyError(), FlakyError())
    assert run(RetryPolicy(attempts=3, backoff_seconds=0.5), script, sleeps) == "done"
    assert script.attempts == [1, 2, 3]
    assert sleeps == [0.5, 1.0]


def test_run_raises_the_last_failure_when_attempts_run_out() -> None:
    sleeps: list[float] = []
    last = FlakyError()
    script = Script(FlakyError(), FlakyError(), last)
    with pytest.raises(FlakyError) as caught:
        run(RetryPolicy(attempts=3, backoff_seconds=0.5), script, sleeps)
    assert caught.value is last
    assert sleeps == [0.5, 1.0]


def test_run_raises_at_once_what_is_not_retryable_or_asks_too_long_a_wait() -> None:
    sleeps: list[float] = []
    with pytest.raises(ValueError):
        run(RetryPolicy(attempts=3, backoff_seconds=0.5), Script(ValueError("no")), sleeps)
    too_long = FlakyError(retry_after=MAX_RETRY_AFTER_SECONDS + 1)
    with pytest.raises(FlakyError) as caught:
        run(RetryPolicy(attempts=3, backoff_seconds=0.5), Script(too_long), sleeps)
    assert caught.value is too_long
    assert sleeps == []


def test_run_honours_retry_after_and_does_not_sleep_zero() -> None:
    sleeps: list[float] = []
    script = Script(FlakyError(retry_after=7.0), FlakyError(retry_after=0.0))
    assert run(RetryPolicy(attempts=3, backoff_seconds=0.5), script, sleeps) == "done"
    assert sleeps == [7.0]


@pytest.mark.parametrize(
    ("status", "transient"),
    [
        (400, False),
        (401, False),
        (404, False),
        (408, True),
        (429, True),
        (500, True),
        (502, True),
        (503, True),
    ],
)
def test_transient_statuses(status: int, transient: bool) -> None:
    assert is_transient_status(status) is transient


def test_a_request_that_never_left_is_known_not_sent() -> None:
    request = httpx.Request("POST", "https://api.test/entry")
    for never_sent in (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout):
        assert not may_have_been_sent(never_sent("x", request=request))
    for maybe_sent in (httpx.ReadTimeout, httpx.WriteTimeout, httpx.ReadError, httpx.RemoteProtocolError):
        assert may_have_been_sent(maybe_sent("x", request=request))


# -- redaction and the base client --------------------------------------------------------------------
def test_redact_replaces_every_secret_and_ignores_empty_ones() -> None:
    text = "token tok-123 and secret s3cr3t, tok-123 again"
    assert redact(text, ("tok-123", "", "s3cr3t")) == "token *** and secret ***, *** again"
    assert redact(text, ()) == text


class Settings:
    timeout_seconds = 1.5
    max_attempts = 4
    backoff_seconds = 0.25


def test_a_client_it_made_is_closed_a_borrowed_one_is_not() -> None:
    with VendorClient(Settings(), secrets=()) as own:
        made = own._http
        assert own._retry == RetryPolicy(attempts=4, backoff_seconds=0.25)
        assert made.timeout == httpx.Timeout(1.5)
    assert made.is_closed
    borrowed = httpx.Client()
    with VendorClient(Settings(), secrets=(), http=borrowed):
        pass
    assert not borrowed.is_closed
    borrowed.close()


def test_sends_are_counted_with_the_configured_timeout_and_redacted_on_demand() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    client = VendorClient(
        Settings(), secrets=("k3y",), http=httpx.Client(transport=httpx.MockTransport(answer))
    )
    assert client._send("GET", "https://api.test/x").status_code == 204
    assert client._send("POST", "https://api.test/y", json={"a": 1}).status_code == 204
    assert client.calls == 2
    assert seen[0].extensions["timeout"] == httpx.Timeout(1.5).as_dict()
    assert client._redact("echo k3y") == "echo ***"


def test_transport_errors_are_left_to_the_vendor_client() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with VendorClient(Settings(), secrets=()) as client, pytest.raises(httpx.ConnectError):
        client._send("GET", f"http://127.0.0.1:{port}/")
    assert client.calls == 1


def test_every_vendor_client_shares_one_tls_context_with_httpx_s_authorities() -> None:
    import ssl

    import certifi

    from paysync.tls import tls_context

    context = tls_context()
    assert context is tls_context()
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    expected = ssl.create_default_context(cafile=certifi.where())
    assert context.cert_store_stats() == expected.cert_store_stats()
