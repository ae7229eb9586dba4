"""What an entry says, reduced to what the books care about, and its fingerprint; entry versions.

An entry's content is its date, its journal and its lines (account number, direction, amount in
cents, label). The fingerprint is a short hash of that content in a canonical order (MyUnisoft may
list lines in another order than they were posted), so the same content always gives the same
fingerprint whether it is read from Silae, from paysync's records or from MyUnisoft's listing.

Versions: the first version of an entry carries the partner id paysync always gave it (so entries
posted before versions existed are version 1); version ``n > 1`` carries ``<id>-v<n>``, and the
reversal of version ``n`` ``<id>-x<n>``. Deterministic ids are what make each step of a replace
exactly once under the claim protocol (``paysync.usecases.posting``).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any, Literal, NamedTuple

from paysync.domain.payroll import Direction

_VERSIONED = re.compile(r"^(?P<base>.+)-(?P<kind>[vx])(?P<n>\d+)$")
ZERO = Decimal("0.00")

StepKind = Literal["entry", "reversal"]


class ContentLine(NamedTuple):  # not a dataclass: cheaper to define at a cold start
    """One line of an entry as fingerprinted; ordered, so that an entry's lines sort canonically."""

    account: str
    direction: Direction
    amount: Decimal  # positive, in cents
    label: str

    def as_json(self) -> dict[str, str]:
        return {
            "account": self.account,
            "direction": self.direction.value,
            "amount": str(self.amount),
            "label": self.label,
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> ContentLine:
        return cls(
            str(raw["account"]), Direction(raw["direction"]), Decimal(str(raw["amount"])), str(raw["label"])
        )


class EntryContent(NamedTuple):  # not a dataclass: cheaper to define at a cold start
    """An entry's date, journal (MyUnisoft's diary id, as text) and lines, in canonical order."""

    day: date
    journal: str
    lines: tuple[ContentLine, ...]

    @classmethod
    def of(cls, day: date, journal: str | int, lines: Iterable[ContentLine]) -> EntryContent:
        return cls(day, str(journal), tuple(sorted(lines)))

    @property
    def fingerprint(self) -> str:
        canonical = json.dumps(
            [self.day.isoformat(), self.journal, [line.as_json() for line in self.lines]],
            ensure_ascii=False,
            separators=(",", ":"),
        )
        return hashlib.sha256(canonical.encode()).hexdigest()[:20]

    @property
    def debit(self) -> Decimal:
        return sum((x.amount for x in self.lines if x.direction is Direction.DEBIT), ZERO)

    @property
    def credit(self) -> Decimal:
        return sum((x.amount for x in self.lines if x.direction is Direction.CREDIT), ZERO)

    def as_json(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "journal": self.journal,
            "lines": [x.as_json() for x in self.lines],
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> EntryContent:
        return cls.of(
            date.fromisoformat(str(raw["day"])),
            str(raw["journal"]),
            (ContentLine.from_json(x) for x in raw["lines"]),
        )


def net_by_account(contents: Iterable[EntryContent]) -> dict[str, Decimal]:
    """Debit minus credit per account over several entries (zero balances left out): what the books
    hold. After a replace, the period's paysync entries net to Silae's current OD, account by account."""
    net: defaultdict[str, Decimal] = defaultdict(lambda: ZERO)
    for content in contents:
        for line in content.lines:
            net[line.account] += line.amount if line.direction is Direction.DEBIT else -line.amount
    return {account: amount for account, amount in sorted(net.items()) if amount != 0}


class LineDifference(NamedTuple):  # not a dataclass: cheaper to define at a cold start
    """One account and direction whose amount differs: before (posted) → after (Silae now)."""

    account: str
    direction: Direction
    label: str
    before: Decimal | None
    after: Decimal | None

    def as_json(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "direction": self.direction.value,
            "label": self.label,
            "before": None if self.before is None else str(self.before),
            "after": None if self.after is None else str(self.after),
        }


def differences(before: EntryContent | None, after: EntryContent | None) -> list[LineDifference]:
    """The accounts whose amount (per direction) is not the same, in account order. Lines of one
    account and direction are summed: payroll ODs repeat accounts (one line per employee)."""

    def sums(content: EntryContent | None) -> dict[tuple[str, Direction], tuple[Decimal, str]]:
        found: dict[tuple[str, Direction], tuple[Decimal, str]] = {}
        for line in content.lines if content is not None else ():
            amount, label = found.get((line.account, line.direction), (ZERO, line.label))
            found[(line.account, line.direction)] = (amount + line.amount, label)
        return found

    old, new = sums(before), sums(after)
    found: list[LineDifference] = []
    for key in sorted(old.keys() | new.keys(), key=lambda k: (k[0], k[1].value)):
        was, now = old.get(key), new.get(key)
        if was is not None and now is not None and was[0] == now[0]:
            continue
        label = (now or was or (ZERO, ""))[1]
        found.append(LineDifference(key[0], key[1], label, was[0] if was else None, now[0] if now else None))
    return found


# -- versions -----------------------------------------------------------------------------------------
def version_partner_id(base_id: str, version: int) -> str:
    return base_id if version == 1 else f"{base_id}-v{version}"


def reversal_partner_id(base_id: str, version: int) -> str:
    return f"{base_id}-x{version}"


def parse_partner_id(partner_id: str) -> tuple[str, StepKind, int]:
    """(base id, step, version) of a partner id paysync gave; a plain id is version 1."""
    match = _VERSIONED.match(partner_id)
    if match is None:
        return partner_id, "entry", 1
    kind: StepKind = "entry" if match["kind"] == "v" else "reversal"
    return match["base"], kind, int(match["n"])
