"""The MyUnisoft fake and models against the vendor's own contracts (read from ../shared/contracts).

One module on purpose (~460 lines): every check reads the same vendor contracts, section by section.

- NewEntry: the vendor's example and the bodies paysync builds pass BOTH the vendor's JSON Schema
  (``jsonschema``, formats checked) and the fake's own hand-written validation; bodies breaking the
  schema are refused by both (and the fake answers them over HTTP with a catalogued code).
- Errors: every code the fake can emit exists in errors.json with the same message (and the same
  HTTP status for catalogue codes); a sweep of real failing calls checks what actually goes out.
- Responses: the models parse the example answers of the Postman collection.
"""

from __future__ import annotations

import base64
import copy
import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import httpx
import jsonschema
import pytest
from pydantic import ValidationError

from local.fakes.myunisoft import CATALOGUE, DUPLICATE_ORIGIN_CODE, GATEWAY_CODES, PJ_TYPES, FakeMyUnisoft
from local.fakes.myunisoft import validate_new_entry as fake_validates
from paysync.domain.entries import build_entry
from paysync.domain.payroll import Direction, PayrollFile, PayrollGroup, PayrollLine
from paysync.domain.periods import Period
from paysync.myunisoft import errors as client_errors
from paysync.myunisoft.models import Account, Diary, Exercice, KeyInfo
from tests.contracts import load_contract

Body = dict[str, Any]


# -- vendor files --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def schema_validator() -> jsonschema.Draft7Validator:
    schema = load_contract("myunisoft", "new-entry.schema.json")
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


@pytest.fixture(scope="module")
def example() -> Body:
    body: Body = load_contract("myunisoft", "new-entry.example.json")
    return body


@pytest.fixture(scope="module")
def catalogue() -> dict[str, dict[str, Any]]:
    data = load_contract("myunisoft", "errors.json")
    codes = {e["code"]: {"message": e["message"], "http_status": e["http_status"]} for e in data["errors"]}
    for gateway in data["gateway_errors"]:
        codes[gateway["code"]] = {"message": gateway["message"], "http_status": None, "gateway": True}
    return codes


def schema_accepts(validator: jsonschema.Draft7Validator, body: Any) -> bool:
    return not list(validator.iter_errors(body))


def fake_accepts(body: Any) -> bool:
    try:
        fake_validates(body)
    except ValidationError:
        return False
    return True


# -- bodies ------------------------------------------------------------------------------------------
def built_bodies() -> list[Body]:
    """NewEntry bodies as paysync's domain builds them (build_entry)."""
    lines = (
        PayrollLine("641100", "Salaires de base", Direction.DEBIT, Decimal("2500.00")),
        PayrollLine("645100", "Cotisations URSSAF " + "x" * 80, Direction.DEBIT, Decimal("1000.456")),
        PayrollLine("431000", "URSSAF", Direction.CREDIT, Decimal("1000.46")),
        PayrollLine("421000", "Rémunérations dues — net à payer", Direction.CREDIT, Decimal("2500")),
    )
    accounts = {"641100": 11, "645100": 12, "431000": 13, "421000": 14}
    files = (
        PayrollFile("Journal de paie 2024-03 établissement principal très long nom.pdf", b"%PDF-1.4 ..."),
        PayrollFile("export.csv", b"a;b\n1;2\n"),
        PayrollFile("recap.xlsx", b"PK\x03\x04"),
    )
    bodies = []
    for with_files in (False, True):
        draft = build_entry(
            PayrollGroup("Paie mars 2024", lines),
            partner_id="paysync-3-2024-03-abcdef",
            period=Period(2024, 3),
            society_id=3,
            diary_id=31428,
            accounts=accounts,
            files=files if with_files else (),
            dossier_number="000123",
        )
        assert draft.body is not None, draft.blocked_by
        bodies.append(draft.body)
    return bodies


def full_body() -> Body:
    """Every optional member of the docs, once."""
    pj = {"name": "facture.pdf", "type": "application/pdf", "content": base64.b64encode(b"%PDF").decode()}
    return {
        "pj_list": [pj],
        "entry_list": [
            {
                "pj_list": [pj],
                "piece": "5043",
                "piece2": "1484515",
                "deadline": "2024-04-30",
                "credit": 0,
                "debit": 101.86,
                "analytique": [
                    {
                        "id_axe": 1,
                        "code": "AX",
                        "label": "Axe",
                        "repartition": [
                            {"id_section": 2, "code": "S", "label": "Sec", "rate": 100, "amount": 101.86}
                        ],
                    }
                ],
                "currency": "CHF",
                "value_currency": 100,
                "payment_type_id": -1,
                "account_id": 1021,
                "label": "Ligne",
                "lettrage": "AB",
                "pointage_aa": "24",
            },
            {
                "deadline": "2024-04-30",
                "credit": 101.86,
                "debit": 0,
                "account_id": 1190,
                "label": "Contrepartie",
            },
        ],
        "date_piece": "2024-04-22",
        "period_from": "2024-03-22",
        "period_to": "2024-04-22",
        "etablissement_id": 3,
        "diary_id": 43,
        "entry_origin_partner_id": "paysync-dd661851",
        "json": '{"a": 1}',
        "comment": {"content": "Importée par paysync"},
        "id_source": 4,
    }


def test_the_vendor_example_passes_both(schema_validator: jsonschema.Draft7Validator, example: Body) -> None:
    assert schema_accepts(schema_validator, example)
    assert fake_accepts(example)


@pytest.mark.parametrize("body", [*built_bodies(), full_body()], ids=["built", "built-with-files", "full"])
def test_bodies_paysync_builds_pass_both(schema_validator: jsonschema.Draft7Validator, body: Body) -> None:
    assert list(schema_validator.iter_errors(body)) == []
    fake_validates(body)


def _breakers() -> list[tuple[str, Callable[[Body], None]]]:
    def drop(*path: Any) -> Callable[[Body], None]:
        def change(body: Body) -> None:
            target: Any = body
            for key in path[:-1]:
                target = target[key]
            del target[path[-1]]

        return change

    def put(value: Any, *path: Any) -> Callable[[Body], None]:
        def change(body: Body) -> None:
            target: Any = body
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = value

        return change

    return [
        ("missing entry_list", drop("entry_list")),
        ("empty entry_list", put([], "entry_list")),
        ("entry_list not an array", put({"0": {}}, "entry_list")),
        ("missing date_piece", drop("date_piece")),
        ("missing etablissement_id", drop("etablissement_id")),
        ("missing diary_id", drop("diary_id")),
        ("label over 50", put("x" * 51, "entry_list", 0, "label")),
        ("label not a string", put(12, "entry_list", 0, "label")),
        ("missing label", drop("entry_list", 0, "label")),
        ("missing deadline", drop("entry_list", 0, "deadline")),
        ("missing debit", drop("entry_list", 0, "debit")),
        ("missing credit", drop("entry_list", 1, "credit")),
        ("missing account_id", drop("entry_list", 0, "account_id")),
        ("account_id as a string", put("1021", "entry_list", 0, "account_id")),
        ("account_id as a bool", put(True, "entry_list", 0, "account_id")),
        ("debit as a string", put("101.86", "entry_list", 0, "debit")),
        ("debit null", put(None, "entry_list", 0, "debit")),
        ("deadline not a date", put("30/04/2024", "entry_list", 0, "deadline")),
        ("deadline impossible", put("2024-02-30", "entry_list", 0, "deadline")),
        ("date_piece not a date", put("20240422", "date_piece")),
        ("period_to not a date", put("2024-04", "period_to")),
        ("etablissement_id as a string", put("3", "etablissement_id")),
        ("diary_id null", put(None, "diary_id")),
        ("partner id as a number", put(42, "entry_origin_partner_id")),
        ("json as an object", put({"a": 1}, "json")),
        ("comment as a string", put("hello", "comment")),
        ("comment without content", put({}, "comment")),
        ("comment with an extra member", put({"content": "c", "author": "me"}, "comment")),
        ("pj type not allowed", put("application/zip", "pj_list", 0, "type")),
        ("pj name over 50", put("n" * 47 + ".pdf", "pj_list", 0, "name")),
        ("pj without content", drop("pj_list", 0, "content")),
        ("pj with an extra member", put("x", "pj_list", 0, "size")),
        ("pj content not a string", put(123, "pj_list", 0, "content")),
        ("pj_list not an array", put({"name": "a"}, "pj_list")),
        ("line pj type not allowed", put("video/mp4", "entry_list", 0, "pj_list", 0, "type")),
        ("analytique without rate", drop("entry_list", 0, "analytique", 0, "repartition", 0, "rate")),
        ("analytique with an extra member", put(1, "entry_list", 0, "analytique", 0, "extra")),
        ("piece null", put(None, "entry_list", 0, "piece")),
        ("currency as a number", put(978, "entry_list", 0, "currency")),
        ("body not an object", lambda body: body.clear()),
    ]


BREAKERS = _breakers()


@pytest.mark.parametrize(("name", "change"), BREAKERS, ids=[name for name, _ in BREAKERS])
def test_bodies_breaking_the_schema_are_refused_by_both(
    schema_validator: jsonschema.Draft7Validator, name: str, change: Callable[[Body], None]
) -> None:
    body = copy.deepcopy(full_body())
    change(body)
    assert not schema_accepts(schema_validator, body), f"the vendor schema accepts: {name}"
    assert not fake_accepts(body), f"the fake accepts: {name}"


@pytest.fixture(scope="module")
def server() -> Iterator[FakeMyUnisoft]:
    fake = FakeMyUnisoft(rate_limit=10_000, rate_window_seconds=1.0)
    fake.start()
    fake.add_partner_secret("secret")
    fake.add_society(3, "ACME", schema_id=1)
    fake.add_society_token("token", 3)
    try:
        yield fake
    finally:
        fake.stop()


def test_the_fake_refuses_the_breakers_over_http(server: FakeMyUnisoft, catalogue: dict[str, Any]) -> None:
    headers = {"Authorization": "Bearer token", "X-Third-Party-Secret": "secret"}
    with httpx.Client(base_url=server.api_url, headers=headers) as http:
        for name, change in BREAKERS:
            body = copy.deepcopy(full_body())
            change(body)
            response = http.post("/entry", params={"type": "e"}, json=body)
            assert response.status_code == 400, name
            error = response.json()["error"]
            assert error["code"] in ("ECR4", "ECR43"), name
            assert error["message"] == catalogue[error["code"]]["message"]
    assert server.entries(3) == []


# -- error codes ---------------------------------------------------------------------------------------
def _same_message(published: str, sent: str) -> bool:
    """Equal, ``%1``-style placeholders of the catalogue standing for any text."""
    pattern = "".join(
        ".+" if re.fullmatch(r"%\d", part) else re.escape(part) for part in re.split(r"(%\d)", published)
    )
    return re.fullmatch(pattern, sent, flags=re.DOTALL) is not None


def test_every_code_the_fake_knows_is_in_the_catalogue(catalogue: dict[str, dict[str, Any]]) -> None:
    for code, (status, message) in CATALOGUE.items():
        assert code in catalogue, code
        assert catalogue[code]["message"] == message, code
        if code in GATEWAY_CODES:
            assert catalogue[code].get("gateway"), code
        else:
            assert catalogue[code]["http_status"] == status, code


def test_codes_the_client_acts_on_are_in_the_catalogue(catalogue: dict[str, dict[str, Any]]) -> None:
    assert client_errors.DUPLICATE_ORIGIN_CODE == DUPLICATE_ORIGIN_CODE
    acted_on = {
        client_errors.DUPLICATE_ORIGIN_CODE,
        client_errors.TOO_MANY_REQUESTS,
        client_errors.UNDER_MAINTENANCE,
        client_errors.HTTP_ERROR_CODE,
        *client_errors.TOKEN_NOT_FOUND_CODES,
        *client_errors.SECRET_CODES,
    }
    assert acted_on <= set(catalogue)
    # errors.json has the singular; docs/ratelimit.md the plural: the client accepts both
    assert client_errors.TOO_MANY_CONCURRENT_REQUESTS & set(catalogue)
    # made-up codes for answers without an error body never collide with real ones
    assert client_errors.NETWORK_ERROR_CODE not in catalogue
    assert client_errors.UNEXPECTED_RESPONSE_CODE not in catalogue


def test_the_pj_types_are_the_schema_s(example: Body) -> None:
    schema = load_contract("myunisoft", "new-entry.schema.json")
    assert tuple(schema["definitions"]["PJ"]["properties"]["type"]["enum"]) == PJ_TYPES


def test_errors_sent_by_the_fake_match_the_catalogue(
    server: FakeMyUnisoft, catalogue: dict[str, dict[str, Any]]
) -> None:
    """A sweep of failing calls: whatever goes out is catalogued, with its message and status."""
    server.configure(partner_id_unique=True, duplicate_refusal="GBL6")  # MyUnisoft's generic code
    diary = server.add_diary(3, "30", "PAIE")
    closed = server.add_diary(3, "31", "FERMEE", closed=True)
    account = server.add_account(3, "421000", "NET")
    server.add_exercice(3, "2030-01-01", "2030-12-31")
    good = {
        "entry_list": [
            {"account_id": account, "label": "a", "debit": 1, "credit": 0, "deadline": "2030-01-31"},
            {"account_id": account, "label": "b", "debit": 0, "credit": 1, "deadline": "2030-01-31"},
        ],
        "date_piece": "2030-01-31",
        "etablissement_id": 3,
        "diary_id": diary,
        "entry_origin_partner_id": "sweep-1",
    }
    auth = {"Authorization": "Bearer token", "X-Third-Party-Secret": "secret"}
    calls: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", "/diary", {"headers": {}}),
        ("GET", "/diary", {"headers": {"Authorization": "Bearer token"}}),
        ("GET", "/diary", {"headers": {**auth, "X-Third-Party-Secret": "nope"}}),
        ("GET", "/diary", {"headers": {**auth, "Authorization": "Bearer nope"}}),
        ("GET", "/nowhere", {}),
        ("POST", "/account", {"json": {"account_number": "X1", "label": "l"}}),
        ("POST", "/account", {"json": {"account_number": "1" * 21, "label": "l"}}),
        ("POST", "/account", {"json": {"label": "l"}}),
        ("POST", "/account", {"json": {"account_number": "606"}}),
        ("POST", "/entry?type=e", {"json": {**good, "diary_id": closed}}),
        ("POST", "/entry?type=e", {"json": {**good, "date_piece": "2031-01-01"}}),
        ("POST", "/entry?type=e", {"json": {**good, "etablissement_id": 4}}),
        ("POST", "/entry?type=e", {"json": {**good, "entry_list": []}}),
        ("POST", "/entry?type=x", {"json": good}),
        ("POST", "/entry?type=e", {"json": good}),
        ("POST", "/entry?type=e", {"json": good}),
        (
            "POST",
            "/document/add_all_types?location=ENTRIES&object_id=1&filename_extension=a.exe",
            {"content": b"x"},
        ),
    ]
    seen: set[str] = set()
    with httpx.Client(base_url=server.api_url) as http:
        for method, path, options in calls:
            options.setdefault("headers", auth)
            response = http.request(method, path, **options)
            if response.is_success:
                continue
            error = response.json()["error"]
            code = error["code"]
            seen.add(code)
            assert code in catalogue, code
            assert _same_message(catalogue[code]["message"], error["message"]), code
            if not catalogue[code].get("gateway"):
                assert response.status_code == catalogue[code]["http_status"], code
            assert error["details"]["requestId"] == response.headers["request-id"]
    assert {
        "ERR-INVALID-AUTH-HEADER",
        "ERR-SECRET-HEADER-NOT-SET",
        "ERR-INVALID-SECRET",
        "GBL6",
        "ECR17",
    } <= seen


# -- the models read the vendor's example answers --------------------------------------------------------
def _postman_bodies(method: str, path_suffix: str, query: str | None = None) -> list[Any]:
    import json

    collection = load_contract("myunisoft", "api-partners.postman_collection.json")

    def walk(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for item in items:
            if "item" in item:
                yield from walk(item["item"])
            else:
                yield item

    bodies = []
    for item in walk(collection["item"]):
        for response in item.get("response", []):
            original = response.get("originalRequest") or {}
            url = original.get("url") or {}
            raw = url.get("raw", "") if isinstance(url, dict) else str(url)
            path = raw.split("?")[0]
            if original.get("method") != method or not path.endswith(path_suffix):
                continue
            if query is not None and query not in raw:
                continue
            if (response.get("body") or "").strip():
                bodies.append(json.loads(response["body"]))
    return bodies


def test_models_read_the_postman_examples() -> None:
    [extended] = _postman_bodies("GET", "/key/info", "mode=extended")
    info = KeyInfo.model_validate(extended)
    assert (info.token_type, info.schema_id, info.society_id) == ("societe", 1, 3)
    assert info.allows("get", "/diary")

    diary_lists = _postman_bodies("GET", "/api/v1/diary")
    assert diary_lists
    diaries = [Diary.model_validate(d) for body in diary_lists for d in body]
    assert any(d.is_payroll and d.diary_type_id == 11 for d in diaries)

    detailed = _postman_bodies("GET", "/api/v1/account", "mode=2")
    accounts = [Account.model_validate(a) for body in detailed for a in body["account_array"]]
    assert accounts
    assert {a.account_number for a in accounts} >= {"106100"}
    created = [Account.model_validate(b) for b in _postman_bodies("POST", "/api/v1/account")]
    assert {a.account_number for a in created} == {"251000", "411NAME"}
    v2 = [Account.model_validate(a) for body in _postman_bodies("GET", "/account/v2") for a in body]
    assert v2

    [years] = _postman_bodies("GET", "/society/exercice")
    exercices = [Exercice.model_validate(e) for e in years]
    assert exercices[0].start_date.isoformat() == "2023-10-01"
    assert [e.closed for e in exercices][:3] == [False, False, True]


def test_the_society_listing_is_read_from_the_postman_example_and_the_fake_gives_its_rows(
    server: FakeMyUnisoft,
) -> None:
    from paysync.myunisoft.models import Society

    bodies = _postman_bodies("GET", "/api/v1/society")
    listings = [b for b in bodies if isinstance(b, dict) and "society_array" in b]
    files = [b for b in bodies if isinstance(b, dict) and "society_array" not in b and "society_id" in b]
    assert (
        listings and files
    )  # the listing (cabinet token) and one society's file (société token, society-id)
    rows = listings[0]["society_array"]
    societies = [Society.model_validate(row) for row in rows]
    assert {s.siret for s in societies} >= {"838006955", "49401289100011", None}  # SIREN, SIRET, nothing
    assert "row_numbers" in listings[0] and "pages_number" in listings[0]

    server.add_society(
        7, "Garage Leroy", schema_id=1, siret="52345678800018", city="LILLE", postal_code="59000"
    )
    server.add_cabinet_token("cabinet", schema_id=1)
    headers = {"Authorization": "Bearer cabinet", "X-Third-Party-Secret": "secret"}
    with httpx.Client(base_url=server.api_url, headers=headers) as http:
        listing = http.get("/society").json()
    assert set(listing) == set(listings[0])
    for row in listing["society_array"]:
        assert set(row) == set(rows[0])  # the fields of the vendor's example, no more, no fewer
    assert [Society.model_validate(r).siret for r in listing["society_array"]] == [None, "52345678800018"]
