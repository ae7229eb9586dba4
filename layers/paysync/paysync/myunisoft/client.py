"""HTTP client of the MyUnisoft API Partenaires, the few routes paysync needs.

How every call is paced, sent, retried and read (credentials, ``request-id``, typed errors) is in
``paysync.myunisoft.transport``; this module says what each route sends and what its answer means.

Writes are not blindly repeated: when a write may have been applied although its answer was lost
(timeout or broken connection after sending, 5xx), ``create_entry`` looks the entry up by its
``entry_origin_partner_id`` before trying again, and says, when it gives up, whether an attempt
may have landed (``MyUnisoftAmbiguousWriteError``) or none can have (a plain transient error);
``attach_document`` raises ``MyUnisoftAmbiguousWriteError`` for the caller to decide. Refusals at
the gateway (429, maintenance) are always safe to repeat.

Route choices:
- the chart of accounts is read with ``GET /account?mode=2`` and no ``begin_by``: the route the
  vendor's guide "Récupérer et travailler avec le plan comptable" gives for the whole chart, in one
  call, with ``closed``/``blocked`` and ``rows_number``/``pages_number`` (so a partial answer shows).
  ``GET /account/v2`` also lists every account but says nothing about completeness;
- the firm's societies are read with ``GET /society`` and a cabinet token, without ``society-id`` (with
  it, or with a société token, the route answers one society's file). The Postman collection
  documents no page parameter (only ``q``, ``sort`` and ``siret``): as for the chart, the first
  answer is what there is, and a listing announcing more (``pages_number`` > 1, or more
  ``rows_number`` than rows) says so (``SocietyListing.partial``);
- "not found" on ``GET /entry/id?id_origin=`` is not documented (only the found
  ``PartnersEntryMetadata`` is): a 2xx with an empty body, ``null``, ``{}``, ``[]`` or a null
  ``id_entry``, and a 404 whatever its code, all mean absent. Any other answer (another refusal, a
  2xx of another shape) is raised: reading it as "absent" could post an entry twice;
- whether MyUnisoft refuses a second entry with one partner id is not documented either: a refusal
  that says so (``GBL6``, any 409, a code or message saying it exists) is answered by a lookup;
  found, it is the entry (``recovered=True``); not found, ``MyUnisoftExistsUnfoundError``.
- a period's entries are listed with ``GET /mad/entries`` (MAD v1.0.0), which MyUnisoft marks
  experimental and documents loosely: both a bare array and ``{metadata, data}`` are read, and a
  refusal or an answer that is not a listing raises ``MyUnisoftListingUnavailableError``, on which
  the caller falls back to ``find_entry_by_origin``. One entry the model cannot read makes the whole
  listing unusable: skipping it could hide an entry already posted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import httpx
from pydantic import ValidationError

from paysync.myunisoft.errors import (
    ACCESS_CODES,
    UNEXPECTED_RESPONSE_CODE,
    MyUnisoftAmbiguousWriteError,
    MyUnisoftError,
    MyUnisoftExistsUnfoundError,
    MyUnisoftListingUnavailableError,
    MyUnisoftTransientError,
    says_already_exists,
)
from paysync.myunisoft.models import (
    Account,
    CreatedEntry,
    Diary,
    EntryListing,
    Exercice,
    FoundEntry,
    KeyInfo,
    ListedEntry,
    Society,
    SocietyListing,
)
from paysync.myunisoft.transport import MyUnisoftAccess, MyUnisoftTransport
from paysync.observability import logger

# MyUnisoftAccess is defined with the transport that sends it, and exported here with the client
# it builds.
__all__ = ["MyUnisoftAccess", "MyUnisoftClient"]

MAD_VERSION = "1.0.0"


class MyUnisoftClient(MyUnisoftTransport):
    """One token's client: the routes paysync needs. Not meant to be shared between threads (the
    pacer is)."""

    def key_info(self) -> KeyInfo:
        """``GET /key/info?mode=extended``: the token's kind, target and routes. Activates a new key."""
        payload = self._json(self._request("GET", "/key/info", params={"mode": "extended"}))
        return self._parse(KeyInfo, payload)

    def list_diaries(self) -> list[Diary]:
        """``GET /diary``: every journal of the dossier."""
        payload = self._json(self._request("GET", "/diary"))
        return [self._parse(Diary, item) for item in self._list(payload, "/diary")]

    def list_accounts(self) -> list[Account]:
        """The whole chart of accounts in one call: ``GET /account?mode=2`` (no ``begin_by``)."""
        payload = self._json(self._request("GET", "/account", params={"mode": 2}))
        if isinstance(payload, Mapping):
            pages = payload.get("pages_number")
            if isinstance(pages, int) and pages > 1:
                # No page parameter is documented: what came is used, missing accounts are found
                # (or created) one by one through find_or_create_account.
                logger.warning(
                    "MyUnisoft chart of accounts answered in several pages; only the first was read",
                    extra={"pages_number": pages, "rows_number": payload.get("rows_number")},
                )
            payload = payload.get("account_array") or []
        return [self._parse(Account, item) for item in self._list(payload, "/account")]

    def list_societies(self) -> SocietyListing:
        """``GET /society`` (cabinet token, no ``society-id``): the firm's societies, one answer."""
        payload = self._json(self._request("GET", "/society"))
        if isinstance(payload, Mapping) and "society_array" not in payload and "society_id" in payload:
            return SocietyListing(company_access=True)
        if not isinstance(payload, Mapping):
            raise MyUnisoftError(
                UNEXPECTED_RESPONSE_CODE, "/society did not answer an object", request_id=self.last_request_id
            )
        rows = self._list(payload.get("society_array") or [], "/society")
        # The Postman example spells it "row_numbers", the docs "rows_number".
        count = payload.get("rows_number", payload.get("row_numbers"))
        pages = payload.get("pages_number")
        listing = SocietyListing(
            societies=tuple(self._parse(Society, row) for row in rows),
            rows_number=count if isinstance(count, int) else None,
            pages_number=pages if isinstance(pages, int) else None,
        )
        if listing.partial:
            logger.warning(
                "MyUnisoft announced more societies than it answered; only those were read",
                extra={"pages_number": pages, "rows_number": count, "rows": len(rows)},
            )
        return listing

    def find_or_create_account(self, number: str, label: str) -> Account:
        """``POST /account``: the account with this number, created when missing.

        MyUnisoft may normalise the number (the Postman example turns ``251`` into ``251000``):
        use the returned ``account_id`` and ``account_number``.
        """
        body = {"account_number": number, "label": label}
        payload = self._json(self._request("POST", "/account", json_body=body))
        return self._parse(Account, payload)

    def find_entry_by_origin(self, partner_id: str) -> FoundEntry | None:
        """``GET /entry/id?id_origin=``: the entry carrying this ``entry_origin_partner_id``, or None."""
        response = self._request("GET", "/entry/id", params={"id_origin": partner_id}, answers=_ABSENT)
        if response.status_code in _ABSENT or not response.content.strip():
            return None
        payload = self._json(response)
        if isinstance(payload, list):
            payload = payload[0] if payload else None
        if payload is None or payload == {}:
            return None
        if isinstance(payload, Mapping) and "id_entry" in payload and payload["id_entry"] is None:
            return None
        return self._parse(FoundEntry, payload)

    def list_entries(self, start: dt.date, end: dt.date, journal_ids: Sequence[int]) -> EntryListing:
        """``GET /mad/entries``: the entries dated ``start`` to ``end`` in these journals.

        At most 12 months (MyUnisoft's limit). Entries are listed as MyUnisoft gives them (one
        outside the journals or dates asked for is kept: a partner id is unique in the dossier
        whatever its journal). Raises ``MyUnisoftListingUnavailableError`` when the listing is
        refused or unusable; refusals of the credentials or the dossier (``ACCESS_CODES``) and
        transient failures are raised as on any other route.
        """
        if end < start or end >= _one_year_after(start):
            raise ValueError(f"a listing covers 1 day to 12 months, not {start} to {end}")
        params: dict[str, str | int] = {
            "version": MAD_VERSION,
            "startDate": start.isoformat(),
            "endDate": end.isoformat(),
            "journalIds": ",".join(str(i) for i in journal_ids),
        }
        try:
            payload = self._json(self._request("GET", "/mad/entries", params=params))
        except MyUnisoftTransientError:
            raise
        except MyUnisoftError as error:
            if error.code in ACCESS_CODES:
                raise
            raise MyUnisoftListingUnavailableError(
                error.code, error.message, status=error.status, request_id=error.request_id
            ) from None
        items, shape = _listed_items(payload)
        if items is None:
            raise self._unusable("GET /mad/entries answered neither an array nor {metadata, data}")
        try:
            entries = tuple(ListedEntry.model_validate(item) for item in items)
        except ValidationError as exc:
            where = ".".join(str(p) for p in exc.errors()[0]["loc"]) or "(root)"
            raise self._unusable(
                f"GET /mad/entries listed an entry it does not describe (at {where})"
            ) from None
        return EntryListing(entries=entries, shape=shape)

    def _unusable(self, message: str) -> MyUnisoftListingUnavailableError:
        return MyUnisoftListingUnavailableError(
            UNEXPECTED_RESPONSE_CODE, message, request_id=self.last_request_id
        )

    def create_entry(self, body: dict[str, Any]) -> CreatedEntry:
        """``POST /entry?type=e``: create one entry (a ``NewEntry`` body).

        Never creates two entries with one ``entry_origin_partner_id`` by itself: when an answer is
        lost after sending (timeout, broken connection, 5xx), the entry is looked up by that id
        before any new attempt (found: returned with ``recovered=True``; absent: posted again, unless
        we stopped waiting while MyUnisoft may still be applying it, a read timeout or a 504: the
        lookup may run before the POST lands, so the ambiguity is raised for a later attempt), and
        a refusal saying it already exists is answered the same way (absent:
        ``MyUnisoftExistsUnfoundError``). When it gives up on a transient failure, the error is a
        ``MyUnisoftAmbiguousWriteError`` if any attempt may have landed, else the plain transient
        one (every attempt was refused before it could be applied). Without a partner id a lost
        answer is raised as ``MyUnisoftAmbiguousWriteError`` at once.
        """
        partner_id = body.get("entry_origin_partner_id")
        partner_id = partner_id if isinstance(partner_id, str) and partner_id else None
        unconfirmed = _Unconfirmed()
        try:
            return self._create(body, partner_id, unconfirmed)
        except MyUnisoftTransientError as error:
            if unconfirmed.sent and not isinstance(error, MyUnisoftAmbiguousWriteError):
                raise _ambiguous(error) from None  # an earlier attempt's answer was lost
            raise

    def _create(
        self, body: dict[str, Any], partner_id: str | None, unconfirmed: _Unconfirmed
    ) -> CreatedEntry:
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._request(
                    "POST", "/entry", params={"type": "e"}, json_body=body, idempotent=False
                )
            except MyUnisoftAmbiguousWriteError as lost:
                unconfirmed.sent = True
                if partner_id is None or attempt >= self._retry.attempts:
                    raise
                found = self._landed(partner_id)
                if found is not None:
                    return found
                if lost.still_running:
                    # Absent now proves nothing: MyUnisoft may still be applying it. The claim
                    # stays; a later attempt looks it up again before any new POST.
                    raise
                self._sleep(self._retry.backoff(attempt))
                continue
            except MyUnisoftError as error:
                if partner_id is not None and says_already_exists(error):
                    return self._existing(partner_id, refusal=error)
                raise
            entry_id = CreatedEntry.find_entry_id(self._json(response, allow_empty=True))
            if entry_id is not None:
                return CreatedEntry(entry_id=entry_id, request_id=self.last_request_id)
            unconfirmed.sent = True  # accepted, but which entry is it?
            found = self._landed(partner_id) if partner_id is not None else None
            if found is not None:
                return found
            raise MyUnisoftError(
                UNEXPECTED_RESPONSE_CODE,
                "POST /entry answered without an entry id",
                status=response.status_code,
                request_id=response.headers.get("request-id"),
            )

    def _landed(self, partner_id: str) -> CreatedEntry | None:
        """The entry, if an attempt whose answer was lost (or unreadable) created it."""
        found = self.find_entry_by_origin(partner_id)
        if found is None:
            return None
        logger.info(
            "MyUnisoft entry found after an unconfirmed POST",
            extra={"entry_id": found.id_entry, "request_id": self.last_request_id},
        )
        return CreatedEntry(entry_id=found.id_entry, request_id=self.last_request_id, recovered=True)

    def _existing(self, partner_id: str, *, refusal: MyUnisoftError) -> CreatedEntry:
        """MyUnisoft said the entry exists: find it, or say precisely that it cannot be found."""
        found = self.find_entry_by_origin(partner_id)
        if found is None:
            raise MyUnisoftExistsUnfoundError(
                refusal.code, refusal.message, status=refusal.status, request_id=refusal.request_id
            )
        logger.info(
            "MyUnisoft already had the entry",
            extra={
                "entry_id": found.id_entry,
                "refusal_code": refusal.code,
                "request_id": refusal.request_id,
            },
        )
        return CreatedEntry(entry_id=found.id_entry, request_id=self.last_request_id, recovered=True)

    def attach_document(self, entry_id: int, filename: str, content: bytes) -> None:
        """``POST /document/add_all_types``: attach a file (raw bytes) to an existing entry."""
        params: dict[str, str | int] = {
            "location": "ENTRIES",
            "object_id": entry_id,
            "filename_extension": filename,
            "type_result": 1,
        }
        self._request(
            "POST",
            "/document/add_all_types",
            params=params,
            content=content,
            content_type="application/octet-stream",
            idempotent=False,
        )

    def list_exercices(self) -> list[Exercice]:
        """``GET /society/exercice``: the dossier's fiscal years."""
        payload = self._json(self._request("GET", "/society/exercice"))
        return [self._parse(Exercice, item) for item in self._list(payload, "/society/exercice")]

    def health(self) -> bool:
        """``GET /api/partners/health`` (no auth, not paced): is the API up?"""
        root = self._base[: -len("/v1")] if self._base.endswith("/v1") else self._base
        try:
            response = self._http.get(f"{root}/partners/health", timeout=self._timeout)
        except httpx.HTTPError:
            return False
        self._remember_request_id(response.headers.get("request-id"))
        return response.is_success


# The lookup's 404, whatever its code, means "absent": the docs define no not-found answer.
_ABSENT = frozenset({404})


@dataclass
class _Unconfirmed:
    """Whether a ``POST /entry`` of this call may have landed without our knowing its entry."""

    sent: bool = False


def _ambiguous(error: MyUnisoftError) -> MyUnisoftAmbiguousWriteError:
    return MyUnisoftAmbiguousWriteError(
        error.code, error.message, status=error.status, request_id=error.request_id
    )


def _one_year_after(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def _listed_items(payload: Any) -> tuple[list[Any] | None, Literal["bare", "wrapped"]]:
    """The entries of a ``/mad/entries`` answer: a bare array, or ``{metadata, data}`` whose
    ``data`` is the array or MAD's document object holding it as ``entries``."""
    if isinstance(payload, list):
        return payload, "bare"
    if isinstance(payload, Mapping) and "data" in payload:
        data = payload["data"]
        if isinstance(data, Mapping):
            data = data.get("entries")
        if isinstance(data, list):
            return data, "wrapped"
    return None, "wrapped"
