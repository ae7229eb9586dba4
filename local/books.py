"""The month's books as the fakes hold them, and a payroll correction: shared by the demo, the
tests of the watch and replace, and the fault matrix's replace night."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from local.fakes.myunisoft import FakeMyUnisoft
from local.fakes.silae import FakeSilae
from paysync.domain.entries import group_content
from paysync.domain.fingerprint import net_by_account
from paysync.domain.periods import Period
from paysync.silae.models import parse_groups

CENT = Decimal("0.01")


def add_a_bonus(amount: Decimal, *, rupture: int = 0) -> Any:
    """A payroll manager adds a bonus to one payslip and recalculates: gross salaries and the net
    owed to the staff both grow by ``amount`` in one rupture (the OD stays balanced)."""

    def change(ruptures: list[dict[str, Any]]) -> None:
        lines = ruptures[rupture]["ecritures"]
        for line in lines:
            if line["compte"] in ("641100", "421000"):
                line["valeur"] = float((Decimal(str(line["valeur"])) + amount).quantize(CENT))
        ruptures[rupture]["totalDebit"] = float(Decimal(str(ruptures[rupture]["totalDebit"])) + amount)
        ruptures[rupture]["totalCredit"] = float(Decimal(str(ruptures[rupture]["totalCredit"])) + amount)

    return change


def books(
    myunisoft: FakeMyUnisoft,
    society_id: int,
    period: Period,
    *,
    partners_only: bool = True,
    numbers: Mapping[int, str] | None = None,
) -> dict[str, tuple[Decimal, Decimal]]:
    """Debit and credit per account of the society's entries dated in ``period`` (paysync's own, by
    default); accounts by MyUnisoft number, or by the payroll number ``numbers`` links them to."""
    totals: defaultdict[str, list[Decimal]] = defaultdict(lambda: [Decimal("0.00"), Decimal("0.00")])
    for entry in myunisoft.entries(society_id):
        if partners_only and not str(entry["entry_origin_partner_id"] or "").startswith("paysync-"):
            continue
        if not period.first_day.isoformat() <= entry["date_piece"] <= period.last_day.isoformat():
            continue
        for line in entry["lines"]:
            number = (numbers or {}).get(line["account_id"]) or myunisoft.accounts[line["account_id"]].number
            totals[number][0] += Decimal(str(line["debit"])).quantize(CENT)
            totals[number][1] += Decimal(str(line["credit"])).quantize(CENT)
    return {number: (debit, credit) for number, (debit, credit) in sorted(totals.items())}


def books_net(
    myunisoft: FakeMyUnisoft, society_id: int, period: Period, numbers: Mapping[int, str] | None = None
) -> dict[str, Decimal]:
    """Debit minus credit per account (zero balances left out) of paysync's entries of the period."""
    found = {n: d - c for n, (d, c) in books(myunisoft, society_id, period, numbers=numbers).items()}
    return {n: v for n, v in found.items() if v != 0}


def silae_net(silae: FakeSilae, dossier_number: str, period: Period) -> dict[str, Decimal]:
    """Debit minus credit per account of Silae's current OD of the period."""
    groups = parse_groups({"ruptures": silae.ruptures(dossier_number, period)})
    return net_by_account(group_content(group, period, "") for group in groups)


def linked_numbers(links: Any, dossier_id: str) -> dict[int, str]:
    """MyUnisoft account id -> payroll account number, from paysync's account links."""
    return {r.account_id: r.number for r in links.list(dossier_id) if r.account_id is not None}
