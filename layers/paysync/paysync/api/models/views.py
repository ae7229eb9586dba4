"""What the API answers. The OpenAPI document is generated from these models.

A view reads the domain object (or use-case result) it shows: ``View.model_validate(obj)`` takes
each field from the attribute of the same name (pydantic's ``from_attributes``), nested views
included; ``view_of`` gives the few fields the object holds under another name or not at all. No
view has a field that could carry a secret.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from pydantic import Field

from paysync.api.models.common import ViewModel

if TYPE_CHECKING:
    from paysync.domain.access import ApiKeyRecord
    from paysync.domain.accounts import ChartAccount
    from paysync.domain.models import Dossier, Firm, PayrollCredentialsInfo, Run, RunEntry
    from paysync.usecases.accounts import AccountRow
    from paysync.usecases.on_demand import Accepted
    from paysync.usecases.status import SyncStatus

V = TypeVar("V", bound=ViewModel)


class _Given:
    """``source`` as a view reads it, with some attributes given (added or replaced)."""

    def __init__(self, source: object, given: dict[str, Any]) -> None:
        self._source = source
        self._given = given

    def __getattr__(self, name: str) -> Any:
        if name in self._given:
            return self._given[name]
        return getattr(self._source, name)


def view_of(view: type[V], source: object, /, **given: Any) -> V:
    """The one converter: ``view`` read from ``source``'s attributes, the ``given`` ones first."""
    return view.model_validate(_Given(source, given) if given else source)


# -- settings -------------------------------------------------------------------------------------
class PayrollCredentialsView(ViewModel):
    level: Literal["firm", "dossier"]
    client_id_masked: str
    secret_generated_on: date
    secret_expires_on: date
    expiry_learned_from_silae: bool

    @classmethod
    def of(cls, info: PayrollCredentialsInfo, level: Literal["firm", "dossier"]) -> PayrollCredentialsView:
        return view_of(
            cls,
            info,
            level=level,
            secret_expires_on=info.expires_at.date(),
            expiry_learned_from_silae=info.secret_expires_at is not None,
        )


class FirmView(ViewModel):
    firm_id: str
    name: str
    contact_emails: list[str]
    payroll: PayrollCredentialsView | None
    has_cabinet_token: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, firm: Firm) -> FirmView:
        return view_of(
            cls, firm, payroll=PayrollCredentialsView.of(firm.payroll, "firm") if firm.payroll else None
        )


class DossierView(ViewModel):
    dossier_id: str
    firm_id: str
    name: str
    society_id: int | None
    payroll_dossier_number: str | None
    auto_pull: bool
    run_day: int
    auto_create_accounts: bool
    watch_days: int
    watch_interval_days: int
    auto_replace_corrections: bool
    contact_emails: list[str]
    pending_period: str
    last_synced_period: str | None
    next_due: date | None = Field(
        description="The night the pending period is pulled (automatic retrieval on)."
    )
    has_societe_token: bool
    myunisoft_token: Literal["societe", "cabinet"] | None = Field(
        description="Which MyUnisoft token applies."
    )
    payroll_override: PayrollCredentialsView | None = Field(description="Dossier-level payroll credentials.")
    payroll_applies: PayrollCredentialsView | None = Field(description="The payroll credentials in force.")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, dossier: Dossier, firm: Firm | None) -> DossierView:
        override = (
            PayrollCredentialsView.of(dossier.payroll_override, "dossier")
            if dossier.payroll_override
            else None
        )
        firm_level = PayrollCredentialsView.of(firm.payroll, "firm") if firm and firm.payroll else None
        applies: Literal["societe", "cabinet"] | None = None
        if dossier.has_societe_token:
            applies = "societe"
        elif firm is not None and firm.has_cabinet_token:
            applies = "cabinet"
        return view_of(
            cls,
            dossier,
            next_due=dossier.next_due if dossier.auto_pull else None,
            myunisoft_token=applies,
            payroll_override=override,
            payroll_applies=override or firm_level,
        )


class DossierList(ViewModel):
    firm_id: str
    dossiers: list[DossierView]


# -- runs and status ------------------------------------------------------------------------------
class DiagnosisView(ViewModel):
    code: str
    message: str
    remedy: str
    kind: str
    details: dict[str, Any] = Field(default={})


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


class RunAccepted(ViewModel):
    """The sync is queued (``created``) or was already queued or running (the same run, not a new one)."""

    run_id: str
    dossier_id: str
    period: str
    status: str
    created: bool
    location: str

    @classmethod
    def of(cls, accepted: Accepted, location: str) -> RunAccepted:
        return view_of(cls, accepted.run, created=accepted.created, location=location)


class FileView(ViewModel):
    name: str
    type: str | None
    size: int


class DryRunEntry(ViewModel):
    partner_id: str
    label: str
    status: Literal["would_post", "blocked"]
    debit: str
    credit: str
    files: list[FileView]
    body: dict[str, Any] | None = Field(description="The NewEntry body, files by name and size only.")
    diagnoses: list[DiagnosisView]
    step: Literal["entry", "reversal"] = "entry"
    version: int = 1

    @classmethod
    def of(cls, entry: RunEntry) -> DryRunEntry:
        preview = entry.preview
        files = [
            FileView(name=str(pj.get("name")), type=pj.get("type"), size=int(pj.get("size") or 0))
            for pj in (preview or {}).get("pj_list", [])
        ]
        status = "blocked" if entry.status == "blocked" else "would_post"
        return view_of(cls, entry, status=status, files=files, body=preview)


class DryRunReport(ViewModel):
    dossier_id: str
    period: str
    dry_run: Literal[True] = True
    status: str
    entries: list[DryRunEntry]
    diagnoses: list[DiagnosisView]

    @classmethod
    def of(cls, run: Run) -> DryRunReport:
        return view_of(cls, run, entries=[DryRunEntry.of(e) for e in run.entries])


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


# -- connection test ------------------------------------------------------------------------------
class CheckView(ViewModel):
    id: str
    label: str
    status: Literal["ok", "failed", "skipped"]
    code: str | None
    message: str
    remedy: str | None
    details: dict[str, Any] = Field(default={})


class ConnectionReport(ViewModel):
    ok: bool
    firm_id: str
    dossier_id: str | None
    checks: list[CheckView]


# -- API credentials ------------------------------------------------------------------------------
class ApiKeyView(ViewModel):
    key_id: str
    scope: Literal["admin", "firm"]
    firm_id: str | None
    label: str
    created_at: datetime
    revoked_at: datetime | None
    active: bool


class IssuedApiKey(ApiKeyView):
    api_key: str = Field(description="The credential itself: shown this once, only its hash is kept.")

    @classmethod
    def of(cls, record: ApiKeyRecord, plaintext: str) -> IssuedApiKey:
        return view_of(cls, record, api_key=plaintext)


class ApiKeyList(ViewModel):
    keys: list[ApiKeyView]


# -- accounts (seed 004) --------------------------------------------------------------------------
class MyUnisoftAccountView(ViewModel):
    account_id: int
    account_number: str
    label: str

    @classmethod
    def of(cls, found: ChartAccount) -> MyUnisoftAccountView:
        return view_of(cls, found, account_number=found.number)


class AccountView(ViewModel):
    """One line of the "Liste des Comptes": payroll number, state, MyUnisoft match, suggestions."""

    account_number: str = Field(description="The account number as the payroll software spells it.")
    payroll_label: str
    state: str = Field(description="ok, ok_different_code, missing, missing_with_suggestions or deleted.")
    state_label: str = Field(description="The state as firm staff know it, in French.")
    match: MyUnisoftAccountView | None = None
    suggestions: list[MyUnisoftAccountView] = Field(default=[])
    origin: str | None = Field(default=None, description="found, created (by paysync, once) or manual.")
    linked_at: str | None = None

    @classmethod
    def of(cls, row: AccountRow) -> AccountView:
        return view_of(
            cls,
            row,
            account_number=row.number,
            match=MyUnisoftAccountView.of(row.match) if row.match else None,
            suggestions=[MyUnisoftAccountView.of(s) for s in row.suggestions],
        )


class AccountList(ViewModel):
    dossier_id: str
    accounts: list[AccountView]
