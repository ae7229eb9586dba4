"""NewEntry, the body of ``POST /entry``, written from the partner docs
(docs/accounting/folder/import/json.md): the fake's own check, apart from paysync's models so that a
contract test can hold both against the vendor's JSON Schema."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from typing import Annotated, Any, Literal, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, Strict, ValidationError, model_validator

# The file extensions accepted by add_all_types (the PJ mime types: ``PjType`` below).
DOCUMENT_EXTENSIONS = frozenset(
    {
        *("gif", "jpeg", "jpg", "pjpeg", "bmp", "png", "tif", "tiff", "pdf"),
        *("xls", "xlsx", "doc", "docx", "ppt", "pptx", "odt", "txt", "csv"),
    }
)
PJ_MAX_BYTES = 50 * 1024 * 1024  # "PDF allowed, ≤ 50 MB"

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_date(value: str) -> str:
    """JSON Schema ``format: date``: an RFC 3339 full-date, ``YYYY-MM-DD``."""
    if not _ISO_DATE.fullmatch(value):
        raise ValueError("expected a date YYYY-MM-DD")
    dt.date.fromisoformat(value)  # raises on 2024-02-30
    return value


Number = Annotated[float, Strict()]  # JSON number: int or float, never a bool or a string
IsoDate = Annotated[str, AfterValidator(_iso_date)]
PjType = Literal[
    "image/gif",
    "image/jpeg",
    "image/pjpeg",
    "image/jpg",
    "image/bmp",
    "image/png",
    "image/x-png",
    "image/tiff",
    "image/tif",
    "application/pdf",
    "application/vnd.ms-excel",
    "application/msword",
    "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.oasis.opendocument.text",
    "text/plain",
]
PJ_TYPES: tuple[str, ...] = get_args(PjType)  # the PJ definition's mime types, spelled once


class _Shape(BaseModel):
    """Optional members may be absent but never ``null`` (the TypeScript ``key?: type``)."""

    @model_validator(mode="before")
    @classmethod
    def _no_null_members(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name, info in cls.model_fields.items():
                key = info.alias or name
                if key in data and data[key] is None:
                    raise ValueError(f"{key} must not be null")
        return data


class _Closed(_Shape):
    model_config = ConfigDict(strict=True, extra="forbid")


class _Open(_Shape):
    model_config = ConfigDict(strict=True, extra="allow", populate_by_name=True)


class PJ(_Closed):
    content: str  # base64
    name: str = Field(max_length=50)
    type: PjType


class EntryComment(_Closed):
    content: str


class RepartitionInfo(_Closed):
    id_section: Number
    code: str
    label: str
    rate: Number
    amount: Number


class AnalyticRepartition(_Closed):
    id_axe: Number
    code: str
    label: str
    repartition: list[RepartitionInfo]


class NewEntryLine(_Open):
    pj_list: list[PJ] | None = None
    piece: str | None = None
    piece2: str | None = None
    deadline: IsoDate
    credit: Number
    debit: Number
    analytique: list[AnalyticRepartition] | None = None
    currency: str | None = None
    value_currency: Number | None = None
    payment_type_id: Number | None = None
    account_id: Number
    label: str = Field(max_length=50)
    lettrage: str | None = None


class NewEntry(_Open):
    pj_list: list[PJ] | None = None
    entry_list: list[NewEntryLine] = Field(min_length=1)
    date_piece: IsoDate
    period_from: IsoDate | None = None
    period_to: IsoDate | None = None
    etablissement_id: Number
    diary_id: Number
    entry_origin_partner_id: str | None = None
    json_payload: str | None = Field(default=None, alias="json")
    comment: EntryComment | None = None


def validate_new_entry(body: Any) -> NewEntry:
    """The fake's own check of a ``NewEntry`` body (raises ``pydantic.ValidationError``)."""
    return NewEntry.model_validate(body)


def field_errors(exc: ValidationError) -> list[str]:
    """What ``details.fields`` says: which fields are wrong (the message stays the catalogue's)."""
    return [f"{'.'.join(str(p) for p in err['loc']) or '(body)'}: {err['msg']}" for err in exc.errors()[:20]]


def decode_pj(content: str) -> tuple[bytes, bool]:
    """Leniently: the vendor's own example sends ``"..."``; the flag says whether it was base64."""
    try:
        return base64.b64decode(content, validate=True), True
    except (binascii.Error, ValueError):
        return b"", False
