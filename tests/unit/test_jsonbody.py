"""The JSON body sent in pieces (attachments never copied whole) is the usual compact JSON."""

from __future__ import annotations

import base64
import json

import pytest

from paysync.vendor_http.jsonbody import RAW_MIN_LENGTH, JsonBody

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
