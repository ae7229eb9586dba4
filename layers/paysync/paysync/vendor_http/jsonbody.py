"""JSON both ways: request bodies sent in pieces, answers read with the caller's own error.

Sending: an entry carries its files as base64 text (``pj_list[].content``): 20 MB of files are
27 MB of text. Serialising such a body the usual way (``json.dumps`` escapes each string into a
copy, joins the pieces into one document, which is then encoded to bytes, and the socket layer
slices what is left to send) holds about four copies at once. Here every long base64 string is left out of the
serialised skeleton and sent as it is, as ASCII, one string at a time: the body costs one file's
bytes more than the strings it already holds. The bytes on the wire are the compact JSON that
``json.dumps(body, ensure_ascii=False, separators=(",", ":"))`` would give.

Reading: a success whose body is not JSON is the vendor's fault and each client names it with its
own typed error; an error answer's body is read when it is JSON and ignored when it is not.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Iterator
from typing import Any

import httpx

RAW_MIN_LENGTH = 64 * 1024  # shorter strings are serialised with the rest
_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")


class JsonBody:
    """``body`` as compact UTF-8 JSON: iterable any number of times (retries), with its length."""

    def __init__(self, body: Any) -> None:
        self._raw: list[str] = []
        nonce = secrets.token_hex(8)
        skeleton = json.dumps(self._swap(body, nonce), ensure_ascii=False, separators=(",", ":"))
        # json.dumps writes the placeholder's NUL characters as \u0000: nothing else can match.
        pieces = re.split(rf"\\u0000{nonce}:(\d+)\\u0000", skeleton)
        self._parts: list[bytes | int] = [
            piece.encode("utf-8") if n % 2 == 0 else int(piece) for n, piece in enumerate(pieces)
        ]
        self._length = sum(len(p) if isinstance(p, bytes) else len(self._raw[p]) for p in self._parts)

    def _swap(self, value: Any, nonce: str) -> Any:
        if isinstance(value, str):
            if len(value) >= RAW_MIN_LENGTH and _BASE64.fullmatch(value):
                self._raw.append(value)
                return f"\x00{nonce}:{len(self._raw) - 1}\x00"
            return value
        if isinstance(value, dict):
            return {key: self._swap(item, nonce) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self._swap(item, nonce) for item in value]
        return value

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[bytes]:
        for part in self._parts:
            # Base64 is ASCII, and a JSON string needs no escaping for it: the quotes are in the
            # skeleton around the placeholder.
            yield part if isinstance(part, bytes) else self._raw[part].encode("ascii")


def json_or_none(response: httpx.Response) -> Any:
    """The body as JSON, or None when it is not JSON (gateway pages, empty bodies)."""
    try:
        return response.json()
    except ValueError:
        return None


def decode_json(
    response: httpx.Response, not_json: Callable[[], Exception], *, empty_is_none: bool = False
) -> Any:
    """The body as JSON; ``not_json()`` is raised when it is not. With ``empty_is_none`` an empty
    (or blank) body is None rather than an error."""
    if empty_is_none and not response.content.strip():
        return None
    try:
        return response.json()
    except ValueError:
        raise not_json() from None
