"""What MyUnisoft does not document, as switches each test sets (``FakeMyUnisoft.configure``).

The vendor documents only the *found* answer of ``GET /entry/id?id_origin=``; it leaves open what
"not found" looks like, whether it refuses a second entry with one ``entry_origin_partner_id`` ("Il
se doit d'être strictement unique" is the partner's duty), and how it would say so. paysync must
survive every plausible answer, so the fake gives each of them on demand. The defaults are the
least helpful ones: no uniqueness (the fake never protects paysync from itself) and a ``404``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any, Literal, get_args

# "404": an error body with ``NOT_FOUND_CODE``; "200-…": a success whose body is empty, ``null``,
# ``{}`` or ``[]``.
LookupNotFound = Literal["404", "200-empty", "200-null", "200-{}", "200-[]"]
# "GBL6": the generic duplicate code (400); "409": a conflict; "other": another code whose message
# says the partner id is already used.
DuplicateRefusal = Literal["GBL6", "409", "other"]

LOOKUP_NOT_FOUND: tuple[LookupNotFound, ...] = get_args(LookupNotFound)
DUPLICATE_REFUSALS: tuple[DuplicateRefusal, ...] = get_args(DuplicateRefusal)


@dataclass(frozen=True)
class Behaviour:
    """One choice per undocumented point; see the module docstring."""

    partner_id_unique: bool = False
    lookup_not_found: LookupNotFound = "404"
    duplicate_refusal: DuplicateRefusal = "GBL6"
    # The lookup does not see entries posted less than this many seconds ago (a search index
    # behind the writes). Not a documented behaviour either; used to show what the ledger protects.
    lookup_lag_seconds: float = 0.0

    def changed(self, **changes: Any) -> Behaviour:
        """A copy with ``changes``, each a known switch with an allowed value."""
        known = {f.name for f in fields(self)}
        unknown = set(changes) - known
        if unknown:
            raise TypeError(f"unknown switch(es) of the fake MyUnisoft: {sorted(unknown)}")
        if changes.get("lookup_not_found", "404") not in LOOKUP_NOT_FOUND:
            raise ValueError(f"lookup_not_found is one of {LOOKUP_NOT_FOUND}")
        if changes.get("duplicate_refusal", "GBL6") not in DUPLICATE_REFUSALS:
            raise ValueError(f"duplicate_refusal is one of {DUPLICATE_REFUSALS}")
        return replace(self, **changes)

    @property
    def label(self) -> str:
        """Short and stable, for test ids and tables: ``unique-GBL6/404`` or ``not-unique/200-null``."""
        unique = f"unique-{self.duplicate_refusal}" if self.partner_id_unique else "not-unique"
        lag = f"/lag-{self.lookup_lag_seconds:g}s" if self.lookup_lag_seconds else ""
        return f"{unique}/{self.lookup_not_found}{lag}"


def every_behaviour() -> list[Behaviour]:
    """Every combination of the documented-as-unknown switches that changes an answer: each
    not-found style without uniqueness, and with uniqueness each style times each refusal shape."""
    combos = [Behaviour(lookup_not_found=style) for style in LOOKUP_NOT_FOUND]
    combos += [
        Behaviour(partner_id_unique=True, lookup_not_found=style, duplicate_refusal=refusal)
        for refusal in DUPLICATE_REFUSALS
        for style in LOOKUP_NOT_FOUND
    ]
    return combos
