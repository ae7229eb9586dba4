"""Posting an entry into a dossier's books: the business rules with the catalogue's codes, the record
kept for ``entries()``, and the answer ``POST /entry?type=e`` gives."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from local.fakes.myunisoft.behaviour import DuplicateRefusal
from local.fakes.myunisoft.errors import DUPLICATE_ORIGIN_CODE, RejectedError
from local.fakes.myunisoft.schema import PJ, PJ_MAX_BYTES, NewEntry, decode_pj
from local.fakes.myunisoft.state import EntryRecord, MyUnisoftState

CENT = Decimal("0.01")


def _amount(value: float) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def _total(amounts: Iterable[float]) -> Decimal:
    return sum((_amount(value) for value in amounts), Decimal(0))


def check_entry(state: MyUnisoftState, society_id: int, entry: NewEntry) -> dict[str, Any]:
    """Business rules with the catalogue's codes; returns the diary. Caller holds the lock."""
    if entry.etablissement_id != society_id:
        raise RejectedError("ECR48")
    diary = state.diaries.get(int(entry.diary_id)) if entry.diary_id.is_integer() else None
    if diary is None or diary["society_id"] != society_id:
        raise RejectedError("JOURNAL3")
    if diary["closed"]:
        raise RejectedError("JOURNAL2")
    if diary["diary_type_code"] == "AN":
        raise RejectedError("JOURNAL13")
    day = dt.date.fromisoformat(entry.date_piece)
    years = [e for e in state.exercices.values() if e.society_id == society_id and e.start <= day <= e.end]
    if not years:
        raise RejectedError("ECR10")
    if all(e.closed for e in years):
        raise RejectedError("ECR9")
    for line in entry.entry_list:
        account = state.accounts.get(int(line.account_id)) if line.account_id.is_integer() else None
        if account is None or account.society_id != society_id or account.deleted:
            raise RejectedError("COMPTE5")
        if line.debit < 0 or line.credit < 0:
            raise RejectedError("ECR2")
        if line.debit != 0 and line.credit != 0:
            raise RejectedError("ECR27")
    if _total(line.debit for line in entry.entry_list) != _total(line.credit for line in entry.entry_list):
        raise RejectedError("ECR1")
    partner_id = entry.entry_origin_partner_id
    unique = state.behaviour.partner_id_unique
    if unique and partner_id is not None and (society_id, partner_id) in state.origin_ids:
        state.duplicates_refused += 1
        raise RejectedError(DUPLICATE_REFUSAL_CODES[state.behaviour.duplicate_refusal])
    return diary


# How a duplicate partner id is refused, per ``Behaviour.duplicate_refusal``.
DUPLICATE_REFUSAL_CODES: dict[DuplicateRefusal, str] = {
    "GBL6": DUPLICATE_ORIGIN_CODE,
    "409": "ENTRY-CONFLICT",
    "other": "PARTNER-ID-USED",
}


def _attachments(entry: NewEntry) -> list[dict[str, Any]]:
    attachments: list[dict[str, Any]] = []
    groups: list[tuple[str, list[PJ]]] = [("pj_list", entry.pj_list or [])]
    groups.extend(("line", line.pj_list or []) for line in entry.entry_list)
    for source, pjs in groups:
        for pj in pjs:
            content, valid = decode_pj(pj.content)
            if len(content) > PJ_MAX_BYTES:
                raise RejectedError("DOCUMENT6")
            attachments.append(
                {
                    "name": pj.name,
                    "type": pj.type,
                    "content": content,
                    "valid_base64": valid,
                    "source": source,
                }
            )
    return attachments


def post_entry(
    state: MyUnisoftState, society_id: int, entry: NewEntry, raw: Any, request_id: str
) -> dict[str, Any]:
    """Check and store ``entry``; returns the answer's body. Caller holds the lock."""
    diary = check_entry(state, society_id, entry)
    attachments = _attachments(entry)
    entry_id = next(state.ids["entry"])
    lines: list[dict[str, Any]] = [
        {
            "line_entry_id": next(state.ids["line"]),
            "account_id": int(line.account_id),
            "label": line.label,
            "debit": line.debit,
            "credit": line.credit,
            "deadline": line.deadline,
        }
        for line in entry.entry_list
    ]
    debit_total = float(_total(line.debit for line in entry.entry_list))
    record: dict[str, Any] = {
        "entry_id": entry_id,
        "entry_origin_partner_id": entry.entry_origin_partner_id,
        "diary_id": diary["diary_id"],
        "date_piece": entry.date_piece,
        "period_from": entry.period_from,
        "period_to": entry.period_to,
        "etablissement_id": society_id,
        "json": entry.json_payload,
        "comment": entry.comment.content if entry.comment else None,
        "lines": lines,
        "debit_total": debit_total,
        "credit_total": debit_total,
        "attachments": attachments,
        "body": raw,
        "request_id": request_id,
        "posted_at": time.monotonic(),  # for Behaviour.lookup_lag_seconds
    }
    state.entry_records[entry_id] = EntryRecord(entry_id, society_id, record)
    if entry.entry_origin_partner_id is not None:
        state.origin_ids.setdefault((society_id, entry.entry_origin_partner_id), []).append(entry_id)
    accounts = {int(line["account_id"]): state.accounts[int(line["account_id"])] for line in lines}
    return {
        "type": "E",
        "debit_total": debit_total,
        "credit_total": debit_total,
        "entry_array": [
            {
                "entry_id": entry_id,
                "diary": {"id": diary["diary_id"], "code": diary["code"], "label": diary["name"]},
                "date_piece": entry.date_piece,
                "period_from": entry.period_from,
                "period_to": entry.period_to,
                "etablissement_id": society_id,
                "pj_list": [{"name": a["name"]} for a in attachments],
                "entry_list": [
                    {
                        "line_entry_id": line["line_entry_id"],
                        "label": line["label"],
                        "debit": line["debit"] or None,
                        "credit": line["credit"] or None,
                        "account": {
                            "account_id": line["account_id"],
                            "account_number": accounts[line["account_id"]].number,
                            "label": accounts[line["account_id"]].label,
                        },
                    }
                    for line in lines
                ],
            }
        ],
    }
