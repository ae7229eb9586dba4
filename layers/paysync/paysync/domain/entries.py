"""From one Silae ``rupture`` to one MyUnisoft ``NewEntry``: amounts, labels, balance, identity.

Pure: the caller supplies the journal id, the resolved account ids and the files.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from paysync.domain.accounts import missing_account
from paysync.domain.diagnoses import Diagnosis, diagnosis
from paysync.domain.fingerprint import ContentLine, EntryContent
from paysync.domain.payroll import Direction, PayrollFile, PayrollGroup
from paysync.domain.periods import Period

CENT = Decimal("0.01")
REVERSAL_PREFIX = "Annulation — "
LABEL_MAX = 50  # NewEntryLine.label maxLength
FILE_NAME_MAX = 50  # PJ.name maxLength
# PJ.type enum of the NewEntry schema, by file extension.
_PJ_TYPES = {
    ".pdf": "application/pdf",
    ".txt": "text/plain",
    ".csv": "text/plain",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".bmp": "image/bmp",
}


def to_cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def clip_label(text: str, limit: int = LABEL_MAX) -> str:
    """Collapse whitespace and cut to the API's limit (an ellipsis says it was cut)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def partner_entry_ids(
    society_id: int, dossier_number: str, period: Period, groups: Sequence[PayrollGroup]
) -> list[str]:
    """One deterministic ``entry_origin_partner_id`` per group.

    Built from the stable outside identities (MyUnisoft society, Silae dossier number), the period
    and the group's label (with its rank among groups of the same label), so the same payroll
    entry always gets the same id whatever paysync record it is synced from: it is the key that
    MyUnisoft keeps strictly unique, hence "never post twice".
    """
    seen: Counter[str] = Counter()
    ids: list[str] = []
    for group in groups:
        label = " ".join(group.label.split()).casefold()
        seen[label] += 1
        digest = hashlib.sha256(
            f"{society_id}|{dossier_number}|{period}|{label}|{seen[label]}".encode()
        ).hexdigest()[:16]
        ids.append(f"paysync-{society_id}-{period}-{digest}")
    return ids


class Totals(NamedTuple):  # not a dataclass: cheaper to define at a cold start
    """An entry's debit and credit sums, to the cent: an unbalanced entry is never posted (ECR1)."""

    debit: Decimal
    credit: Decimal

    @property
    def balanced(self) -> bool:
        return self.debit == self.credit


def totals(group: PayrollGroup) -> Totals:
    debit = sum((to_cents(x.amount) for x in group.lines if x.direction is Direction.DEBIT), Decimal("0.00"))
    credit = sum(
        (to_cents(x.amount) for x in group.lines if x.direction is Direction.CREDIT), Decimal("0.00")
    )
    return Totals(debit, credit)


_ALLOWED_PJ_TYPES = frozenset(_PJ_TYPES.values()) | {"image/pjpeg", "image/jpg", "image/x-png", "image/tif"}


def pj_type(name: str) -> str | None:
    """The attachment's MIME type if MyUnisoft accepts it (the PJ.type enum), else None."""
    ext = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    guessed = _PJ_TYPES.get(ext) or mimetypes.guess_type(name)[0]
    return guessed if guessed in _ALLOWED_PJ_TYPES else None


def pj_name(name: str) -> str:
    """Fit a file name into 50 characters, keeping its extension."""
    if len(name) <= FILE_NAME_MAX:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or len(ext) > 10:
        return name[:FILE_NAME_MAX]
    return stem[: FILE_NAME_MAX - len(ext) - 1] + "." + ext


@dataclass(frozen=True)
class EntryDraft:
    """What paysync would post for one group, or why it cannot."""

    partner_id: str
    label: str
    totals: Totals
    body: dict[str, Any] | None  # the NewEntry body; None when blocked
    blocked_by: tuple[Diagnosis, ...] = field(default=())
    file_names: tuple[str, ...] = ()
    notices: tuple[Diagnosis, ...] = ()  # non-blocking: e.g. an account created despite a same-label one
    content: EntryContent | None = None  # what it says (date, journal, lines), fingerprinted
    version: int = 1

    @property
    def postable(self) -> bool:
        return self.body is not None


def entry_label(group: PayrollGroup, period: Period) -> str:
    return clip_label(group.label or f"OD de paie {period}")


def group_content(group: PayrollGroup, period: Period, journal: str | int) -> EntryContent:
    """What the entry built from ``group`` says, as posted: the date, journal, accounts, amounts in
    cents and labels of ``build_entry``'s body."""
    label = entry_label(group, period)
    return EntryContent.of(
        period.last_day,
        journal,
        (
            ContentLine(line.account, line.direction, to_cents(line.amount), clip_label(line.label or label))
            for line in group.lines
        ),
    )


def reversal_content(content: EntryContent) -> EntryContent:
    """The reversal of a posted entry: same date and journal, every line's direction swapped, its
    label prefixed « Annulation — »."""
    return EntryContent.of(
        content.day,
        content.journal,
        (
            ContentLine(
                x.account,
                Direction.CREDIT if x.direction is Direction.DEBIT else Direction.DEBIT,
                x.amount,
                clip_label(REVERSAL_PREFIX + x.label),
            )
            for x in content.lines
        ),
    )


def build_entry(
    group: PayrollGroup,
    *,
    partner_id: str,
    period: Period,
    society_id: int,
    diary_id: int,
    accounts: Mapping[str, int],
    files: Sequence[PayrollFile] = (),
    dossier_number: str = "",
    blocked_accounts: Mapping[str, Diagnosis] | None = None,
    notices: Sequence[Diagnosis] = (),
    version: int = 1,
) -> EntryDraft:
    """Map one payroll group to a NewEntry body, or block it with diagnoses.

    Never produces an unbalanced body (ECR1) nor one with an unresolved account (COMPTE2).
    """
    label = entry_label(group, period)
    sums = totals(group)
    content = group_content(group, period, diary_id)
    problems: list[Diagnosis] = []
    if not group.lines:
        problems.append(diagnosis("ECR1", entry=label, debit="0.00", credit="0.00"))
    elif not sums.balanced:
        problems.append(diagnosis("ECR1", entry=label, debit=str(sums.debit), credit=str(sums.credit)))
    missing = sorted({line.account for line in group.lines if line.account not in accounts})
    why = blocked_accounts or {}
    problems.extend(
        (why.get(number) or missing_account(number)).with_details(entry=label) for number in missing
    )
    # A file of a type MyUnisoft refuses would make the whole entry invalid: it is left out.
    attachable = [f for f in files if pj_type(f.name) is not None]
    names = tuple(pj_name(f.name) for f in attachable)
    if problems:
        return EntryDraft(
            partner_id, label, sums, None, tuple(problems), names, content=content, version=version
        )

    date_piece = period.last_day.isoformat()
    lines = [
        {
            "account_id": accounts[line.account],
            "label": clip_label(line.label or label),
            "debit": float(to_cents(line.amount)) if line.direction is Direction.DEBIT else 0,
            "credit": float(to_cents(line.amount)) if line.direction is Direction.CREDIT else 0,
            "deadline": date_piece,
        }
        for line in group.lines
    ]
    body: dict[str, Any] = {
        "entry_list": lines,
        "date_piece": date_piece,
        "period_from": period.first_day.isoformat(),
        "period_to": period.last_day.isoformat(),
        "etablissement_id": society_id,
        "diary_id": diary_id,
        "entry_origin_partner_id": partner_id,
        "json": entry_json(dossier_number, period, label, version, content),
        "comment": {"content": f"OD de paie {period} importée depuis Silae par paysync — {label}"},
    }
    if attachable:
        body["pj_list"] = [
            {"name": name, "type": pj_type(f.name), "content": f.base64}
            for name, f in zip(names, attachable, strict=True)
        ]
    return EntryDraft(
        partner_id, label, sums, body, (), names, tuple(notices), content=content, version=version
    )


def entry_json(
    dossier_number: str, period: Period, label: str, version: int, content: EntryContent, *, reverses: int = 0
) -> str:
    """The entry's own ``json`` field: where it comes from, its version and its fingerprint, so that
    what paysync posted can be told from MyUnisoft's listing even if paysync's records are lost."""
    found: dict[str, Any] = {
        "source": "paysync",
        "silae_dossier": dossier_number,
        "period": str(period),
        "group": label,
        "version": version,
        "fingerprint": content.fingerprint,
    }
    if reverses:
        found["reverses_version"] = reverses
    return json.dumps(found, ensure_ascii=False)


def build_reversal(
    content: EntryContent,
    *,
    partner_id: str,
    label: str,
    version: int,
    period: Period,
    society_id: int,
    accounts: Mapping[str, int],
    dossier_number: str = "",
) -> EntryDraft:
    """The reversal of a posted version (its ``content``): a NewEntry body with no file, or blocked
    when an account of it is not resolved."""
    reversal = reversal_content(content)
    reversal_label = clip_label(REVERSAL_PREFIX + label)
    sums = Totals(reversal.debit, reversal.credit)
    missing = sorted({line.account for line in reversal.lines if line.account not in accounts})
    if missing:
        problems = tuple(missing_account(n).with_details(entry=reversal_label) for n in missing)
        return EntryDraft(partner_id, reversal_label, sums, None, problems, content=reversal, version=version)
    day = reversal.day.isoformat()
    body: dict[str, Any] = {
        "entry_list": [
            {
                "account_id": accounts[line.account],
                "label": line.label,
                "debit": float(line.amount) if line.direction is Direction.DEBIT else 0,
                "credit": float(line.amount) if line.direction is Direction.CREDIT else 0,
                "deadline": day,
            }
            for line in reversal.lines
        ],
        "date_piece": day,
        "period_from": period.first_day.isoformat(),
        "period_to": period.last_day.isoformat(),
        "etablissement_id": society_id,
        "diary_id": int(reversal.journal),
        "entry_origin_partner_id": partner_id,
        "json": entry_json(dossier_number, period, label, version, reversal, reverses=version),
        "comment": {
            "content": f"Annulation par paysync de la version {version} de l'OD de paie {period} — {label}"
        },
    }
    return EntryDraft(partner_id, reversal_label, sums, body, content=reversal, version=version)


def _decoded_size(b64: str) -> int:
    """The size of base64 content, without decoding it."""
    return len(b64) * 3 // 4 - (len(b64) - len(b64.rstrip("=")))


def entry_preview(body: dict[str, Any]) -> dict[str, Any]:
    """A NewEntry body to show (dry runs): each file as its name, type and size, never its content."""
    preview = dict(body)
    if "pj_list" in body:
        preview["pj_list"] = [
            {
                "name": pj.get("name"),
                "type": pj.get("type"),
                "size": _decoded_size(str(pj.get("content") or "")),
            }
            for pj in body["pj_list"]
        ]
    return preview
