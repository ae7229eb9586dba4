"""The fake's ``GET /mad/entries`` over raw HTTP: what it lists, its filters, and its switches
(answer shape, refusal, lag). The shape itself is held to the vendor's schema in
``tests/unit/test_contract_mad.py``."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from local.fakes.myunisoft import FakeMyUnisoft
from tests.unit.fake_myunisoft.support import (
    CABINET,
    OTHER_SOCIETY,
    SOCIETY,
    assert_error,
    auth,
    entry_body,
    setup_books,
)

MARCH = {"version": "1.0.0", "startDate": "2024-03-01", "endDate": "2024-03-31"}


def _post(http: httpx.Client, body: dict[str, Any], **headers: str) -> int:
    response = http.post("/entry", params={"type": "e"}, json=body, headers={**auth(), **headers})
    assert response.status_code == 200, response.text
    return int(response.json()["entry_array"][0]["entry_id"])


def _listed(http: httpx.Client, **params: str) -> list[dict[str, Any]]:
    response = http.get("/mad/entries", params={**MARCH, **params}, headers=auth())
    assert response.status_code == 200, response.text
    body = response.json()
    assert isinstance(body, list)
    return body


def test_lists_the_entries_held_with_their_partner_metadata_and_lines(
    fake: FakeMyUnisoft, http: httpx.Client
) -> None:
    ids = setup_books(fake)
    entry_id = _post(http, entry_body(ids, comment={"content": "Importée par paysync"}))
    [listed] = _listed(http, journalIds=str(ids["diary"]))
    assert listed["producerId"] == str(entry_id)
    assert listed["date"] == "2024-03-31"
    assert listed["journal"] == {
        "producerId": str(ids["diary"]),
        "customerReferenceCode": "30",
        "name": "JOURNAL DE PAIE",
        "type": "OD Paie",
    }
    assert listed["additionalProducerProperties"]["partnerMetadata"] == {
        "partnerId": "paysync-3-2024-03-a",
        "json": '{"source": "paysync"}',
    }
    assert listed["additionalProducerProperties"]["comment"] == "Importée par paysync"
    assert [
        (
            m["account"]["number"],
            m["value"]["debit"],
            m["value"]["credit"],
            m["value"]["amount"],
            m["description"],
        )
        for m in listed["movements"]
    ] == [("641100", 1234.56, 0, -1234.56, "Salaires"), ("421000", 0, 1234.56, 1234.56, "Net à payer")]
    assert list(listed["attachments"]) == ["journal.pdf"]


def test_an_entry_without_partner_id_has_no_partner_metadata(fake: FakeMyUnisoft, http: httpx.Client) -> None:
    ids = setup_books(fake)
    body = entry_body(ids)
    del body["entry_origin_partner_id"]
    _post(http, body)
    [listed] = _listed(http)
    assert listed["additionalProducerProperties"] is None


def test_filters_by_dates_journals_and_dossier(fake: FakeMyUnisoft, http: httpx.Client) -> None:
    ids = setup_books(fake)
    other_journal = fake.add_diary(SOCIETY, "31", "PAIE BIS")
    march = _post(http, entry_body(ids))
    april = _post(
        http, entry_body(ids, date_piece="2024-04-30", entry_origin_partner_id="paysync-3-2024-04-a")
    )
    bis = _post(http, entry_body(ids, diary_id=other_journal, entry_origin_partner_id="paysync-3-2024-03-b"))
    other_ids = setup_books(fake, OTHER_SOCIETY)
    _post(
        http,
        entry_body(other_ids, etablissement_id=OTHER_SOCIETY, entry_origin_partner_id="other"),
        **auth(CABINET, society=OTHER_SOCIETY),
    )

    def producers(**params: str) -> list[str]:
        return [e["producerId"] for e in _listed(http, **params)]

    assert producers() == [str(march), str(bis)]
    assert producers(journalIds=str(ids["diary"])) == [str(march)]
    assert producers(journalIds=f"{ids['diary']},{other_journal}") == [str(march), str(bis)]
    assert producers(endDate="2024-04-30") == [str(march), str(april), str(bis)]
    assert producers(startDate="2024-04-01", endDate="2024-04-30") == [str(april)]
    everything = http.get("/mad/entries", params={"version": "1.0.0"}, headers=auth()).json()
    assert [e["producerId"] for e in everything] == [str(march), str(april), str(bis)]
    year = http.get("/mad/entries", params={"version": "1.0.0", "idExercice": ids["open"]}, headers=auth())
    assert len(year.json()) == 3


def test_wrapped_shape(fake: FakeMyUnisoft, http: httpx.Client) -> None:
    ids = setup_books(fake)
    entry_id = _post(http, entry_body(ids))
    fake.mad_entries.shape = "wrapped"
    body = http.get("/mad/entries", params=MARCH, headers=auth()).json()
    assert set(body) == {"metadata", "data"}
    assert body["metadata"]["version"] == "1.0.0" and body["metadata"]["producer"] == "MyUnisoft"
    assert [e["producerId"] for e in body["data"]] == [str(entry_id)]


@pytest.mark.parametrize(
    ("status", "code"), [(403, "ERR-FORBIDDEN-ROUTE"), (404, "ERR-HTTP"), (501, "ERR-HTTP")]
)
def test_refused_on_demand(fake: FakeMyUnisoft, http: httpx.Client, status: int, code: str) -> None:
    setup_books(fake)
    fake.mad_entries.refusal = status
    assert_error(http.get("/mad/entries", params=MARCH, headers=auth()), code, status)


def test_a_stale_listing_misses_what_was_just_posted(fake: FakeMyUnisoft, http: httpx.Client) -> None:
    ids = setup_books(fake)
    first = _post(http, entry_body(ids))
    fake.mad_entries.stale_seconds = 0.3
    time.sleep(0.35)
    second = _post(http, entry_body(ids, entry_origin_partner_id="paysync-3-2024-03-b"))
    assert [e["producerId"] for e in _listed(http)] == [str(first)]
    time.sleep(0.35)
    assert [e["producerId"] for e in _listed(http)] == [str(first), str(second)]


def test_bad_parameters(fake: FakeMyUnisoft, http: httpx.Client) -> None:
    setup_books(fake)

    def get(**params: Any) -> httpx.Response:
        return http.get("/mad/entries", params=params, headers=auth())

    assert_error(get(startDate="2024-03-01"), "ERR-HTTP", 400)  # no version
    assert_error(get(version="2.0.0"), "ERR-HTTP", 400)
    assert_error(get(version="1.0.0", startDate="01/03/2024"), "GBL2")
    assert_error(get(version="1.0.0", startDate="2024-03-31", endDate="2024-03-01"), "DATE3")
    assert_error(get(version="1.0.0", startDate="2024-01-01", endDate="2025-01-01"), "ERR-HTTP", 400)
    assert get(version="1.0.0", startDate="2024-01-01", endDate="2024-12-31").status_code == 200
    assert_error(get(version="1.0.0", idExercice="1"), "EXERCICE10")
    assert_error(get(version="1.0.0", journalIds="OD"), "JOURNAL3")
    # behind the gateway like every dossier route
    assert_error(http.get("/mad/entries", params=MARCH, headers=auth(CABINET)), "SOCIETE10")
