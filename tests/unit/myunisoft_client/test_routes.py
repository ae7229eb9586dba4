"""MyUnisoftClient's routes over the fake on 127.0.0.1: what each sends and how its answer is read
(a few hand-made answers through MockTransport for shapes the fake does not give)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest

from local.fakes.myunisoft import FakeMyUnisoft
from paysync.myunisoft.errors import (
    MyUnisoftError,
    MyUnisoftTransientError,
)
from tests.unit.myunisoft_client.support import (
    CABINET,
    SOCIETY,
    TOKEN,
    Harness,
    books,
    entry,
    mock_client,
)


# -- routes ------------------------------------------------------------------------------------------------
def test_key_info(harness: Harness, fake: FakeMyUnisoft) -> None:
    info = harness.client().key_info()
    assert fake.token_activated(TOKEN)
    assert (info.token_type, info.is_cabinet, info.schema_id, info.society_id) == (
        "societe",
        False,
        1,
        SOCIETY,
    )
    assert info.allows("POST", "/entry")
    assert harness.sent[0].url.params["mode"] == "extended"
    firm = harness.client(CABINET, SOCIETY).key_info()
    assert (firm.token_type, firm.schema_id, firm.society_id) == ("cabinet", 1, None)


def test_diaries_accounts_exercices(harness: Harness, fake: FakeMyUnisoft) -> None:
    ids = books(fake)
    fake.add_diary(SOCIETY, "01", "ACHATS", diary_type_code="ACH", closed=True)
    fake.add_exercice(SOCIETY, "2023-01-01", "2023-12-31", closed=True)
    client = harness.client()
    diaries = client.list_diaries()
    assert [(d.code, d.is_payroll, d.closed) for d in diaries] == [("30", True, False), ("01", False, True)]
    accounts = client.list_accounts()
    assert {a.account_number: a.account_id for a in accounts} == {"421000": ids["421"], "641100": ids["641"]}
    assert harness.sent[-1].url.params["mode"] == "2"
    assert "begin_by" not in harness.sent[-1].url.params
    years = client.list_exercices()
    assert [(y.start_date, y.end_date, y.closed) for y in years] == [
        (dt.date(2024, 1, 1), dt.date(2024, 12, 31), False),
        (dt.date(2023, 1, 1), dt.date(2023, 12, 31), True),
    ]
    assert years[0].contains(dt.date(2024, 3, 31))


def test_find_or_create_account(harness: Harness, fake: FakeMyUnisoft) -> None:
    ids = books(fake)
    client = harness.client()
    assert client.find_or_create_account("421000", "ignored").account_id == ids["421"]
    padded = client.find_or_create_account("6411", "PRIMES")  # MyUnisoft pads it to 641100
    assert (padded.account_id, padded.account_number, padded.label) == (ids["641"], "641100", "SALAIRES")
    new = client.find_or_create_account("645", "CHARGES SOCIALES")
    assert (new.account_number, new.label) == ("645000", "CHARGES SOCIALES")
    with pytest.raises(MyUnisoftError) as caught:
        client.find_or_create_account("A645", "x")
    assert (caught.value.code, caught.value.status) == ("COMPTE6", 400)


def test_create_find_and_attach(harness: Harness, fake: FakeMyUnisoft) -> None:
    ids = books(fake)
    client = harness.client()
    assert client.find_entry_by_origin("paysync-3-2024-03-x") is None
    created = client.create_entry(entry(ids))
    assert not created.recovered
    assert created.request_id == client.last_request_id
    assert created.request_id == fake.entries(SOCIETY)[0]["request_id"]
    found = client.find_entry_by_origin("paysync-3-2024-03-x")
    assert found is not None
    assert (found.id_entry, found.type, found.json_metadata_partners) == (
        created.entry_id,
        "ENTRIES",
        '{"source": "paysync"}',
    )
    client.attach_document(created.entry_id, "journal de paie.pdf", b"%PDF-1.4 binary \x00\xff")
    upload = harness.sent[-1]
    assert upload.headers["Content-Type"] == "application/octet-stream"
    assert upload.url.params["location"] == "ENTRIES"
    assert upload.url.params["object_id"] == str(created.entry_id)
    assert upload.url.params["filename_extension"] == "journal de paie.pdf"
    assert upload.url.params["type_result"] == "1"
    [stored] = fake.entries(SOCIETY)
    assert stored["attachments"][-1]["content"] == b"%PDF-1.4 binary \x00\xff"


def test_request_ids_are_kept(harness: Harness, fake: FakeMyUnisoft) -> None:
    books(fake)
    client = harness.client()
    client.list_diaries()
    client.list_accounts()
    with pytest.raises(MyUnisoftError):
        client.find_or_create_account("", "x")
    assert len(client.request_ids) == 3
    assert len(set(client.request_ids)) == 3
    assert client.last_request_id == client.request_ids[-1]
    assert client.calls == 3


def test_health(harness: Harness) -> None:
    assert harness.client().health() is True


@pytest.mark.parametrize("body", [b"", b"null", b"{}", b"[]", b'{"id_entry": null}', b"[{}]"])
def test_not_found_shapes(body: bytes) -> None:
    client = mock_client(lambda request: httpx.Response(200, content=body))
    assert client.find_entry_by_origin("x") is None


@pytest.mark.parametrize("code", ["ENTRY-NOT-FOUND", "ERR-HTTP", "NOT-FOUND", "ECR404"])
def test_a_404_on_the_lookup_means_absent_whatever_its_code(code: str) -> None:
    body = {"error": {"code": code, "message": "", "details": ""}}
    client = mock_client(lambda request: httpx.Response(404, json=body))
    assert client.find_entry_by_origin("x") is None


@pytest.mark.parametrize(
    ("status", "body", "code"),
    [
        (
            403,
            {"error": {"code": "ERR-FORBIDDEN-ROUTE", "message": "", "details": ""}},
            "ERR-FORBIDDEN-ROUTE",
        ),
        (400, {"error": {"code": "ECR4", "message": "", "details": ""}}, "ECR4"),
        (200, {"entry": 7}, "ERR-UNEXPECTED-RESPONSE"),
        (200, [{"id": 7}], "ERR-UNEXPECTED-RESPONSE"),
    ],
)
def test_any_other_answer_of_the_lookup_is_raised_never_read_as_absent(
    status: int, body: Any, code: str
) -> None:
    client = mock_client(
        lambda request: httpx.Response(status, json=body, headers={"request-id": "req-lookup"})
    )
    with pytest.raises(MyUnisoftError) as caught:
        client.find_entry_by_origin("x")
    assert caught.value.code == code
    assert not isinstance(caught.value, MyUnisoftTransientError)


@pytest.mark.parametrize(
    "answer",
    [{"entry_id": 7}, {"id_entry": 7}, {"type": "E", "entry_array": [{"entry_id": 7}]}, [{"entry_id": 7}]],
)
def test_created_entry_id_is_found_in_the_plausible_shapes(answer: Any) -> None:
    client = mock_client(lambda request: httpx.Response(200, json=answer, headers={"request-id": "req-9"}))
    created = client.create_entry({"entry_origin_partner_id": "p"})
    assert (created.entry_id, created.request_id, created.recovered) == (7, "req-9", False)


def test_a_creation_answer_without_id_is_resolved_by_the_partner_id() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(200, content=b"")
        assert request.url.params["id_origin"] == "p"
        return httpx.Response(200, json={"id_entry": 11, "type": "ENTRIES"})

    created = mock_client(answer).create_entry({"entry_origin_partner_id": "p"})
    assert (created.entry_id, created.recovered) == (11, True)


def test_a_chart_in_several_pages_still_returns_what_came() -> None:
    page = {
        "rows_number": 3,
        "pages_number": 2,
        "account_array": [{"account_id": 1, "account_number": "401"}],
    }
    accounts = mock_client(lambda request: httpx.Response(200, json=page)).list_accounts()
    assert [a.account_id for a in accounts] == [1]


# -- GET /society ----------------------------------------------------------------------------------------
def test_list_societies_with_a_cabinet_token_sends_no_society_id(
    harness: Harness, fake: FakeMyUnisoft
) -> None:
    fake.add_society(
        5, "Garage Leroy", schema_id=1, siret="52345678800018", city="LILLE", postal_code="59000"
    )
    listing = harness.client(CABINET).list_societies()
    assert not listing.company_access and not listing.partial
    assert [(s.society_id, s.name, s.siret, s.city) for s in listing.societies] == [
        (SOCIETY, "ACME", None, None),
        (4, "BETA", None, None),
        (5, "Garage Leroy", "52345678800018", "LILLE"),
    ]
    assert "society-id" not in harness.sent[-1].headers


def test_a_societe_token_answers_its_own_file_not_a_listing(harness: Harness) -> None:
    listing = harness.client(TOKEN).list_societies()
    assert listing.company_access and listing.societies == ()


def test_a_listing_announcing_more_is_partial_and_what_came_is_kept() -> None:
    page = {
        "row_numbers": 3,  # the Postman example's spelling
        "pages_number": None,
        "society_array": [
            {"society_id": 1, "name": None, "siret": 412345670},
            {"society_id": 2, "siret": " "},
        ],
    }
    listing = mock_client(lambda request: httpx.Response(200, json=page)).list_societies()
    assert listing.partial and listing.rows_number == 3
    assert [(s.society_id, s.name, s.siret) for s in listing.societies] == [
        (1, "", "412345670"),
        (2, "", None),
    ]
    two_pages = {"rows_number": 1, "pages_number": 2, "society_array": [{"society_id": 1, "name": "A"}]}
    assert mock_client(lambda request: httpx.Response(200, json=two_pages)).list_societies().partial


def test_a_listing_of_an_unexpected_shape_is_an_error() -> None:
    with pytest.raises(MyUnisoftError) as caught:
        mock_client(lambda request: httpx.Response(200, json=[{"society_id": 1}])).list_societies()
    assert caught.value.code == "ERR-UNEXPECTED-RESPONSE"
