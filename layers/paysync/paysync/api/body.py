"""What a request body must be before any route sees it: checked by the router first
(``paysync.api.routing``), and by nothing else.

A JSON decoder left to itself raises more than syntax errors (``RecursionError`` on deep nesting,
``ValueError`` on an integer past Python's int-str limit), and a media type is easy to match
loosely (``application/jsonx``, ``APPLICATION/JSON``): Powertools' resolver, which served the API
before, did both. Here:

- a body is declared ``application/json`` (an RFC 9110 media type: type and subtype compared
  without case, parameters allowed, a ``charset`` other than UTF-8 refused): otherwise ``415``;
- a body is readable JSON: UTF-8, at most ``MAX_BYTES``, nested at most ``MAX_DEPTH`` deep,
  integers of at most ``MAX_INTEGER_DIGITS`` digits, finite numbers, no ``NaN``/``Infinity``, no
  key twice in an object, no lone surrogate: otherwise ``400 invalid_json``;
- an empty body is no body (a route that requires one answers 422).

The event then goes on with the canonical ``Content-Type`` and the body as text, which the router
decodes with :func:`loads`, the same checks.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from typing import Any, NamedTuple

JSON_MEDIA_TYPE = "application/json"
MAX_BYTES = 1_048_576  # far above any settings body; API Gateway would take up to 10 MB
MAX_DEPTH = 32  # the deepest body the API takes is 3 levels deep
MAX_INTEGER_DIGITS = 4300  # Python's own int-str conversion limit, whatever the interpreter's setting

# RFC 9110 §5.6.2 (token), §5.6.4 (quoted-string), §8.3.1 (media-type with parameters)
_TCHARS = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_QUOTED = r'"(?:[\t \x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t \x21-\x7e\x80-\xff])*"'
_MEDIA_TYPE = re.compile(
    rf"({_TCHARS})/({_TCHARS})((?:[ \t]*;[ \t]*(?:{_TCHARS}=(?:{_TCHARS}|{_QUOTED}))?)*)"
)
_PARAMETER = re.compile(rf"({_TCHARS})=({_TCHARS}|{_QUOTED})")
# Strings as wholes (so that brackets inside them do not count), brackets, and a quote that opens
# no complete string: one pass, linear in the body's length.
_NESTING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]|"', re.DOTALL)


class Refused(NamedTuple):  # not a dataclass: cheaper to define at a cold start
    """A body refused before any route sees it: the status and error code to answer, and why."""

    status: int
    code: str
    reason: str  # in French, for the error's details; never quotes the body


class UnreadableJson(json.JSONDecodeError):
    """Any reason a body is not taken as JSON (a JSONDecodeError: any JSON reader says 400)."""

    def __init__(self, reason: str, text: str = "", position: int = 0) -> None:
        super().__init__(reason, text, position)
        self.reason = reason


def media_type(value: str) -> tuple[str, dict[str, str]] | None:
    """``type/subtype`` (lower case) and the parameters (names lower case) of a Content-Type, or
    None when it is not a media type."""
    found = _MEDIA_TYPE.fullmatch(value.strip(" \t"))
    if found is None:
        return None
    parameters: dict[str, str] = {}
    for name, raw in _PARAMETER.findall(found.group(3)):
        text = re.sub(r"\\(.)", r"\1", raw[1:-1]) if raw.startswith('"') else raw
        parameters.setdefault(name.lower(), text)
    return f"{found.group(1)}/{found.group(2)}".lower(), parameters


def is_json(content_type: str) -> bool:
    parsed = media_type(content_type)
    if parsed is None or parsed[0] != JSON_MEDIA_TYPE:
        return False
    charset = parsed[1].get("charset")
    return charset is None or charset.lower() == "utf-8"


def loads(text: str | bytes | bytearray) -> Any:
    """JSON, or UnreadableJson: see the module's rules."""
    if not isinstance(text, str):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError:
            raise UnreadableJson("le corps n'est pas du texte UTF-8") from None
    if len(text) > MAX_BYTES:
        raise UnreadableJson(f"le corps dépasse {MAX_BYTES} octets")
    _check_nesting(text)
    try:
        value = _DECODER.decode(text)
    except UnreadableJson:
        raise
    except json.JSONDecodeError as error:
        raise UnreadableJson(f"JSON invalide (ligne {error.lineno}, colonne {error.colno})") from None
    except (ValueError, RecursionError):
        raise UnreadableJson("JSON illisible") from None
    _check_text(value)
    return value


def checked(event: dict[str, Any]) -> dict[str, Any] | Refused:
    """The proxy event with its body as checked text and the canonical Content-Type, or why not."""
    raw = event.get("body")
    if raw is None or raw == "":
        return _with_body(event, None)
    declared = _content_types(event)
    if len(declared) != 1 or not is_json(declared[0]):
        return Refused(415, "unsupported_media_type", f"Content-Type attendu : {JSON_MEDIA_TYPE}")
    data: str | bytes = str(raw)
    if event.get("isBase64Encoded"):
        try:
            data = base64.b64decode(str(raw), validate=True)
        except (binascii.Error, ValueError):
            return Refused(400, "invalid_json", "le corps n'est pas du texte UTF-8")
    if len(data) > MAX_BYTES or (
        isinstance(data, str) and len(data.encode("utf-8", "surrogatepass")) > MAX_BYTES
    ):
        return Refused(400, "invalid_json", f"le corps dépasse {MAX_BYTES} octets")
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        loads(text)
    except UnicodeDecodeError:
        return Refused(400, "invalid_json", "le corps n'est pas du texte UTF-8")
    except UnreadableJson as error:
        return Refused(400, "invalid_json", error.reason)
    return _with_body(event, text)


# -- the parts ------------------------------------------------------------------------------------
def _no_constant(name: str) -> Any:
    raise UnreadableJson(f"{name} n'est pas un nombre JSON")


def _integer(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise UnreadableJson(f"nombre entier de plus de {MAX_INTEGER_DIGITS} chiffres")
    return int(digits)


def _number(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise UnreadableJson("nombre hors des limites")
    return value


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise UnreadableJson("une clé apparaît deux fois dans le même objet")
    return result


_DECODER = json.JSONDecoder(
    object_pairs_hook=_object,
    parse_int=_integer,
    parse_float=_number,
    parse_constant=_no_constant,
    strict=True,
)


def _check_nesting(text: str) -> None:
    depth = 0
    for found in _NESTING.finditer(text):
        part = found.group()
        if part in ("[", "{"):
            depth += 1
            if depth > MAX_DEPTH:
                raise UnreadableJson(f"plus de {MAX_DEPTH} niveaux d'imbrication")
        elif part in ("]", "}"):
            depth -= 1
        elif part == '"':
            raise UnreadableJson("chaîne de caractères non terminée")


def _check_text(value: Any) -> None:
    """No lone surrogate (``"\\ud800"``): such a string cannot be stored nor sent anywhere."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise UnreadableJson("caractère Unicode invalide (substitut isolé)") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key)
            _check_text(item)
    elif isinstance(value, list):
        for item in value:
            _check_text(item)


def _content_types(event: dict[str, Any]) -> list[str]:
    """Every Content-Type the request declared (API Gateway keeps all of them in multiValueHeaders)."""
    found: list[str] = []
    for name, values in (event.get("multiValueHeaders") or {}).items():
        if str(name).lower() == "content-type":
            found.extend(str(v) for v in values or [])
    if not found:
        found = [str(v) for k, v in (event.get("headers") or {}).items() if str(k).lower() == "content-type"]
    return list(dict.fromkeys(found))


def _with_body(event: dict[str, Any], text: str | None) -> dict[str, Any]:
    headers = {k: v for k, v in (event.get("headers") or {}).items() if str(k).lower() != "content-type"}
    multi = {
        k: v for k, v in (event.get("multiValueHeaders") or {}).items() if str(k).lower() != "content-type"
    }
    if text is not None:
        headers["Content-Type"] = JSON_MEDIA_TYPE
        multi["Content-Type"] = [JSON_MEDIA_TYPE]
    return {
        **event,
        "headers": headers or None,
        "multiValueHeaders": multi or None,
        "body": text,
        "isBase64Encoded": False,
    }
