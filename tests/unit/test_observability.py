"""The tracer is built at the first invocation, not at import, and then traces as Powertools does."""

from __future__ import annotations

from typing import Any

import pytest

from paysync.observability import LazyTracer


def test_decorating_builds_nothing_and_the_first_call_builds_the_tracer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    tracer = LazyTracer(service="test")

    @tracer.capture_lambda_handler
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return {"echo": event["x"]}

    @tracer.capture_method(capture_response=False)
    def helper(value: int) -> int:
        return value * 2

    assert not tracer.built
    assert handler({"x": 1}, None) == {"echo": 1}
    assert tracer.built
    assert helper(21) == 42
    assert handler.__name__ == "handler" and helper.__name__ == "helper"


def test_other_attributes_are_the_real_tracers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    tracer = LazyTracer(service="test")
    tracer.put_annotation("dossier", "x")  # disabled: a no-op, but the real method
    assert tracer.built and tracer.service == "test"
    with pytest.raises(AttributeError):
        tracer._missing  # noqa: B018
