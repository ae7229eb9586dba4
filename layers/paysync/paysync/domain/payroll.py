"""Payroll data as paysync understands it, independent of how Silae spells it."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from functools import cached_property
from typing import NamedTuple


class Direction(StrEnum):
    DEBIT = "D"
    CREDIT = "C"


class PayrollLine(NamedTuple):  # not a dataclass: cheaper to define at a cold start
    """One line of an OD de paie: an account, a label, a side and a positive amount."""

    account: str
    label: str
    direction: Direction
    amount: Decimal


class PayrollGroup(NamedTuple):  # not a dataclass: cheaper to define at a cold start
    """One Silae ``rupture``: a group of lines that becomes one MyUnisoft entry."""

    label: str
    lines: tuple[PayrollLine, ...]
    total_debit: Decimal | None = None
    total_credit: Decimal | None = None
    journal_code: str | None = None


@dataclass(frozen=True)
class PayrollFile:
    """A supporting document of the payroll accounting export (a "PJ")."""

    name: str
    content: bytes = field(repr=False)

    @property
    def size(self) -> int:
        return len(self.content)

    @cached_property
    def base64(self) -> str:
        """The content as MyUnisoft's ``pj_list`` takes it: encoded once, however many entries carry
        the file (each 20 MB of files is 27 MB of text per copy)."""
        return base64.b64encode(self.content).decode("ascii")
