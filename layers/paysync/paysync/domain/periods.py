"""Payroll periods (calendar months) and when a dossier's automatic retrieval is due."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True, order=True)
class Period:
    """A payroll period: one calendar month."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"month out of range: {self.month}")
        if not 2000 <= self.year <= 2999:
            raise ValueError(f"year out of range: {self.year}")

    @classmethod
    def parse(cls, text: str) -> Period:
        """Parse ``YYYY-MM``."""
        match = _PERIOD.match(text.strip())
        if not match or not 1 <= int(match.group(2)) <= 12 or not 2000 <= int(match.group(1)) <= 2999:
            raise ValueError(f"période invalide « {text} » : le format attendu est AAAA-MM (mois de 01 à 12)")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, day: date) -> Period:
        return cls(day.year, day.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def next(self) -> Period:
        return Period(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Period:
        return Period(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def day(self, day_of_month: int) -> date:
        """That day of this month; a day past the month's end means its last day."""
        return date(self.year, self.month, min(day_of_month, self.last_day.day))


def last_closed_period(today: date) -> Period:
    """The most recent month that has ended: the default period to pull."""
    return Period.of(today).previous()


def due_date(period: Period, run_day: int) -> date:
    """The night from which ``period`` is pulled: the dossier's run day of the following month.

    A run day past the month's end (e.g. 31 in February) means the month's last day.
    """
    if not 1 <= run_day <= 31:
        raise ValueError(f"run day out of range: {run_day}")
    return period.next().day(run_day)


def is_due(today: date, pending: Period, run_day: int) -> bool:
    """Due when today is on or after the run day of the month after the pending period."""
    return today >= due_date(pending, run_day)
