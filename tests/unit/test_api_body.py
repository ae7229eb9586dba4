"""What a request body must be before any route sees it: RFC 9110 media types, readable JSON."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from paysync.api.body import MAX_DEPTH, Refused, UnreadableJson, checked, is_json, loads, media_type


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("application/json", ("application/json", {})),
        ("APPLICATION/JSON", ("application/json", {})),
        ("application/json; charset=UTF-8", ("application/json", {"charset": "UTF-8"})),
        ("application/json;CHARSET=utf-8 ; q=1", ("application/json", {"charset": "utf-8", "q": "1"})),
        ('application/json; p="a \\"quoted\\" ;value"', ("application/json", {"p": 'a "quoted" ;value'})),
        ("  application/json;  ", ("application/json", {})),
        ("application/json;;charset=utf-8", ("application/json", {"charset": "utf-8"})),
        ("application/merge-patch+json", ("application/merge-patch+json", {})),
    ],
)
def test_media_types_are_parsed_as_rfc_9110_says(header: str, expected: tuple[str, dict[str, str]]) -> None:
    assert media_type(header) == expected


@pytest.mark.parametrize(
    "header",
    [
        "",
        "json",
        "application/",
        "/json",
        "application /json",
        "application/json; charset",
        "a/b; =x",
        "a/b c",
    ],
)
def test_what_is_not_a_media_type(header: str) -> None:
    assert media_type(header) is None


def test_only_json_in_utf_8_is_json() -> None:
    assert is_json("Application/JSON; charset=utf-8") and is_json('application/json;charset="UTF-8"')
    for header in ("application/jsonx", "application/json; charset=iso-8859-1", "text/json", ""):
        assert not is_json(header), header


def test_readable_json_is_decoded() -> None:
    assert loads('{"a": [1, 2.5, "é", null, true], "b": {}}') == {"a": [1, 2.5, "é", None, True], "b": {}}
    assert loads(b'{"a": 1}') == {"a": 1}
    nested = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert loads(nested) is not None
    assert loads('["[[[[", "{{{{", "\\"[["]') == ["[[[[", "{{{{", '"[[']  # brackets in strings do not nest


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), f"plus de {MAX_DEPTH} niveaux d'imbrication"),
        ("[" * 100_000, f"plus de {MAX_DEPTH} niveaux d'imbrication"),
        ("1" * 4301, "nombre entier de plus de 4300 chiffres"),
        ("-" + "1" * 4301, "nombre entier de plus de 4300 chiffres"),
        ("1e400", "nombre hors des limites"),
        ("NaN", "NaN n'est pas un nombre JSON"),
        ('{"a": 1, "a": 1}', "une clé apparaît deux fois dans le même objet"),
        ('"\\udc00"', "caractère Unicode invalide (substitut isolé)"),
        ('{"\\ud800": 1}', "caractère Unicode invalide (substitut isolé)"),
        ('["a", "b', "chaîne de caractères non terminée"),
        ('{"a" 1}', "JSON invalide (ligne 1, colonne 6)"),
        ('"tab\there"', "JSON invalide (ligne 1, colonne 5)"),  # raw control characters
    ],
)
def test_unreadable_json_says_why(text: str, reason: str) -> None:
    with pytest.raises(UnreadableJson) as raised:
        loads(text)
    assert raised.value.reason == reason
    assert isinstance(raised.value, json.JSONDecodeError)  # what Powertools answers with a 400


def _event(body: str | None, content_type: str | None, **extra: Any) -> dict[str, Any]:
    headers = {"Content-Type": content_type} if content_type is not None else {}
    return {
        "body": body,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "isBase64Encoded": False,
        **extra,
    }


def test_a_checked_event_carries_the_canonical_content_type_and_text() -> None:
    event = checked(_event('{"a": 1}', "APPLICATION/JSON; charset=utf-8"))
    assert isinstance(event, dict)
    assert event["headers"] == {"Content-Type": "application/json"} and event["body"] == '{"a": 1}'
    encoded = _event(
        base64.b64encode('{"a": "é"}'.encode()).decode(), "application/json", isBase64Encoded=True
    )
    event = checked(encoded)
    assert isinstance(event, dict) and event["body"] == '{"a": "é"}' and event["isBase64Encoded"] is False
    # No body: no Content-Type needed, and none handed on.
    for empty in (None, ""):
        event = checked(_event(empty, "text/plain"))
        assert isinstance(event, dict) and event["body"] is None and event["headers"] is None


def test_checked_refusals() -> None:
    assert checked(_event("{}", None)) == Refused(
        415, "unsupported_media_type", "Content-Type attendu : application/json"
    )
    two = _event("{}", "application/json")
    two["multiValueHeaders"] = {"content-type": ["application/json", "text/plain"]}
    assert isinstance(checked(two), Refused)
    latin = _event(base64.b64encode(b'{"a": "caf\xe9"}').decode(), "application/json", isBase64Encoded=True)
    assert checked(latin) == Refused(400, "invalid_json", "le corps n'est pas du texte UTF-8")
    garbage = _event("not base64!", "application/json", isBase64Encoded=True)
    assert checked(garbage) == Refused(400, "invalid_json", "le corps n'est pas du texte UTF-8")
    deep = checked(_event("[" * 2000, "application/json"))
    assert isinstance(deep, Refused) and deep.status == 400
