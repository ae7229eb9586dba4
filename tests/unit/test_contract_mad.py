"""``GET /mad/entries`` against the vendor's own MAD schema (``mad-schema.json``, ../shared/contracts).

The schema describes the whole MAD document ``{metadata, data: {..., entries: [...]}}``; the route
answers the entries alone, bare or wrapped in ``{metadata, data}``. So each listed entry is held to
``data.entries``' item schema and a wrapper's ``metadata`` to ``metadata``'s.

The schema is written for a generator with OpenAPI's habits, which JSON Schema reads differently:
``nullable: true`` (JSON Schema ignores it: ``null`` would be refused where the vendor's own example
sends it) and ``oneOf`` beside ``additionalProperties: false`` without ``properties`` (JSON Schema
then allows no member at all, so no attachment or lettering could pass). :func:`json_schema` turns
both into their JSON Schema meaning; the vendor's own example answer passes the result, and
answers that break it are refused, so the check can fail.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import httpx
import jsonschema
import pytest

from local.fakes.myunisoft import FakeMyUnisoft
from paysync.myunisoft.models import ListedEntry
from tests.contracts import load_contract

SECRET, TOKEN, SOCIETY = "secret", "token", 3
MARCH = {"version": "1.0.0", "startDate": "2024-03-01", "endDate": "2024-03-31"}


def json_schema(node: Any) -> Any:
    """The schema with ``nullable`` and ``oneOf`` given their JSON Schema meaning (see above)."""
    if isinstance(node, list):
        return [json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: json_schema(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable") is True:
        kind = converted.get("type")
        if isinstance(kind, str):
            converted["type"] = [kind, "null"]
        elif "type" not in converted and "const" not in converted:
            converted = {"anyOf": [converted, {"type": "null"}]}
        if isinstance(converted.get("enum"), list) and None not in converted["enum"]:
            converted["enum"] = [*converted["enum"], None]
    if (
        "oneOf" in converted
        and converted.get("additionalProperties") is False
        and "properties" not in converted
    ):
        del converted["additionalProperties"]  # each branch closes its own members
    return converted


@pytest.fixture(scope="module")
def mad() -> dict[str, Any]:
    schema: dict[str, Any] = json_schema(load_contract("myunisoft", "mad-schema.json"))
    jsonschema.Draft7Validator.check_schema(schema)
    return schema


@pytest.fixture(scope="module")
def entry_schema(mad: dict[str, Any]) -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(mad["properties"]["data"]["properties"]["entries"]["items"])


@pytest.fixture(scope="module")
def metadata_schema(mad: dict[str, Any]) -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(mad["properties"]["metadata"])


def _errors(validator: jsonschema.Draft7Validator, instance: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(instance)]


def _postman_entries() -> list[Any]:
    """The example answer of "Get entries" in the vendor's Postman collection."""
    collection = load_contract("myunisoft", "api-partners.postman_collection.json")

    def walk(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for item in items:
            yield from walk(item["item"]) if "item" in item else [item]

    bodies = [
        json.loads(response["body"])
        for item in walk(collection["item"])
        if "/mad/entries" in str(item["request"]["url"].get("raw", ""))
        for response in item.get("response", [])
        if (response.get("body") or "").strip()
    ]
    assert bodies, "the collection's example of GET /mad/entries is gone"
    return [entry for body in bodies for entry in body]


@pytest.fixture(scope="module")
def server() -> Iterator[FakeMyUnisoft]:
    fake = FakeMyUnisoft(rate_limit=10_000, rate_window_seconds=1.0)
    fake.start()
    fake.add_partner_secret(SECRET)
    fake.add_society(SOCIETY, "ACME", schema_id=1)
    fake.add_society_token(TOKEN, SOCIETY)
    diary = fake.add_diary(SOCIETY, "OD PAIE", "OD de paie")
    accounts = [
        fake.add_account(SOCIETY, number, label) for number, label in (("641100", "SAL"), ("421", "NET"))
    ]
    fake.add_exercice(SOCIETY, "2024-01-01", "2024-12-31")
    headers = {"Authorization": f"Bearer {TOKEN}", "X-Third-Party-Secret": SECRET}
    with httpx.Client(base_url=fake.api_url, headers=headers) as http:
        for n, (partner_id, comment) in enumerate(
            [("paysync-1", "Importée"), (None, None), ("paysync-2", None)]
        ):
            body: dict[str, Any] = {
                "entry_list": [
                    {
                        "account_id": accounts[0],
                        "label": "Sal",
                        "debit": 10.5 + n,
                        "credit": 0,
                        "deadline": "2024-03-31",
                    },
                    {
                        "account_id": accounts[1],
                        "label": "Net",
                        "debit": 0,
                        "credit": 10.5 + n,
                        "deadline": "2024-03-31",
                    },
                ],
                "date_piece": "2024-03-31",
                "etablissement_id": SOCIETY,
                "diary_id": diary,
                "pj_list": [{"name": "journal.pdf", "type": "application/pdf", "content": "JVBERg=="}],
            }
            if partner_id:
                body |= {"entry_origin_partner_id": partner_id, "json": '{"run": 1}'}
            if comment:
                body["comment"] = {"content": comment}
            assert http.post("/entry", params={"type": "e"}, json=body).status_code == 200
    try:
        yield fake
    finally:
        fake.stop()


def _get(server: FakeMyUnisoft) -> Any:
    headers = {"Authorization": f"Bearer {TOKEN}", "X-Third-Party-Secret": SECRET}
    response = httpx.get(f"{server.api_url}/mad/entries", params=MARCH, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_vendor_example_passes_the_schema_as_read(entry_schema: jsonschema.Draft7Validator) -> None:
    for entry in _postman_entries():
        assert _errors(entry_schema, entry) == []


def test_the_fake_s_bare_answer_passes_the_schema(
    server: FakeMyUnisoft, entry_schema: jsonschema.Draft7Validator
) -> None:
    server.mad_entries.shape = "bare"
    entries = _get(server)
    assert isinstance(entries, list) and len(entries) == 3
    for entry in entries:
        assert _errors(entry_schema, entry) == []


def test_the_fake_s_wrapped_answer_passes_the_schema(
    server: FakeMyUnisoft,
    entry_schema: jsonschema.Draft7Validator,
    metadata_schema: jsonschema.Draft7Validator,
) -> None:
    server.mad_entries.shape = "wrapped"
    try:
        body = _get(server)
    finally:
        server.mad_entries.shape = "bare"
    assert set(body) == {"metadata", "data"}
    assert _errors(metadata_schema, body["metadata"]) == []
    assert len(body["data"]) == 3
    for entry in body["data"]:
        assert _errors(entry_schema, entry) == []


@pytest.mark.parametrize(
    ("name", "path", "value"),
    [
        ("no producerId", ("producerId",), None),
        ("producerId as a number", ("producerId",), 12),
        ("no currency", ("currency",), None),
        ("a movement without lettering", ("movements", 0, "lettering"), None),
        ("a lettering of another kind", ("movements", 0, "lettering"), {"state": "done", "value": None}),
        ("an attachment of another type", ("attachments", "journal.pdf", "type"), "Link"),
        (
            "partner metadata without its id",
            ("additionalProducerProperties", "partnerMetadata", "partnerId"),
            None,
        ),
        ("a member the schema does not know", ("source",), "P"),
    ],
)
def test_answers_breaking_the_schema_are_refused(
    server: FakeMyUnisoft,
    entry_schema: jsonschema.Draft7Validator,
    name: str,
    path: tuple[Any, ...],
    value: Any,
) -> None:
    entry = copy.deepcopy(_get(server)[0])
    target: Any = entry
    for key in path[:-1]:
        target = target[key]
    if value is None:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    assert _errors(entry_schema, entry), f"the schema accepts: {name}"


def test_paysync_reads_the_vendor_example_and_the_fake_s_answer(server: FakeMyUnisoft) -> None:
    [example] = _postman_entries()
    read = ListedEntry.model_validate(example)
    assert (read.producer_id, read.entry_id, read.date.isoformat(), read.journal_id) == (
        "13524346",
        13524346,
        "2023-02-01",
        "137145",
    )
    assert read.partner_id is None
    assert [(m.account_number, m.debit, m.credit) for m in read.movements] == [
        ("6010000000", 0, 1200),
        ("4551200000", 1200, 0),
    ]
    listed = [ListedEntry.model_validate(entry) for entry in _get(server)]
    assert [(e.partner_id, e.partner_json) for e in listed] == [
        ("paysync-1", '{"run": 1}'),
        (None, None),
        ("paysync-2", '{"run": 1}'),
    ]
