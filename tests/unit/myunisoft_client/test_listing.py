"""``MyUnisoftClient.list_entries`` (``GET /mad/entries``): what it sends, both answer shapes, and
the typed error a caller falls back on when the listing is refused or unusable (hand-made answers
through MockTransport for shapes the fake does not give)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import httpx
import pytest

from local.fakes.myunisoft import FakeMyUnisoft
from local.fakes.server import Fault
from paysync.myunisoft.errors import (
    MyUnisoftError,
    MyUnisoftListingUnavailableError,
    MyUnisoftTransientError,
)
from tests.unit.myunisoft_client.support import CABINET, SOCIETY, TOKEN, Harness, books, entry, mock_client

MARCH = (dt.date(2024, 3, 1), dt.date(2024, 3, 31))


def test_lists_a_period_in_a_journal(harness: Harness, fake: FakeMyUnisoft) -> None:
    ids = books(fake)
    other = fake.add_diary(SOCIETY, "31", "PAIE BIS")
    client = harness.client()
    posted = client.create_entry(entry(ids))
    client.create_entry(entry(ids, partner_id="elsewhere", diary_id=other))
    client.create_entry(entry(ids, partner_id="april", date_piece="2024-04-30"))
    listing = client.list_entries(*MARCH, [ids["diary"]])
    sent = harness.sent[-1].url
    assert sent.path.endswith("/mad/entries")
    assert dict(sent.params) == {
        "version": "1.0.0",
        "startDate": "2024-03-01",
        "endDate": "2024-03-31",
        "journalIds": str(ids["diary"]),
    }
    [listed] = listing.entries
    assert listing.shape == "bare"
    assert (listed.entry_id, listed.producer_id, listed.date) == (
        posted.entry_id,
        str(posted.entry_id),
        dt.date(2024, 3, 31),
    )
    assert (listed.partner_id, listed.partner_json) == ("paysync-3-2024-03-x", '{"source": "paysync"}')
    assert listed.journal_id == str(ids["diary"])
    assert [(m.account_number, m.debit, m.credit, m.description) for m in listed.movements] == [
        ("641100", Decimal(100), Decimal(0), "Salaires"),
        ("421000", Decimal(0), Decimal(100), "Net"),
    ]
    assert listing.by_partner_id() == {"paysync-3-2024-03-x": listed}
    both = client.list_entries(*MARCH, [ids["diary"], other])
    assert sorted(both.by_partner_id()) == ["elsewhere", "paysync-3-2024-03-x"]
    assert harness.sent[-1].url.params["journalIds"] == f"{ids['diary']},{other}"


def test_wrapped_answers_are_read(harness: Harness, fake: FakeMyUnisoft) -> None:
    ids = books(fake)
    client = harness.client(CABINET, SOCIETY)
    client.create_entry(entry(ids))
    fake.mad_entries.shape = "wrapped"
    listing = client.list_entries(*MARCH, [ids["diary"]])
    assert listing.shape == "wrapped"
    assert list(listing.by_partner_id()) == ["paysync-3-2024-03-x"]
    assert harness.sent[-1].headers["society-id"] == str(SOCIETY)


def test_a_stale_listing_is_what_it_is(harness: Harness, fake: FakeMyUnisoft) -> None:
    """The client reports what MyUnisoft lists: an entry posted a moment ago may be missing (the
    caller's ledger and look-ups decide)."""
    ids = books(fake)
    fake.mad_entries.stale_seconds = 60
    client = harness.client()
    client.create_entry(entry(ids))
    assert client.list_entries(*MARCH, [ids["diary"]]).entries == ()


@pytest.mark.parametrize(
    ("status", "code"), [(403, "ERR-FORBIDDEN-ROUTE"), (404, "ERR-HTTP"), (400, "ERR-HTTP")]
)
def test_a_refused_listing_is_a_typed_error(
    harness: Harness, fake: FakeMyUnisoft, status: int, code: str
) -> None:
    ids = books(fake)
    fake.mad_entries.refusal = status
    with pytest.raises(MyUnisoftListingUnavailableError) as refused:
        harness.client().list_entries(*MARCH, [ids["diary"]])
    assert (refused.value.code, refused.value.status) == (code, status)
    assert refused.value.request_id and refused.value.request_id.startswith("req-")


def test_refused_credentials_are_not_a_listing_problem(harness: Harness, fake: FakeMyUnisoft) -> None:
    ids = books(fake)
    fake.revoke_token(TOKEN)
    with pytest.raises(MyUnisoftError) as refused:
        harness.client().list_entries(*MARCH, [ids["diary"]])
    assert refused.value.code == "ERR-API-TOKEN-NOT-FOUND"
    assert not isinstance(refused.value, MyUnisoftListingUnavailableError)
    with pytest.raises(MyUnisoftError) as no_dossier:
        harness.client(CABINET, None).list_entries(*MARCH, [ids["diary"]])
    assert no_dossier.value.code == "SOCIETE10"
    assert not isinstance(no_dossier.value, MyUnisoftListingUnavailableError)


def test_transient_failures_are_retried_then_raised_as_such(harness: Harness, fake: FakeMyUnisoft) -> None:
    ids = books(fake)
    fake.faults.add(Fault("status", times=None, path_contains="/mad/entries", status=503))
    with pytest.raises(MyUnisoftTransientError) as failed:
        harness.client().list_entries(*MARCH, [ids["diary"]])
    assert not isinstance(failed.value, MyUnisoftListingUnavailableError)
    assert fake.call_count("/mad/entries") == 4  # MYUNISOFT_MAX_ATTEMPTS
    fake.faults.clear()
    fake.faults.add(Fault("status", times=1, path_contains="/mad/entries", status=502))
    assert harness.client().list_entries(*MARCH, [ids["diary"]]).entries == ()


def test_the_span_is_one_day_to_twelve_months(harness: Harness) -> None:
    client = harness.client()
    for start, end in [
        (dt.date(2024, 3, 31), dt.date(2024, 3, 1)),
        (dt.date(2024, 1, 1), dt.date(2025, 1, 1)),
        (dt.date(2024, 2, 29), dt.date(2025, 2, 28)),
    ]:
        with pytest.raises(ValueError, match="12 months"):
            client.list_entries(start, end, [1])
    assert harness.sent == []


MAD_ENTRY: dict[str, Any] = {
    "producerId": "42",
    "date": "2024-03-31",
    "journal": {"producerId": 7, "customerReferenceCode": "PA", "name": "PAIE", "type": "OD Paie"},
    "movements": [
        {
            "description": "Sal",
            "value": {"debit": 10.1, "credit": 0, "amount": -10.1},
            "account": {"number": "641"},
        },
        {"description": "Net", "value": {"debit": 0, "credit": 10.1, "amount": 10.1}, "account": None},
    ],
    "additionalProducerProperties": {"partnerMetadata": {"partnerId": "p-1", "json": {"run": 1}}},
}


def _answering(body: Any, status: int = 200, content: bytes | None = None) -> Any:
    def answer(request: httpx.Request) -> httpx.Response:
        if content is not None:
            return httpx.Response(status, content=content, headers={"request-id": "r-1"})
        return httpx.Response(status, json=body, headers={"request-id": "r-1"})

    return mock_client(answer)


@pytest.mark.parametrize(
    "body",
    [
        [MAD_ENTRY],
        {"metadata": {"version": "1.0.0"}, "data": [MAD_ENTRY]},
        {"metadata": {"version": "1.0.0"}, "data": {"entries": [MAD_ENTRY], "journals": []}},
    ],
    ids=["bare", "wrapped", "wrapped-document"],
)
def test_every_plausible_shape_is_read(body: Any) -> None:
    listing = _answering(body).list_entries(*MARCH, [7])
    [listed] = listing.entries
    assert (listed.entry_id, listed.journal_id, listed.partner_id) == (42, "7", "p-1")
    assert listed.partner_json == json.dumps({"run": 1}, separators=(",", ":"))
    assert [(m.account_number, m.debit) for m in listed.movements] == [("641", Decimal("10.1")), (None, 0)]
    assert listing.shape == ("bare" if isinstance(body, list) else "wrapped")


@pytest.mark.parametrize(
    ("body", "content"),
    [
        ({"status": "PROCESSING", "id": "export_sch-1"}, None),  # what /mad/all answers
        ({"metadata": {}, "data": {"journals": []}}, None),
        ({"data": None}, None),
        ("entries", None),
        ([{"date": "2024-03-31"}], None),  # an entry without its id
        ([{**MAD_ENTRY, "date": "31/03/2024"}], None),
        ([MAD_ENTRY, 42], None),
        (None, b"<html>gateway</html>"),
        (None, b""),
    ],
    ids=[
        "export-status",
        "document-without-entries",
        "null-data",
        "text",
        "no-id",
        "bad-date",
        "not-an-entry",
        "html",
        "empty",
    ],
)
def test_an_unusable_answer_is_a_typed_error(body: Any, content: bytes | None) -> None:
    with pytest.raises(MyUnisoftListingUnavailableError) as unusable:
        _answering(body, content=content).list_entries(*MARCH, [7])
    assert unusable.value.code == "ERR-UNEXPECTED-RESPONSE"
    assert unusable.value.request_id == "r-1"
