"""``GET /mad/entries``: a dossier's entries in MyUnisoft's MAD v1.0.0 format, built from the
entries the fake holds (each one as ``mad-schema.json`` describes ``data.entries``' items).

MyUnisoft marks the route experimental and leaves open what a partner needs to know, so the fake
answers each open point one way and lets tests switch it (:class:`MadListing`, ``mad_entries`` on
the fake):

- the answer's shape: a bare array of entries (the Postman example's), or wrapped
  ``{metadata, data}`` with ``data`` the array (``shape = "wrapped"``);
- refused altogether (``refusal``: 403 ``ERR-FORBIDDEN-ROUTE``, any other status ``ERR-HTTP``),
  as for a token whose routes do not include it;
- lagging behind the books (``stale_seconds``, or per society ``stale_by_society``): an entry
  posted less than that long ago is not listed yet, as an export fed from a replica would.

Choices where the docs are silent: ``journalIds`` takes the ``diary_id`` of ``GET /diary``,
comma-separated; an entry is dated by its ``date_piece``; ``idExercice`` (instead of the dates)
lists one fiscal year; a bad date is ``GBL2``, dates the wrong way round ``DATE3``, an unknown
fiscal year ``EXERCICE10``, a journal id that is not a number ``JOURNAL3``; a wrong ``version``
and more than 12 months answer 400 ``ERR-HTTP`` (no catalogued code says so). ``additionalProducerProperties`` is present on entries posted with an
``entry_origin_partner_id``: ``partnerMetadata`` holds that id and the posted ``json``
(``partnerId`` beside it, the posting partner's kind, is always ``API``); other entries have
``null`` there.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from local.fakes.myunisoft.errors import RejectedError
from local.fakes.myunisoft.state import DIARY_TYPES, EntryRecord, MyUnisoftState
from local.fakes.server import Request

MAD_VERSION = "1.0.0"


@dataclass
class MadListing:
    """How the fake's ``GET /mad/entries`` answers (may be changed at any time)."""

    shape: Literal["bare", "wrapped"] = "bare"
    refusal: int | None = None  # answer this status instead of the listing
    stale_seconds: float = 0.0  # entries posted less than this long ago are not listed yet
    stale_by_society: dict[int, float] = field(default_factory=dict)  # the same, for one society

    def staleness(self, society_id: int) -> float:
        return self.stale_by_society.get(society_id, self.stale_seconds)


class BadQueryError(Exception):
    """A parameter the route rejects without a catalogued code: 400 ``ERR-HTTP``, what is wrong in
    ``details.fields``."""


@dataclass(frozen=True)
class _Query:
    start: dt.date | None
    end: dt.date | None
    journals: frozenset[int] | None


def _one_year_after(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def _date(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise RejectedError("GBL2") from None


def _query(state: MyUnisoftState, request: Request, society_id: int) -> _Query:
    query = request.query
    if query.get("version") != MAD_VERSION:
        raise BadQueryError(f"version: {MAD_VERSION} expected")
    start, end = _date(query.get("startDate")), _date(query.get("endDate"))
    exercice_id = query.get("idExercice")
    if exercice_id:
        exercice = state.exercices.get(int(exercice_id)) if exercice_id.isdigit() else None
        if exercice is None or exercice.society_id != society_id:
            raise RejectedError("EXERCICE10")
        start, end = exercice.start, exercice.end
    if start is not None and end is not None:
        if start > end:
            raise RejectedError("DATE3")
        if end >= _one_year_after(start):
            raise BadQueryError("startDate, endDate: 12 months at most")
    journals = None
    if raw := query.get("journalIds", "").strip():
        parts = [part.strip() for part in raw.split(",")]
        if not all(part.isdigit() for part in parts):
            raise RejectedError("JOURNAL3")
        journals = frozenset(int(part) for part in parts)
    return _Query(start, end, journals)


def _listed(entry: EntryRecord, query: _Query, listed_before: float) -> bool:
    record = entry.record
    day = dt.date.fromisoformat(record["date_piece"])
    return (
        entry.posted_at <= listed_before
        and (query.start is None or day >= query.start)
        and (query.end is None or day <= query.end)
        and (query.journals is None or record["diary_id"] in query.journals)
    )


def mad_entry(state: MyUnisoftState, entry: EntryRecord, base_url: str) -> dict[str, Any]:
    """One held entry as MAD describes it. Caller holds the lock."""
    record = entry.record
    diary = state.diaries[record["diary_id"]]
    movements = []
    for line in record["lines"]:
        account = state.accounts.get(line["account_id"])
        movements.append(
            {
                "producerId": str(line["line_entry_id"]),
                "description": line["label"],
                "value": {
                    "credit": line["credit"],
                    "debit": line["debit"],
                    "amount": line["credit"] - line["debit"],
                },
                "dueDate": line["deadline"],
                "lettering": {"state": "none", "value": None},
                "freeNumber": None,
                "invoiceNumber": None,
                "attachments": {},
                "account": {
                    "producerId": str(line["account_id"]),
                    "number": account.number if account else None,
                    "name": account.label if account else None,
                },
                "payment": None,
                "analytics": [],
            }
        )
    partner_id = record["entry_origin_partner_id"]
    properties = None
    if partner_id is not None:
        metadata: dict[str, Any] = {"partnerId": partner_id}
        if record["json"] is not None:
            metadata["json"] = record["json"]
        properties = {
            "partnerId": "API",
            "partnerMetadata": metadata,
            "publishingDestination": "ENTRIES",
            "comment": record["comment"] or "",
        }
    return {
        "producerId": str(entry.entry_id),
        "attachments": {
            attachment["name"]: {
                "type": "URL",
                "value": f"{base_url}/api/v1/ged/document/{entry.entry_id}-{index}/download",
            }
            for index, attachment in enumerate(record["attachments"], start=1)
        },
        "currency": {"code": "EUR"},
        "date": record["date_piece"],
        "dueDate": None,
        "journal": {
            "producerId": str(diary["diary_id"]),
            "customerReferenceCode": diary["code"],
            "name": diary["name"],
            "type": DIARY_TYPES[diary["diary_type_code"]][1],
        },
        "movements": movements,
        "additionalProducerProperties": properties,
    }


def list_entries(
    state: MyUnisoftState, request: Request, society_id: int, how: MadListing, base_url: str
) -> Any:
    """The answer's body; raises ``RejectedError`` (a catalogued refusal) or ``BadQueryError``."""
    listed_before = time.monotonic() - how.staleness(society_id)
    with state.lock:
        query = _query(state, request, society_id)
        entries = [
            mad_entry(state, entry, base_url)
            for entry in sorted(state.entry_records.values(), key=lambda e: e.entry_id)
            if entry.society_id == society_id and _listed(entry, query, listed_before)
        ]
    if how.shape == "bare":
        return entries
    metadata = {
        "version": MAD_VERSION,
        "createdAt": round(time.time() * 1000),
        "producer": "MyUnisoft",
        "additionalFreeProperties": {},
    }
    return {"metadata": metadata, "data": entries}
