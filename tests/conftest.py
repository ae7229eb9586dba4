"""Test-wide safety: no real AWS credentials or endpoints, ever."""

from __future__ import annotations

import os
from collections.abc import Iterator

# Set before any boto3 client is created (Powertools creates some at import time).
os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-3")
os.environ["AWS_ACCESS_KEY_ID"] = "testing"
os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
os.environ.pop("AWS_PROFILE", None)
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "PaysyncTest")
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "paysync")


# ---------------------------------------------------------------- the vendors' fakes
import pytest

from local.fakes.silae import FakeSilae
from tests.fake_servers import running


@pytest.fixture(scope="module")
def silae_server() -> Iterator[FakeSilae]:
    """One fake Silae per test module; each module's ``fake`` fixture resets and seeds it."""
    with running(FakeSilae()) as fake:
        yield fake
