"""A society's OD PAIE journal, fiscal years and chart of accounts for one run: kept between runs
(``paysync.storage.society_facts``), asked of MyUnisoft only when unknown or in doubt.

A kept fact is used while younger than ``SOCIETY_FACTS_MAX_AGE_DAYS``. Doubt makes it fetched
again, never trusted against MyUnisoft's word:

- **what the run concludes from it**: no fiscal year open on the period's last day (``ECR10``,
  ``ECR9``) by the kept years, or an account that seems missing by the kept chart (not matched,
  deleted, renumbered): the fact is fetched once more before concluding, so a year opened or an
  account created since is seen, and what the run concludes is what a fresh fact says;
- **an answer that contradicts it**: ``POST /entry`` refused with ``JOURNAL*``, ``ECR9``/``ECR10``
  or ``COMPTE*`` while the run used a kept fact. The fact is forgotten and the run retried
  (``SocietyFactsDoubtError``, transient: SQS delivers it again), and the retry reads MyUnisoft:
  the next answer is then judged on fresh facts, as before the cache. Retrying rather than
  fetching again mid-run keeps one path: every entry's body is built from one set of facts.

What is kept is only what a run concluded usable: the journal once found open and unblocked (a
missing or closed one is fetched every run until fixed); the years and the chart as read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from paysync.domain.accounts import ChartAccount
from paysync.domain.diagnoses import diagnosis
from paysync.domain.periods import Period
from paysync.errors import ConfigurationError, TransientError
from paysync.myunisoft.client import MyUnisoftClient
from paysync.observability import logger
from paysync.storage.society_facts import (
    Fact,
    FactName,
    FiscalYear,
    PayrollJournal,
    SocietyFacts,
    SocietyFactsRepository,
)

OD_PAIE = "OD_PAIE"


class SocietyFactsDoubtError(TransientError):
    """MyUnisoft contradicted a kept fact: forgotten, the run is retried on fresh ones."""


def contradicted_fact(code: str) -> FactName | None:
    """The kept fact a MyUnisoft refusal of ``POST /entry`` puts in doubt, if any."""
    if code.startswith("JOURNAL"):
        return "journal"
    if code in ("ECR9", "ECR10"):
        return "fiscal_years"
    if code.startswith("COMPTE"):
        return "chart"
    return None


class SocietyContext:
    """One run's facts of one society. ``kept`` names those taken from the store, not MyUnisoft."""

    def __init__(
        self,
        store: SocietyFactsRepository | None,
        client: MyUnisoftClient,
        society_id: int,
        *,
        clock: Callable[[], datetime],
        max_age: timedelta,
    ) -> None:
        self.store = store
        self.client = client
        self.society_id = society_id
        self.clock = clock
        self.max_age = max_age
        self.known = store.get(society_id) if store is not None else SocietyFacts(society_id)
        self.kept: set[FactName] = set()

    def _fresh(self, fact: Fact[Any] | None) -> bool:
        return fact is not None and fact.is_fresh(self.clock(), self.max_age)

    # -- the journal and the fiscal year -------------------------------------------------------
    def payroll_journal(self, period: Period) -> int:
        """The OD PAIE journal id, after checking the period's fiscal year is open (``SILAE6``,
        ``JOURNAL2``, ``ECR10``, ``ECR9`` otherwise). MyUnisoft errors are the caller's to map."""
        journal = self._journal()
        day = period.last_day
        years = self._fiscal_years(fresh=False)
        if _year_problem(years, day) and "fiscal_years" in self.kept:
            years = self._fiscal_years(fresh=True)  # a year opened since the kept ones were read
        problem = _year_problem(years, day)
        if problem is not None:
            raise ConfigurationError(diagnosis(problem, date=day.isoformat()))
        return journal.diary_id

    def _journal(self) -> PayrollJournal:
        kept = self.known.journal
        if kept is not None and self._fresh(kept):
            self.kept.add("journal")
            return kept.value
        fetched_at = self.clock()
        diaries = [d for d in self.client.list_diaries() if d.diary_type_code == OD_PAIE]
        if not diaries:
            self._forget("journal")
            raise ConfigurationError(diagnosis("SILAE6"))
        usable = [d for d in diaries if not d.closed and not d.blocked]
        if not usable:
            self._forget("journal")
            raise ConfigurationError(diagnosis("JOURNAL2", journal=diaries[0].code))
        journal = PayrollJournal(usable[0].diary_id, usable[0].code)
        if self.store is not None:
            self.store.save_journal(self.society_id, journal, fetched_at)
        return journal

    def _fiscal_years(self, *, fresh: bool) -> tuple[FiscalYear, ...]:
        kept = self.known.fiscal_years
        if not fresh and kept is not None and self._fresh(kept):
            self.kept.add("fiscal_years")
            return kept.value
        self.kept.discard("fiscal_years")
        fetched_at = self.clock()
        years = tuple(
            FiscalYear(y.exercice_id, y.start_date, y.end_date, y.closed)
            for y in self.client.list_exercices()
        )
        if self.store is not None:
            self.store.save_fiscal_years(self.society_id, years, fetched_at)
        return years

    # -- the chart ------------------------------------------------------------------------------
    def chart(self) -> list[ChartAccount]:
        """The chart: kept when fresh, else read (whole, one call) and kept."""
        kept = self.known.chart
        if kept is not None and self._fresh(kept):
            self.kept.add("chart")
            return list(kept.value)
        return self._read_chart()

    def chart_again(self) -> list[ChartAccount] | None:
        """The chart read again when the one given was kept (an account seems missing); None when
        it was read from MyUnisoft in this run already."""
        if "chart" not in self.kept:
            return None
        logger.info("an account seems missing from the kept chart: reading it again")
        return self._read_chart()

    def _read_chart(self) -> list[ChartAccount]:
        self.kept.discard("chart")
        fetched_at = self.clock()
        chart = [ChartAccount(a.account_id, a.account_number, a.label) for a in self.client.list_accounts()]
        if self.store is not None:
            self.store.save_chart(self.society_id, chart, fetched_at)
        return chart

    # -- doubt ----------------------------------------------------------------------------------
    def raise_if_contradicted(self, code: str) -> None:
        """MyUnisoft refused a POST with ``code``: when that contradicts a kept fact the run used,
        forget it and raise the error that has the run retried on fresh facts."""
        fact = contradicted_fact(code)
        if fact is None or fact not in self.kept:
            return
        self._forget(fact)
        logger.warning(
            "MyUnisoft contradicted a kept society fact: forgotten, the run is retried",
            extra={"society_id": self.society_id, "fact": fact, "code": code},
        )
        raise SocietyFactsDoubtError(f"MyUnisoft answered {code}: the kept {fact} is in doubt")

    def _forget(self, *facts: FactName) -> None:
        if self.store is not None:
            self.store.forget(self.society_id, *facts)


def _year_problem(years: Sequence[FiscalYear], day: date) -> str | None:
    containing = [y for y in years if y.contains(day)]
    if not containing:
        return "ECR10"
    if all(y.closed for y in containing):
        return "ECR9"
    return None
