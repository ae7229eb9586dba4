"""Test-wide safety (no real AWS credentials or endpoints, ever), and the tables printed at the end."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

# Set before any boto3 client is created (Powertools creates some at import time).
os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-3")
os.environ["AWS_ACCESS_KEY_ID"] = "testing"
os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
os.environ.pop("AWS_PROFILE", None)
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "PaysyncTest")
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "paysync")


# -- tables printed at the end of the session (the fault matrix) ---------------------------------------
# A test module hands its table to ``record_summary``; it is printed in the terminal summary, also
# under xdist, where a worker's output reaches the controller only through ``workeroutput``.
_SUMMARIES = pytest.StashKey[list[str]]()
_WORKER_KEY = "paysync_summaries"


def record_summary(config: pytest.Config, text: str) -> None:
    workeroutput = getattr(config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput.setdefault(_WORKER_KEY, []).append(text)
    else:
        config.stash.setdefault(_SUMMARIES, []).append(text)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: object, error: object) -> None:
    output = getattr(node, "workeroutput", {}) or {}
    config: pytest.Config = node.config  # type: ignore[attr-defined]
    for text in output.get(_WORKER_KEY, []):
        config.stash.setdefault(_SUMMARIES, []).append(text)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    for text in config.stash.get(_SUMMARIES, []):
        title, _, body = text.partition("\n")
        terminalreporter.write_sep("=", title)
        terminalreporter.write_line(body)


# ---------------------------------------------------------------- AWS, and the vendors' fakes
from local.fakes.silae import FakeSilae  # noqa: E402 - after the environment above, on purpose
from tests.fake_servers import running  # noqa: E402


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> str:
    """An empty AWS (this worker's moto server) that every boto3 client reaches; its endpoint."""
    from tests.aws_endpoint import fresh_aws

    return fresh_aws(monkeypatch)


@pytest.fixture(scope="module")
def silae_server() -> Iterator[FakeSilae]:
    """One fake Silae per test module; each module's ``fake`` fixture resets and seeds it."""
    with running(FakeSilae()) as fake:
        yield fake
