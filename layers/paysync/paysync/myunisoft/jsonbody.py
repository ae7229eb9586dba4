"""A JSON request body sent in pieces, so that attachments are never copied whole.

An entry carries its files as base64 text (``pj_list[].content``): 20 MB of files are 27 MB of
text. Serialising such a body the usual way (``json.dumps`` escapes each string into a copy, joins
the pieces into one document, which is then encoded to bytes, and the socket layer slices what is
left to send) holds about four copies at once. Here every long base64 string is left out of the
serialised skeleton and sent as it is, as ASCII, one string at a time: the body costs one file's
bytes more than the strings it already holds. The bytes on the wire are the compact JSON that
``json.dumps(body, ensure_ascii=False, separators=(",", ":"))`` would give.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterator
from typing import Any

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
