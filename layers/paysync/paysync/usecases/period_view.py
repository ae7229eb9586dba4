"""A period as a firm tool sees it: each entry's state, versions, MyUnisoft ids, posted and current
totals, from paysync's records; with ``live``, from a fresh watch (bounded calls, recorded nowhere).

From the records: the period's record in the ledger (what was posted, each version's content),
the newest watch of the period (its findings, for the versions still live), the period's last sync
(what it blocked). An entry no watch has looked at since its version was posted is ``in_sync`` as
far as the records know; ``checked_at`` says when the states were last checked against the vendors.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime

from paysync.domain.access import Principal
from paysync.domain.diagnoses import Diagnosis
from paysync.domain.models import Run, RunEntry, WatchedEntry
from paysync.domain.period_states import posted_entries
from paysync.domain.periods import Period
from paysync.errors import ConfigurationError
from paysync.usecases.errors import InvalidInput
from paysync.usecases.services import Services
from paysync.usecases.settings import dossier_with_firm


@dataclass
class PeriodView:
    """One period of a dossier, entry by entry, from paysync's records or (``live``) a fresh watch."""

    dossier_id: str
    period: str
    live: bool
    entries: list[WatchedEntry] = field(default_factory=list)
    diagnoses: list[Diagnosis] = field(default_factory=list)
    checked_at: datetime | None = None  # when the states were compared with Silae and MyUnisoft
    blocked: dict[str, list[Diagnosis]] = field(default_factory=dict)  # base id -> why


def period_view(
    services: Services, principal: Principal, dossier_id: str, period_text: str, *, live: bool = False
) -> PeriodView:
    dossier, firm = dossier_with_firm(services, principal, dossier_id)
    try:
        period = Period.parse(period_text)
    except ValueError as error:
        raise InvalidInput("period", str(error)) from None
    runs = [
        r for r in services.runs.list_for_dossier(dossier.dossier_id, limit=50) if r.period == str(period)
    ]
    view = PeriodView(dossier.dossier_id, str(period), live)
    last_sync = next((r for r in runs if r.kind == "sync" and r.status.finished), None)
    view.blocked = _blocked(last_sync)
    if live:
        # Imported for a live view only: the sync's machinery and the vendor clients (httpx) are
        # half the on-demand function's cold start, and queueing a run needs none of them.
        from paysync.usecases.preparation import DossierSync
        from paysync.usecases.watch import watch_period, watched_entry

        sync = DossierSync(services, dossier, firm, dry_run=True)
        with ExitStack() as stack:
            try:
                watch = watch_period(sync, period, stack)
            except ConfigurationError as error:
                view.diagnoses = [error.diagnosis]
                return view
        view.entries = [watched_entry(f) for f in watch.findings]
        view.diagnoses = watch.diagnoses
        view.checked_at = services.clock()
        return view
    return _from_records(services, dossier.dossier_id, period, runs, view)


def _blocked(run: Run | None) -> dict[str, list[Diagnosis]]:
    return {e.partner_id: list(e.diagnoses) for e in (run.entries if run else []) if e.status == "blocked"}


def _from_records(
    services: Services, dossier_id: str, period: Period, runs: list[Run], view: PeriodView
) -> PeriodView:
    posted = posted_entries(services.ledger.period_versions(dossier_id, str(period)))
    last_watch = next(
        (r for r in runs if r.kind in ("watch", "replace") and r.status.finished and r.findings), None
    )
    watched = {f.base_id: f for f in last_watch.findings} if last_watch else {}
    if last_watch is not None:
        view.checked_at = last_watch.finished_at
        view.diagnoses = [d for d in last_watch.diagnoses if d.code != "ECR9"]
    for base_id, entry in posted.items():
        live = entry.live
        seen = watched.get(base_id)
        if live is None:
            view.entries.append(
                WatchedEntry(base_id=base_id, label=entry.steps[-1].label, state="not_posted")
            )
        elif seen is not None and seen.version == live.version:
            view.entries.append(seen.model_copy(update={"entry_id": live.entry_id or seen.entry_id}))
        else:  # posted since the last watch: as posted
            content = live.content
            view.entries.append(
                WatchedEntry(
                    base_id=base_id,
                    label=live.label,
                    state="in_sync",
                    version=live.version,
                    partner_id=live.partner_id,
                    entry_id=live.entry_id,
                    posted_at=live.posted_at,
                    posted_debit=str(content.debit),
                    posted_credit=str(content.credit),
                    current_debit=str(content.debit),
                    current_credit=str(content.credit),
                )
            )
    known = {e.base_id for e in view.entries}
    last_sync = next((r for r in runs if r.kind == "sync" and r.status.finished), None)
    for run_entry in last_sync.entries if last_sync else []:
        if run_entry.partner_id not in known:
            view.entries.append(_unposted(run_entry))
    if last_watch is not None:  # entries the watch saw that are not posted (new in Silae...)
        listed = {e.base_id for e in view.entries}
        view.entries.extend(f for f in last_watch.findings if f.base_id not in listed)
    return view


def _unposted(entry: RunEntry) -> WatchedEntry:
    return WatchedEntry(
        base_id=entry.partner_id,
        label=entry.label,
        state="blocked" if entry.status == "blocked" else "not_posted",
        current_debit=entry.debit,
        current_credit=entry.credit,
    )
