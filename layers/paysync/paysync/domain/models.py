"""The records paysync keeps: firms, dossiers, runs. No secret is ever a field here.

Secrets (Client secret, clé de configuration, MyUnisoft tokens, partner secret) live in Secrets
Manager only; these records hold their non-secret metadata (masked Client ID, dates, which level).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from paysync.domain.diagnoses import Diagnosis
from paysync.domain.periods import Period, due_date

SECRET_LIFETIME = timedelta(days=365)
# Each record's schema built at its first validation, not at import: a request builds those it reads.
_DEFERRED = ConfigDict(defer_build=True)


def utcnow() -> datetime:
    return datetime.now(UTC)


def mask(value: str, visible: int = 4) -> str:
    """``abcd…wxyz``-style masking for identifiers shown to people (never for secrets)."""
    if len(value) <= visible * 2:
        return "•" * len(value)
    return f"{value[:visible]}…{value[-visible:]}"


class PayrollCredentialsInfo(BaseModel):
    """Metadata of a set of Silae credentials; the values are in Secrets Manager."""

    model_config = _DEFERRED

    client_id_masked: str
    secret_generated_on: date
    # Learned from Silae's X-PrimaryKeyExpirationWarning header; wins over the computed date.
    secret_expires_at: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow)

    @property
    def expires_at(self) -> datetime:
        if self.secret_expires_at is not None:
            return self.secret_expires_at
        generated = datetime(
            self.secret_generated_on.year,
            self.secret_generated_on.month,
            self.secret_generated_on.day,
            tzinfo=UTC,
        )
        return generated + SECRET_LIFETIME


class Firm(BaseModel):
    model_config = _DEFERRED

    firm_id: str
    name: str
    contact_emails: list[str] = []
    payroll: PayrollCredentialsInfo | None = None
    has_cabinet_token: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class TokenKind(StrEnum):
    CABINET = "cabinet"  # the firm's token: reaches every dossier, needs society-id
    SOCIETE = "societe"  # the dossier's own token


class LastRun(BaseModel):
    model_config = _DEFERRED

    run_id: str
    period: str
    status: str
    finished_at: datetime | None = None
    diagnosis_codes: list[str] = []


class Dossier(BaseModel):
    model_config = _DEFERRED

    dossier_id: str
    firm_id: str
    name: str
    society_id: int | None = None  # MyUnisoft society id
    payroll_dossier_number: str | None = None  # Silae "code dossier"
    auto_pull: bool = False  # "Compta" ticked in Administration dossiers
    run_day: int = Field(default=1, ge=1, le=31)
    auto_create_accounts: bool = False
    # The watch of synced periods (paysync.usecases.watch): how long, how often, and whether a
    # correction found in Silae is replaced without waiting for the firm.
    watch_days: int = Field(default=62, ge=0, le=366)
    watch_interval_days: int = Field(default=7, ge=1, le=62)
    auto_replace_corrections: bool = False
    contact_emails: list[str] = []
    payroll_override: PayrollCredentialsInfo | None = None
    has_societe_token: bool = False
    # The oldest period not yet synced: the next night that is due pulls it.
    pending_period: str
    last_synced_period: str | None = None
    last_run: LastRun | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    @property
    def pending(self) -> Period:
        return Period.parse(self.pending_period)

    @property
    def next_due(self) -> date:
        return due_date(self.pending, self.run_day)

    @property
    def token_kind(self) -> TokenKind:
        return TokenKind.SOCIETE if self.has_societe_token else TokenKind.CABINET

    @property
    def message_group(self) -> str:
        """The MyUnisoft token's identity: MyUnisoft limits calls per token, so its calls are serialised."""
        return f"dossier-{self.dossier_id}" if self.has_societe_token else f"firm-{self.firm_id}"


class RunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    RETRYING = "retrying"  # a transient failure; SQS will deliver it again
    SUCCEEDED = "succeeded"  # every entry of the period is in MyUnisoft
    PARTIAL = "partial"  # some entries posted, others blocked by data diagnoses
    BLOCKED = "blocked"  # nothing posted: every entry is blocked by data diagnoses
    NO_DATA = "no_data"  # Silae has no OD for the period yet
    FAILED = "failed"  # configuration diagnosis, or transient failures exhausted

    @property
    def finished(self) -> bool:
        return self not in {RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.RETRYING}


Trigger = Literal["nightly", "on_demand"]
# sync: post the period's entries; watch: compare what was posted with Silae and MyUnisoft (posts
# nothing unless the dossier replaces corrections by itself); replace: post reversals and versions.
RunKind = Literal["sync", "watch", "replace"]


EntryStatus = Literal["posted", "already_posted", "blocked", "dry_run"]


class RunEntry(BaseModel):
    model_config = _DEFERRED

    partner_id: str
    label: str
    status: EntryStatus
    debit: str
    credit: str
    entry_id: int | None = None
    request_id: str | None = None
    files: list[str] = []
    diagnoses: list[Diagnosis] = []
    # Dry runs only: the NewEntry body that would be posted, files by name, type and size (no content).
    preview: dict[str, Any] | None = None
    # Replace runs: an entry's new version, or the reversal of a posted version (its number).
    step: Literal["entry", "reversal"] = "entry"
    version: int = 1


class WatchedEntry(BaseModel):
    """What a watch found of one entry (``paysync.domain.period_states``), as recorded on its run."""

    model_config = _DEFERRED

    base_id: str
    label: str
    state: str
    version: int | None = None
    partner_id: str | None = None
    entry_id: int | None = None
    posted_at: str | None = None
    posted_debit: str | None = None
    posted_credit: str | None = None
    current_debit: str | None = None
    current_credit: str | None = None
    differences: list[dict[str, Any]] = []


class Run(BaseModel):
    model_config = _DEFERRED

    run_id: str
    dossier_id: str
    firm_id: str
    period: str
    trigger: Trigger
    kind: RunKind = "sync"
    status: RunStatus = RunStatus.QUEUED
    message_group: str
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    attempts: int = 0
    entries: list[RunEntry] = []
    diagnoses: list[Diagnosis] = []
    request_ids: list[str] = []
    findings: list[WatchedEntry] = []  # watch and replace runs: each entry's state
    # Sent again from the dead-letter queue by an operator (paysync.ops.replay): how often, last when.
    replays: int = 0
    replayed_at: datetime | None = None

    @property
    def posted(self) -> int:
        return sum(1 for e in self.entries if e.status == "posted")

    @property
    def already_posted(self) -> int:
        return sum(1 for e in self.entries if e.status == "already_posted")

    @property
    def blocked(self) -> int:
        return sum(1 for e in self.entries if e.status == "blocked")

    @property
    def files_attached(self) -> int:
        return sum(len(e.files) for e in self.entries if e.status == "posted")
