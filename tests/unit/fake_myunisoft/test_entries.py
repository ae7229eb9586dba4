"""The MyUnisoft fake's entries over raw HTTP: posting, finding by partner id, the business and
shape rules with their catalogue codes, attachments and documents."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from local.fakes.myunisoft import DuplicateRefusal, FakeMyUnisoft, LookupNotFound
from tests.unit.fake_myunisoft.support import (
    CABINET,
    OTHER_SOCIETY,
    SOCIETY,
    assert_error,
    auth,
    entry_body,
    setup_books,
)


# -- entries -----------------------------------------------------------------------------------------
def test_create_entry_stores_it_with_attachments(fake: FakeMyUnisoft, http: httpx.Client) -> None:
    ids = setup_books(fake)
    body = entry_body(ids)
    body["entry_list"][0]["pj_list"] = [{"name": "a.txt", "type": "text/plain", "content": "aGk="}]
    response = http.post("/entry", params={"type": "e"}, json=body, headers=auth())
    assert response.status_code == 200, response.text
    created = response.json()
    entry_id = created["entry_array"][0]["entry_id"]
    assert created["debit_total"] == created["credit_total"] == 1234.56
    [stored] = fake.entries(SOCIETY)
    assert stored["entry_id"] == entry_id
    assert stored["entry_origin_partner_id"] == "paysync-3-2024-03-a"
    assert stored["request_id"] == response.headers["request-id"]
    assert [(line["account_id"], line["debit"], line["credit"]) for line in stored["lines"]] == [
        (ids["641"], 1234.56, 0),
        (ids["421"], 0, 1234.56),
    ]
    assert [(a["name"], a["content"], a["source"]) for a in stored["attachments"]] == [
        ("journal.pdf", b"%PDF", "pj_list"),
        ("a.txt", b"hi", "line"),
    ]
    assert fake.entries(OTHER_SOCIETY) == []


def test_find_entry_by_partner_id(fake: FakeMyUnisoft, http: httpx.Client) -> None:
    ids = setup_books(fake)
    missing = http.get("/entry/id", params={"id_origin": "paysync-3-2024-03-a"}, headers=auth())
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "ENTRY-NOT-FOUND"  # the default: the least helpful
    entry_id = http.post("/entry", params={"type": "e"}, json=entry_body(ids), headers=auth()).json()[
        "entry_array"
    ][0]["entry_id"]
    found = http.get("/entry/id", params={"id_origin": "paysync-3-2024-03-a"}, headers=auth()).json()
    assert found == {
        "id_entry": entry_id,
        "type": "ENTRIES",
        "json_metadata_partners": '{"source": "paysync"}',
    }
    # another dossier does not see it
    other = http.get(
        "/entry/id", params={"id_origin": "paysync-3-2024-03-a"}, headers=auth(CABINET, society=4)
    )
    assert other.status_code == 404


@pytest.mark.parametrize(
    ("style", "content"),
    [("200-empty", b""), ("200-null", b"null"), ("200-{}", b"{}"), ("200-[]", b"[]")],
)
def test_the_not_found_style_is_a_switch(
    fake: FakeMyUnisoft, http: httpx.Client, style: LookupNotFound, content: bytes
) -> None:
    fake.configure(lookup_not_found=style)
    missing = http.get("/entry/id", params={"id_origin": "nobody"}, headers=auth())
    assert (missing.status_code, missing.content) == (200, content)


def test_the_lookup_can_lag_behind_the_writes(fake: FakeMyUnisoft, http: httpx.Client) -> None:
    ids = setup_books(fake)
    fake.configure(lookup_lag_seconds=3600)
    assert http.post("/entry", params={"type": "e"}, json=entry_body(ids), headers=auth()).is_success
    lagging = http.get("/entry/id", params={"id_origin": "paysync-3-2024-03-a"}, headers=auth())
    assert lagging.status_code == 404
    fake.configure(lookup_lag_seconds=0)
    assert http.get("/entry/id", params={"id_origin": "paysync-3-2024-03-a"}, headers=auth()).is_success


def test_without_uniqueness_a_partner_id_may_be_used_twice(fake: FakeMyUnisoft, http: httpx.Client) -> None:
    """The default: MyUnisoft does not document that it refuses a duplicate, so the fake does not."""
    ids = setup_books(fake)
    for _ in range(2):
        assert http.post("/entry", params={"type": "e"}, json=entry_body(ids), headers=auth()).is_success
    assert len(fake.entries(SOCIETY)) == 2
    found = http.get("/entry/id", params={"id_origin": "paysync-3-2024-03-a"}, headers=auth()).json()
    assert found["id_entry"] == fake.entries(SOCIETY)[0]["entry_id"]  # the oldest


@pytest.mark.parametrize(
    ("refusal", "status", "code"),
    [("GBL6", 400, "GBL6"), ("409", 409, "ENTRY-CONFLICT"), ("other", 400, "PARTNER-ID-USED")],
)
def test_with_uniqueness_on_a_partner_id_is_strictly_unique_per_dossier(
    fake: FakeMyUnisoft, http: httpx.Client, refusal: DuplicateRefusal, status: int, code: str
) -> None:
    fake.configure(partner_id_unique=True, duplicate_refusal=refusal)
    ids = setup_books(fake)
    assert http.post("/entry", params={"type": "e"}, json=entry_body(ids), headers=auth()).status_code == 200
    again = http.post("/entry", params={"type": "e"}, json=entry_body(ids), headers=auth())
    assert (again.status_code, again.json()["error"]["code"]) == (status, code)
    if refusal == "GBL6":
        assert_error(again, "GBL6")
    assert len(fake.entries(SOCIETY)) == 1
    assert fake.duplicates_refused == 1
    without = entry_body(ids)
    del without["entry_origin_partner_id"]
    for _ in range(2):
        assert http.post("/entry", params={"type": "e"}, json=without, headers=auth()).status_code == 200
    assert len(fake.entries(SOCIETY)) == 3


def test_switches_are_checked(fake: FakeMyUnisoft) -> None:
    with pytest.raises(TypeError):
        fake.configure(partner_id_uniqe=True)
    with pytest.raises(ValueError, match="lookup_not_found"):
        fake.configure(lookup_not_found="410")
    assert fake.configure(partner_id_unique=True).label == "unique-GBL6/404"


def _post(http: httpx.Client, body: Any, **params: str) -> httpx.Response:
    return http.post("/entry", params={"type": "e", **params}, json=body, headers=auth())


def test_entry_business_rules(fake: FakeMyUnisoft, http: httpx.Client) -> None:
    ids = setup_books(fake)
    foreign = fake.add_account(OTHER_SOCIETY, "641100", "SALAIRES BETA")
    closed_diary = fake.add_diary(SOCIETY, "31", "PAIE FERMEE", closed=True)
    an_diary = fake.add_diary(SOCIETY, "40", "A NOUVEAUX", diary_type_code="AN")
    other_diary = fake.add_diary(OTHER_SOCIETY, "30", "PAIE BETA")
    deleted = fake.add_account(SOCIETY, "641200", "PRIMES")
    fake.delete_account(SOCIETY, deleted)

    def line(index: int, **changes: Any) -> dict[str, Any]:
        body = entry_body(ids)
        body["entry_list"][index].update(changes)
        return body

    cases: list[tuple[dict[str, Any], str]] = [
        (entry_body(ids, etablissement_id=OTHER_SOCIETY), "ECR48"),
        (entry_body(ids, diary_id=999), "JOURNAL3"),
        (entry_body(ids, diary_id=other_diary), "JOURNAL3"),
        (entry_body(ids, diary_id=closed_diary), "JOURNAL2"),
        (entry_body(ids, diary_id=an_diary), "JOURNAL13"),
        (entry_body(ids, date_piece="2025-01-31"), "ECR10"),
        (entry_body(ids, date_piece="2023-06-30"), "ECR9"),
        (line(0, account_id=foreign), "COMPTE5"),
        (line(0, account_id=deleted), "COMPTE5"),
        (line(0, account_id=424242), "COMPTE5"),
        (line(0, debit=-1234.56), "ECR2"),
        (line(0, credit=1), "ECR27"),
        (line(0, debit=1234.57), "ECR1"),
    ]
    for body, code in cases:
        assert_error(_post(http, body), code)
    assert fake.entries(SOCIETY) == []
    # balance is checked to the cent, not in floating point
    body = entry_body(ids)
    body["entry_list"] = [
        {"account_id": ids["641"], "label": "a", "debit": 0.1, "credit": 0, "deadline": "2024-03-31"},
        {"account_id": ids["641"], "label": "b", "debit": 0.2, "credit": 0, "deadline": "2024-03-31"},
        {"account_id": ids["421"], "label": "c", "debit": 0, "credit": 0.3, "deadline": "2024-03-31"},
    ]
    assert _post(http, body).status_code == 200


def test_entry_shape_errors(fake: FakeMyUnisoft, http: httpx.Client) -> None:
    ids = setup_books(fake)
    missing = entry_body(ids)
    del missing["entry_list"]
    assert_error(_post(http, missing), "ECR43")
    assert_error(_post(http, entry_body(ids, entry_list=[])), "ECR43")
    long_label = entry_body(ids)
    long_label["entry_list"][0]["label"] = "x" * 51
    error = assert_error(_post(http, long_label), "ECR4")
    assert any(f.startswith("entry_list.0.label") for f in error["details"]["fields"])
    bad_pj = entry_body(ids, pj_list=[{"name": "a.zip", "type": "application/zip", "content": ""}])
    assert_error(_post(http, bad_pj), "ECR4")
    raw = http.post("/entry", params={"type": "e"}, content=b"{not json", headers=auth())
    assert_error(raw, "ECR4")
    other_type = _post(http, entry_body(ids), type="o")
    error = assert_error(other_type, "ECR17")
    assert error["message"] == "Impossible de créer une écriture de type o"
    assert fake.entries(SOCIETY) == []


def test_invalid_base64_is_stored_and_flagged(fake: FakeMyUnisoft, http: httpx.Client) -> None:
    ids = setup_books(fake)
    body = entry_body(ids, pj_list=[{"name": "Apercu.pdf", "type": "application/pdf", "content": "..."}])
    assert _post(http, body).status_code == 200
    [attachment] = fake.entries(SOCIETY)[0]["attachments"]
    assert attachment["valid_base64"] is False


def test_add_document(fake: FakeMyUnisoft, http: httpx.Client) -> None:
    ids = setup_books(fake)
    entry_id = _post(http, entry_body(ids)).json()["entry_array"][0]["entry_id"]

    def upload(content: bytes = b"%PDF-1.4", **params: Any) -> httpx.Response:
        query = {"location": "ENTRIES", "object_id": entry_id, "filename_extension": "bulletins mars.pdf"}
        query.update({"type_result": 1, **params})
        headers = {**auth(), "Content-Type": "application/octet-stream"}
        return http.post("/document/add_all_types", params=query, content=content, headers=headers)

    response = upload()
    assert response.status_code == 200
    attachments = fake.entries(SOCIETY)[0]["attachments"]
    assert attachments[-1]["name"] == "bulletins mars.pdf"
    assert attachments[-1]["content"] == b"%PDF-1.4"
    assert attachments[-1]["source"] == "document"
    assert_error(upload(object_id=999), "ECR4")
    assert_error(upload(location="NOWHERE"), "ECR4")
    assert_error(upload(filename_extension=""), "DOCUMENT4")
    assert_error(upload(filename_extension="virus.exe"), "DOCUMENT9")
    assert_error(upload(content=b""), "DOCUMENT6")
    assert_error(
        http.post(
            "/document/add_all_types",
            params={"location": "ENTRIES", "object_id": entry_id, "filename_extension": "a.pdf"},
            content=b"x",
            headers=auth(CABINET, society=OTHER_SOCIETY),
        ),
        "ECR4",
    )
