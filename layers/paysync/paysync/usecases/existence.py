"""Is this entry already in MyUnisoft? The existence check of the claim protocol
(``paysync.usecases.posting``, step 3), answered with as few calls as a period allows.

Per run and period, in this order:

1. **Never attempted: no check.** The witness (``paysync.storage.period_attempts``, outside the
   ledger) records each attempt of a period before its first POST, atomically telling what came
   before. A period paysync never attempted for this society and payroll dossier holds none of
   paysync's entries, so no call is needed. Only the attempt that finds the period new skips the
   checks: its redeliveries, and any run beginning the period after it, see it attempted.
2. **Attempted (or no history): one listing** of the period's entries in the OD PAIE journal
   (``GET /mad/entries``); an entry listed with our partner id is there.
3. **Per-entry lookups** (``GET /entry/id?id_origin=``) where the listing cannot be trusted:
   - the listing is refused or unusable (``MyUnisoftListingUnavailableError``): every entry;
   - an entry the listing does not show but which may have been posted recently: its claim took
     over an unconfirmed one (an attempt that died after its POST), or an attempt of the period
     began less than ``LISTING_LAG`` ago (MyUnisoft documents no delay between a POST and the
     listing showing it: an export fed from a replica may lag, and the ledger may have been lost).

An attempt found older than ``LISTING_LAG`` lets the listing's "absent" stand: what it posted has
had time to show. A lookup may lag too; as before, the ledger's posted records are final, so a lag
matters only once the ledger is lost (README, "Things the vendors do not document").
A lost POST answer is settled by the client itself (``MyUnisoftClient.create_entry``).

A transient failure of the listing is raised: nothing was sent, the run is retried as for any
other call. A refusal of the credentials or the dossier (``ACCESS_CODES``) is raised as well.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from paysync.domain.models import Dossier
from paysync.domain.periods import Period
from paysync.myunisoft.client import MyUnisoftClient
from paysync.myunisoft.errors import MyUnisoftListingUnavailableError
from paysync.myunisoft.models import FoundEntry, ListedEntry
from paysync.observability import logger
from paysync.storage.period_attempts import PeriodAttempts, PriorAttempts
from paysync.usecases.services import Services

# How long after an attempt its entries may still be missing from the listing. An assumption
# (MyUnisoft says nothing): a day, against the seconds a replica lags.
LISTING_LAG = timedelta(hours=24)


class ExistenceCheck(Protocol):
    def find(self, partner_id: str, *, suspect: bool) -> FoundEntry | None:
        """The entry carrying ``partner_id`` in MyUnisoft, or None; ``suspect``: an unconfirmed
        claim was taken over (the entry may have been posted a moment ago)."""


class LookupEach:
    """One lookup per entry: what posting does without a period's context."""

    def __init__(self, client: MyUnisoftClient) -> None:
        self.client = client

    def find(self, partner_id: str, *, suspect: bool) -> FoundEntry | None:
        return self.client.find_entry_by_origin(partner_id)


class PeriodExistence:
    """One run's existence checks for its period (see the module's docstring). Decides on first
    use, so that a run posting nothing neither records an attempt nor lists anything."""

    def __init__(
        self,
        client: MyUnisoftClient,
        attempts: PeriodAttempts,
        *,
        society_id: int,
        payroll_number: str,
        period: Period,
        journal_id: int,
        clock: Callable[[], datetime],
    ) -> None:
        self.client = client
        self.attempts = attempts
        self.society_id = society_id
        self.payroll_number = payroll_number
        self.period = period
        self.journal_id = journal_id
        self.clock = clock
        self.prior: PriorAttempts | None = None
        self.listed: dict[str, ListedEntry] | None = None  # None: no usable listing
        self.listing_request_id: str | None = None
        self.recent = False  # an attempt of the period began less than LISTING_LAG ago

    def find(self, partner_id: str, *, suspect: bool) -> FoundEntry | None:
        prior = self._begin()
        if prior.never_attempted and not suspect:
            return None
        if self.listed is None:
            return self.client.find_entry_by_origin(partner_id)
        entry = self.listed.get(partner_id)
        if entry is not None and entry.producer_id.isdigit():
            self.client.last_request_id = self.listing_request_id  # what the run records for it
            return FoundEntry(id_entry=int(entry.producer_id))
        if entry is not None or suspect or self.recent:  # listed without a usable id, or in doubt
            return self.client.find_entry_by_origin(partner_id)
        return None

    def _begin(self) -> PriorAttempts:
        if self.prior is not None:
            return self.prior
        now = self.clock()
        prior = self.attempts.begin(self.society_id, self.payroll_number, str(self.period), now)
        if not prior.never_attempted:
            # Without history nothing is known of earlier attempts: the listing is trusted (the
            # witness lost as well as the ledger is the README's "what is not guaranteed").
            self.recent = prior.last is not None and now - prior.last < LISTING_LAG
            self.listed = self._listing()
        self.prior = prior  # only once the listing answered: a transient failure starts over
        return prior

    def _listing(self) -> dict[str, ListedEntry] | None:
        try:
            listing = self.client.list_entries(self.period.first_day, self.period.last_day, [self.journal_id])
        except MyUnisoftListingUnavailableError as error:
            logger.warning(
                "MyUnisoft entry listing unavailable: one lookup per entry",
                extra={"code": error.code, "request_id": error.request_id},
            )
            return None
        self.listing_request_id = self.client.last_request_id
        return listing.by_partner_id()


def period_existence(
    services: Services, dossier: Dossier, period: Period, client: MyUnisoftClient, journal_id: int
) -> PeriodExistence | None:
    """A sync run's existence checks; None (one lookup per entry) without a witness of the periods
    attempted or the dossier's identity in MyUnisoft."""
    number = dossier.payroll_dossier_number
    if services.attempts is None or dossier.society_id is None or not number:
        return None
    return PeriodExistence(
        client,
        services.attempts,
        society_id=dossier.society_id,
        payroll_number=number,
        period=period,
        journal_id=journal_id,
        clock=services.clock,
    )
