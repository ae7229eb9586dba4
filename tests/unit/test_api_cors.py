"""The API's answers carry CORS headers for the console's origin (CONSOLE_ORIGIN) and for no other."""

from __future__ import annotations

from typing import Any

import pytest

from paysync.api.app import build, console_cors

CONSOLE = "https://d111111abcdef8.cloudfront.net"


def _answer(origin: str) -> dict[str, Any]:
    event = {
        "httpMethod": "GET",
        "path": "/nowhere",
        "resource": "/nowhere",
        "headers": {"Origin": origin},
        "requestContext": {"stage": "v1"},
        "pathParameters": None,
        "queryStringParameters": None,
        "body": None,
        "isBase64Encoded": False,
    }
    answer: dict[str, Any] = build("status").resolve(event, None)
    return {k: v for k, v in answer["multiValueHeaders"].items()}


def test_without_console_origin_there_is_no_cors_at_all(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONSOLE_ORIGIN", raising=False)
    assert console_cors() is None
    assert "Access-Control-Allow-Origin" not in _answer(CONSOLE)


def test_the_console_s_origin_and_only_it_may_read_the_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONSOLE_ORIGIN", CONSOLE + "/")
    headers = _answer(CONSOLE)
    assert headers["Access-Control-Allow-Origin"] == [CONSOLE]
    assert "Location" in headers["Access-Control-Expose-Headers"][0]
    assert "Access-Control-Allow-Origin" not in _answer("https://evil.example")
