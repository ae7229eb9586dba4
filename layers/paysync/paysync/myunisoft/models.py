"""Responses of the MyUnisoft API Partenaires that paysync reads.

Shapes follow the vendor's Postman collection and guides (``api-partners.postman_collection.json``,
``docs/endpoints/keyinfo.md``, ``docs/accounting/folder/...``). Every model ignores fields it does
not know, so a new field on MyUnisoft's side never breaks a run; fields that the examples show as
sometimes absent have defaults.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "Account",
    "CreatedEntry",
    "Diary",
    "DiaryAccount",
    "EntryListing",
    "Exercice",
    "FoundEntry",
    "KeyInfo",
    "KeyRoute",
    "KeyTarget",
    "KeyVersion",
    "ListedEntry",
    "ListedMovement",
    "MadJournal",
    "Society",
    "SocietyListing",
    "parse_myunisoft_date",
]


class _Model(BaseModel):
    # Built when first used (``defer_build``): a run with its society's facts cached reads entries
    # only, and the connection test the key's info only, not the journals, years and accounts.
    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True, defer_build=True)


def parse_myunisoft_date(value: object) -> object:
    """MyUnisoft writes dates ``YYYYMMDD`` on some routes (``/society/exercice``) and ISO elsewhere."""
    if isinstance(value, str):
        text = value.strip()
        if len(text) == 8 and text.isdigit():
            return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
        if len(text) > 10 and text[10] in "T ":  # a datetime: keep its date
            return dt.date.fromisoformat(text[:10])
    return value


# -- GET /key/info?mode=extended ---------------------------------------------------------------
class KeyRoute(_Model):
    path: str
    method: str


class KeyTarget(_Model):
    # "api": a société (one dossier) token; "firm": a cabinet token (every dossier of a schema).
    type: str
    schema_id: int | None = Field(default=None, alias="schemaId")
    third_party_id: int | None = Field(default=None, alias="thirdPartyId")
    society_id: int | None = Field(default=None, alias="societyId")


class KeyVersion(_Model):
    current: int | None = None
    latest: int | None = None
    beta: bool = False


class KeyInfo(_Model):
    """What a token is: its kind, its schema (tenant), its dossier, the routes it may call."""

    target: KeyTarget
    version: KeyVersion | None = None
    can_be_activated: bool | None = Field(default=None, alias="canBeActivated")
    is_activated: bool | None = Field(default=None, alias="isActivated")
    routes: tuple[KeyRoute, ...] = ()

    @property
    def token_type(self) -> Literal["societe", "cabinet"]:
        return "cabinet" if self.is_cabinet else "societe"

    @property
    def is_cabinet(self) -> bool:
        return self.target.type.lower() == "firm"

    @property
    def schema_id(self) -> int | None:
        return self.target.schema_id

    @property
    def society_id(self) -> int | None:
        return self.target.society_id

    def allows(self, method: str, path: str) -> bool:
        """Whether the token lists ``method path`` (``path`` with or without the ``/api/v1`` prefix)."""
        wanted = path if path.startswith("/api/") else "/api/v1/" + path.lstrip("/")
        return any(r.method.lower() == method.lower() and r.path == wanted for r in self.routes)


# -- GET /diary ---------------------------------------------------------------------------------
class DiaryAccount(_Model):
    id: int | None = None
    label: str | None = None
    number: str | None = None


class Diary(_Model):
    """A journal. The payroll one has ``diary_type_code`` ``OD_PAIE`` (type id 11)."""

    diary_id: int
    code: str
    name: str = ""
    diary_type_id: int | None = None
    diary_type_code: str | None = None
    diary_type_name: str | None = None
    blocked: bool = False
    # Absent from the "get all" example, present when filtering by code or type.
    closed: bool = False
    account: DiaryAccount | None = None

    @field_validator("blocked", "closed", mode="before")
    @classmethod
    def _none_is_false(cls, value: object) -> object:
        return False if value is None else value

    @property
    def is_payroll(self) -> bool:
        return self.diary_type_code == "OD_PAIE"


# -- GET /account?mode=2, POST /account -----------------------------------------------------------
class Account(_Model):
    """An account of a dossier's chart. Entries reference ``account_id``, never the number."""

    account_id: int
    account_number: str
    label: str = ""
    closed: bool = False
    blocked: bool = False
    society_id: int | None = None
    counterpart_account: dict[str, Any] | None = None

    @field_validator("closed", "blocked", mode="before")
    @classmethod
    def _none_is_false(cls, value: object) -> object:
        return False if value is None else value

    @field_validator("label", mode="before")
    @classmethod
    def _none_is_empty(cls, value: object) -> object:
        return "" if value is None else value


# -- GET /society/exercice ----------------------------------------------------------------------
class Exercice(_Model):
    """A fiscal year. Entries dated outside every year fail ``ECR10``; in a closed one ``ECR9``."""

    exercice_id: int
    start_date: dt.date
    end_date: dt.date
    closed: bool = False
    label: str | None = None

    @field_validator("start_date", "end_date", mode="before")
    @classmethod
    def _dates(cls, value: object) -> object:
        return parse_myunisoft_date(value)

    @field_validator("closed", mode="before")
    @classmethod
    def _none_is_false(cls, value: object) -> object:
        return False if value is None else value

    def contains(self, day: dt.date) -> bool:
        return self.start_date <= day <= self.end_date


# -- GET /society (cabinet token) ------------------------------------------------------------------
def _text_or_none(value: object) -> object:
    """``siret`` and the like: a string, a number (kept as its digits) or nothing."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(int(value))
    if isinstance(value, str):
        return value.strip() or None
    return value


class Society(_Model):
    """A row of ``society_array``: one dossier (société) of the firm."""

    society_id: int
    name: str = ""
    siret: str | None = None  # sometimes the 9-digit SIREN, sometimes the 14-digit SIRET, or null
    folder_reference: str | None = None
    city: str | None = None
    postal_code: str | None = None

    @field_validator("name", mode="before")
    @classmethod
    def _none_is_empty(cls, value: object) -> object:
        return "" if value is None else value

    @field_validator("siret", "folder_reference", "city", "postal_code", mode="before")
    @classmethod
    def _text(cls, value: object) -> object:
        return _text_or_none(value)


class SocietyListing(_Model):
    """What ``GET /society`` gave: the societies, and whether that was all of them.

    ``company_access``: the token is a société (dossier) token, whose answer is its own society's
    file and not a listing: no society is read from it.
    """

    societies: tuple[Society, ...] = ()
    rows_number: int | None = None
    pages_number: int | None = None
    company_access: bool = False

    @property
    def partial(self) -> bool:
        """More rows or pages announced than came (no page parameter is documented)."""
        more_pages = self.pages_number is not None and self.pages_number > 1
        more_rows = self.rows_number is not None and self.rows_number > len(self.societies)
        return more_pages or more_rows


# -- GET /entry/id?id_origin= ---------------------------------------------------------------------
class FoundEntry(_Model):
    """``PartnersEntryMetadata``: where the entry carrying our ``entry_origin_partner_id`` is."""

    id_entry: int
    type: str = "ENTRIES"  # "ENTRIES" (validated) or "ENTRIES_TEMP" (waiting for validation)
    json_metadata_partners: str | None = None


# -- POST /entry?type=e ---------------------------------------------------------------------------
class CreatedEntry(_Model):
    """The entry MyUnisoft created, with the ``request-id`` of the call that created it.

    ``recovered`` is true when the entry was not created by this call's answer but found by its
    ``entry_origin_partner_id``: the creating call's answer was lost (timeout, 5xx), or MyUnisoft
    said the id was already used (an earlier attempt or run created it). ``request_id`` is then the
    look-up's.
    """

    entry_id: int
    request_id: str | None = None
    recovered: bool = False

    @staticmethod
    def find_entry_id(payload: object) -> int | None:
        """The entry id in a creation answer, wherever it is.

        The answer of ``POST /entry?type=e`` is not documented; its sibling ``POST /entry/temp``
        answers ``{type, debit_total, credit_total, entry_array: [{entry_id, ...}]}``. This accepts
        that shape and the plain ones (``entry_id`` / ``id_entry`` / ``id`` at the root).
        """
        if isinstance(payload, Mapping):
            for key in ("entry_id", "id_entry", "id"):
                value = payload.get(key)
                if isinstance(value, int) and not isinstance(value, bool):
                    return value
            array = payload.get("entry_array")
            if isinstance(array, list) and array:
                return CreatedEntry.find_entry_id(array[0])
        if isinstance(payload, list) and payload:
            return CreatedEntry.find_entry_id(payload[0])
        return None


# -- GET /mad/entries (MAD v1.0.0, mad-schema.json's ``data.entries`` items) ----------------------
def _text_id(value: object) -> object:
    """MAD writes ids as text; a number is read as its text too."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class MadJournal(_Model):
    """The journal an entry is in: ``producerId`` is the journal's id (as a text)."""

    producer_id: str | None = Field(default=None, alias="producerId")
    code: str | None = Field(default=None, alias="customerReferenceCode")
    name: str | None = None
    type: str | None = None

    @field_validator("producer_id", mode="before")
    @classmethod
    def _text(cls, value: object) -> object:
        return _text_id(value)


class ListedMovement(_Model):
    """One line of a listed entry: its account number, debit, credit and label.

    Read from MAD's ``{description, value: {debit, credit, amount}, account: {number, name}}``.
    """

    description: str = ""
    account_number: str | None = None
    account_id: str | None = None  # ``account.producerId``: the account's id, as a text
    debit: Decimal = Decimal(0)
    credit: Decimal = Decimal(0)

    @model_validator(mode="before")
    @classmethod
    def _from_mad(cls, data: Any) -> Any:
        if not isinstance(data, Mapping) or "value" not in data:
            return data
        value, account = data["value"], data.get("account")
        value = value if isinstance(value, Mapping) else {}
        account = account if isinstance(account, Mapping) else {}
        return {
            "description": data.get("description") or "",
            "account_number": account.get("number"),
            "account_id": _text_id(account.get("producerId")),
            "debit": value.get("debit") or 0,
            "credit": value.get("credit") or 0,
        }


class ListedEntry(_Model):
    """An entry of the ``GET /mad/entries`` listing, reduced to what paysync compares.

    ``producer_id`` is MAD's ``producerId``, the entry's id (``entry_id`` as a number);
    ``partner_id`` is ``additionalProducerProperties.partnerMetadata.partnerId``, the
    ``entry_origin_partner_id`` it was posted with (None for an entry no partner posted);
    ``partner_json`` the ``json`` posted with it, as text.
    """

    producer_id: str
    date: dt.date
    journal: MadJournal | None = None
    movements: tuple[ListedMovement, ...] = ()
    partner_id: str | None = None
    partner_json: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_mad(cls, data: Any) -> Any:
        if not isinstance(data, Mapping) or "producerId" not in data:
            return data
        properties = data.get("additionalProducerProperties")
        metadata = properties.get("partnerMetadata") if isinstance(properties, Mapping) else None
        metadata = metadata if isinstance(metadata, Mapping) else {}
        partner_json = metadata.get("json")
        if partner_json is not None and not isinstance(partner_json, str):
            partner_json = json.dumps(partner_json, ensure_ascii=False, separators=(",", ":"))
        return {
            "producer_id": _text_id(data["producerId"]),
            "date": parse_myunisoft_date(data.get("date")),
            "journal": data.get("journal"),
            "movements": data.get("movements") or (),
            "partner_id": _text_id(metadata.get("partnerId")),
            "partner_json": partner_json,
        }

    @property
    def entry_id(self) -> int | None:
        """The id the ``/entry`` routes use, when ``producerId`` is one."""
        return int(self.producer_id) if self.producer_id.isdigit() else None

    @property
    def journal_id(self) -> str | None:
        return self.journal.producer_id if self.journal else None


class EntryListing(_Model):
    """A period's entries in the journals asked for, as ``GET /mad/entries`` listed them."""

    entries: tuple[ListedEntry, ...] = ()
    shape: Literal["bare", "wrapped"] = "bare"  # a bare array, or wrapped in ``{metadata, data}``

    def by_partner_id(self) -> dict[str, ListedEntry]:
        """Entries carrying a partner id, by that id (the first one listed if two carry it)."""
        found: dict[str, ListedEntry] = {}
        for entry in self.entries:
            if entry.partner_id is not None:
                found.setdefault(entry.partner_id, entry)
        return found
