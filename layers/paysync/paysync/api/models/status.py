"""What the status area answers: runs and a dossier's sync status (one module per area: a request
imports its own area's views only)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from paysync.api.models.common import DiagnosisView, ViewModel, view_of

if TYPE_CHECKING:
    from paysync.domain.models import Run
    from paysync.usecases.status import SyncStatus


class RunEntryView(ViewModel):
    partner_id: str
    label: str
    status: str
    debit: str
    credit: str
    entry_id: int | None
    request_id: str | None
    files: list[str]
    diagnoses: list[DiagnosisView]
    step: Literal["entry", "reversal"] = Field(description="A replace's reversal of a version, or an entry.")
    version: int


class RunView(ViewModel):
    run_id: str
    dossier_id: str
    firm_id: str
    period: str
    trigger: str
    kind: Literal["sync", "watch", "replace"]
    status: str
    finished: bool
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    attempts: int
    posted: int
    already_posted: int
    blocked: int
    files_attached: int
    entries: list[RunEntryView]
    diagnoses: list[DiagnosisView]
    request_ids: list[str]

    @classmethod
    def of(cls, run: Run) -> RunView:
        return view_of(cls, run, finished=run.status.finished)


class RunList(ViewModel):
    dossier_id: str
    runs: list[RunView]


class LastSync(ViewModel):
    run_id: str
    period: str
    status: str
    trigger: str | None
    finished_at: datetime | None


class ActiveRun(ViewModel):
    run_id: str
    period: str
    status: str
    location: str


class WaitingEntry(ViewModel):
    partner_id: str
    label: str
    debit: str
    credit: str
    diagnoses: list[DiagnosisView]


class SyncStatusView(ViewModel):
    """The "Statut de la synchronisation" panel, as data."""

    dossier_id: str
    state: Literal["up_to_date", "waiting", "blocked", "in_progress", "never_synced"]
    summary: str
    auto_pull: bool
    run_day: int
    pending_period: str
    last_synced_period: str | None
    next_due: date | None
    last_sync: LastSync | None
    active_run: ActiveRun | None
    blocking: list[DiagnosisView]
    entries_waiting: list[WaitingEntry]
    findings: list[DiagnosisView] = Field(
        description="What the newest watch of each synced period found: an OD modified in Silae after "
        "posting (PAIE-MODIFIEE), an entry deleted or edited in MyUnisoft (ECRITURE-SUPPRIMEE, "
        "ECRITURE-MODIFIEE)."
    )

    @classmethod
    def of(cls, found: SyncStatus, base_path: str) -> SyncStatusView:
        active = found.active
        return view_of(
            cls,
            found.dossier,
            state=found.state,
            summary=found.summary,
            next_due=found.next_due,
            last_sync=found.last,
            active_run=view_of(ActiveRun, active, location=f"{base_path}/runs/{active.run_id}")
            if active
            else None,
            blocking=found.blocking,
            entries_waiting=found.waiting,
            findings=found.findings,
        )
