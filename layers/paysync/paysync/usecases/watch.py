"""Watch a synced period: what Silae says now, what paysync posted, what MyUnisoft holds.

Bounded calls: Silae's entries of the period (its files only when a replace needs them), the
period's record in the ledger (one read), and at most one MyUnisoft call, its listing of the
journal's entries over the period (``GET /mad/entries``), made only when something was posted.
The states are computed by ``paysync.domain.period_states`` (pure); what they mean for the firm by
``paysync.domain.period_diagnoses``.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field

from paysync.domain.diagnoses import Diagnosis
from paysync.domain.entries import CENT, entry_label, group_content, partner_entry_ids
from paysync.domain.fingerprint import ContentLine, EntryContent
from paysync.domain.models import WatchedEntry
from paysync.domain.payroll import Direction, PayrollGroup
from paysync.domain.period_diagnoses import not_closed, period_diagnoses
from paysync.domain.period_states import (
    EntryFinding,
    PeriodFacts,
    PostedEntry,
    SilaeEntry,
    entry_states,
    posted_entries,
)
from paysync.domain.periods import Period
from paysync.myunisoft.client import MyUnisoftClient
from paysync.myunisoft.errors import MyUnisoftListingUnavailableError
from paysync.myunisoft.models import EntryListing, ListedEntry
from paysync.observability import logger
from paysync.usecases.preparation import DossierSync, PayrollSide


@dataclass
class PeriodWatch:
    """What one watch found, and what a replace needs to go on without asking again."""

    period: Period
    findings: list[EntryFinding] = field(default_factory=list)
    diagnoses: list[Diagnosis] = field(default_factory=list)
    groups: list[PayrollGroup] = field(default_factory=list)
    base_ids: list[str] = field(default_factory=list)
    posted: dict[str, PostedEntry] = field(default_factory=dict)
    payroll: PayrollSide | None = None
    myunisoft: MyUnisoftClient | None = None
    listing_read: bool = False
    not_closed: bool = False
    myunisoft_calls: int = 0


def watch_period(sync: DossierSync, period: Period, stack: ExitStack) -> PeriodWatch:
    """One watch of ``period`` (raises ConfigurationError / TransientError like a sync)."""
    services, dossier = sync.s, sync.dossier
    watch = PeriodWatch(period)
    watch.payroll = sync.payroll_side(stack)
    number = dossier.payroll_dossier_number or ""
    groups = sync.fetch_entries(watch.payroll, period)
    watch.groups = groups
    if not groups:
        open_period = sync.open_period(watch.payroll)
        if open_period is not None and period >= open_period:
            watch.not_closed = True
            watch.diagnoses.append(not_closed(period, open_period))
    watch.posted = posted_entries(services.ledger.period_versions(dossier.dossier_id, str(period)))
    society_id = dossier.society_id or 0
    watch.base_ids = partner_entry_ids(society_id, number, period, groups) if groups else []
    journals = sorted({step.content.journal for entry in watch.posted.values() for step in entry.steps})
    default_journal = journals[0] if journals else ""
    silae = []
    for base_id, group in zip(watch.base_ids, groups, strict=True):
        live = watch.posted[base_id].live if base_id in watch.posted else None
        journal = live.content.journal if live is not None else default_journal
        silae.append(SilaeEntry(base_id, entry_label(group, period), group_content(group, period, journal)))
    listed: dict[str, EntryContent] | None = None
    ids: dict[str, int] = {}
    if watch.posted:
        watch.myunisoft = sync.myunisoft_client(stack)
        listing = _listing(sync, watch.myunisoft, period, journals)
        watch.myunisoft_calls += 1
        if listing is not None:
            watch.listing_read = True
            listed, ids = _listed_contents(listing, _payroll_numbers(sync))
    seen, blocked = _seen_by_syncs(sync, period)
    facts = PeriodFacts(
        silae=tuple(silae),
        posted=watch.posted,
        listed=listed,
        seen_by_sync=seen,
        blocked=blocked,
        myunisoft_ids=ids,
    )
    watch.findings = entry_states(facts)
    watch.diagnoses.extend(period_diagnoses(period, watch.findings))
    return watch


def _listing(
    sync: DossierSync, client: MyUnisoftClient, period: Period, journals: list[str]
) -> EntryListing | None:
    """MyUnisoft's entries of the period in the journals paysync posted to; None when the listing
    cannot be read (the states then compare Silae with paysync's records only)."""
    with sync.myunisoft_errors():
        try:
            return client.list_entries(
                period.first_day, period.last_day, [int(j) for j in journals if j.isdigit()]
            )
        except MyUnisoftListingUnavailableError as error:
            logger.warning(
                "watch: MyUnisoft's listing is unavailable, compared with Silae only",
                extra={"code": error.code, "request_id": error.request_id},
            )
            return None


def _payroll_numbers(sync: DossierSync) -> dict[str, str]:
    """MyUnisoft account id -> the payroll account number linked to it (Silae's ``4421`` may be
    MyUnisoft's ``442100``): a listed entry is compared in the payroll's numbers."""
    records = sync.s.links.list(sync.dossier.dossier_id)
    return {str(r.account_id): r.number for r in records if r.account_id is not None}


def listed_content(entry: ListedEntry, payroll_numbers: Mapping[str, str]) -> EntryContent:
    """What a listed entry says, as a fingerprintable content (accounts by payroll number where
    linked, else by MyUnisoft's)."""
    lines = []
    for movement in entry.movements:
        account = payroll_numbers.get(movement.account_id or "") or movement.account_number or ""
        debit, credit = movement.debit.quantize(CENT), movement.credit.quantize(CENT)
        if debit:
            lines.append(ContentLine(account, Direction.DEBIT, debit, movement.description))
        if credit:
            lines.append(ContentLine(account, Direction.CREDIT, credit, movement.description))
    return EntryContent.of(entry.date, entry.journal_id or "", lines)


def _listed_contents(
    listing: EntryListing, payroll_numbers: Mapping[str, str]
) -> tuple[dict[str, EntryContent], dict[str, int]]:
    contents: dict[str, EntryContent] = {}
    ids: dict[str, int] = {}
    for partner_id, entry in listing.by_partner_id().items():
        contents[partner_id] = listed_content(entry, payroll_numbers)
        if entry.entry_id is not None:
            ids[partner_id] = entry.entry_id
    return contents, ids


def _seen_by_syncs(sync: DossierSync, period: Period) -> tuple[frozenset[str], frozenset[str]]:
    """The base ids the period's syncs built, and those its last finished sync blocked."""
    runs = [
        r
        for r in sync.s.runs.list_for_dossier(sync.dossier.dossier_id, limit=50)
        if r.period == str(period) and r.kind == "sync" and r.status.finished
    ]
    seen = frozenset(e.partner_id for r in runs for e in r.entries)
    last = runs[0] if runs else None
    blocked = frozenset(e.partner_id for e in last.entries if e.status == "blocked") if last else frozenset()
    return seen, blocked


def watched_entry(finding: EntryFinding) -> WatchedEntry:
    """A finding as a run records it."""
    posted, current = finding.posted, finding.current
    return WatchedEntry(
        base_id=finding.base_id,
        label=finding.label,
        state=finding.state,
        version=finding.version,
        partner_id=finding.partner_id,
        entry_id=finding.entry_id,
        posted_at=finding.posted_at,
        posted_debit=str(posted.debit) if posted else None,
        posted_credit=str(posted.credit) if posted else None,
        current_debit=str(current.debit) if current else None,
        current_credit=str(current.credit) if current else None,
        differences=[d.as_json() for d in finding.differences],
    )
