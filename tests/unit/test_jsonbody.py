"""JSON both ways: the body sent in pieces (attachments never copied whole) is the usual compact
JSON; an answer is read as JSON or raises the caller's own error."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from paysync.vendor_http.jsonbody import RAW_MIN_LENGTH, JsonBody, decode_json, json_or_none

BIG = base64.b64encode(bytes(range(256)) * (RAW_MIN_LENGTH // 128)).decode("ascii")


@pytest.mark.parametrize(
    "body",
    [
        {
            "entry_list": [{"label": "Salaires « bruts »", "debit": 1.5}],
            "pj_list": [{"name": "a.pdf", "content": BIG}],
        },
        {
            "pj_list": [{"content": BIG}, {"content": BIG[:-4]}],
            "json": '{"x": "\\u0000"}',
            "n": None,
            "t": True,
        },
        # A long string that is not base64 is escaped as usual, not sent raw.
        {"comment": {"content": 'guillemets " et \\ antislash ' * (RAW_MIN_LENGTH // 10)}},
        # A label that looks like the placeholder is only text.
        {"label": "\x000:0\x00", "pj_list": [{"content": BIG}]},
        [1, "two", {"three": 3.0}],
    ],
)
def test_the_bytes_are_those_of_compact_json_and_can_be_sent_again(body: object) -> None:
    expected = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    sent = JsonBody(body)
    assert b"".join(sent) == expected
    assert len(sent) == len(expected)
    assert b"".join(sent) == expected  # a retry iterates again


def test_a_long_base64_string_is_sent_as_its_own_piece() -> None:
    pieces = list(JsonBody({"pj_list": [{"name": "a.pdf", "content": BIG}]}))
    assert BIG.encode("ascii") in pieces
    assert max(len(p) for p in pieces if p != BIG.encode("ascii")) < 100


# -- reading answers ----------------------------------------------------------------------------------
class NotJsonError(Exception):
    pass


@pytest.mark.parametrize(
    ("content", "expected"), [(b'{"a": [1, 2]}', {"a": [1, 2]}), (b"null", None), (b"[]", [])]
)
def test_decode_json_reads_json(content: bytes, expected: object) -> None:
    assert decode_json(httpx.Response(200, content=content), NotJsonError) == expected


@pytest.mark.parametrize("content", [b"<html>Bad Gateway</html>", b"", b"  ", b"\xff\xfe"])
def test_decode_json_raises_the_caller_s_error_when_not_json(content: bytes) -> None:
    with pytest.raises(NotJsonError):
        decode_json(httpx.Response(200, content=content), NotJsonError)


def test_decode_json_may_read_an_empty_body_as_none() -> None:
    assert decode_json(httpx.Response(200, content=b" \n"), NotJsonError, empty_is_none=True) is None
    with pytest.raises(NotJsonError):
        decode_json(httpx.Response(200, content=b"<html>"), NotJsonError, empty_is_none=True)


def test_json_or_none() -> None:
    assert json_or_none(httpx.Response(400, json={"error": {"code": "X"}})) == {"error": {"code": "X"}}
    assert json_or_none(httpx.Response(502, content=b"<html>Bad Gateway</html>")) is None
    assert json_or_none(httpx.Response(401, content=b"")) is None
