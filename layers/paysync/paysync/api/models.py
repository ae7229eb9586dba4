"""What the API accepts and answers. The OpenAPI document is generated from these models.

Requests are strict about shape (unknown fields refused, bounded lengths, JSON types not
coerced) so that bad input is a clear 4xx, never a 500. Secrets are ``SecretStr``: they are
masked in any repr or log, written to Secrets Manager only, and no response model has a field
that could carry one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    StrictBool,
    StrictInt,
    StringConstraints,
    WithJsonSchema,
)

from paysync.domain.access import ApiKeyRecord
from paysync.domain.diagnoses import Diagnosis
from paysync.domain.models import Dossier, Firm, PayrollCredentialsInfo, Run, RunEntry

# -- shared value types ----------------------------------------------------------------------------
ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
RUN_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
KEY_ID_PATTERN = r"^[0-9a-f]{16}$"
PERIOD_PATTERN = r"^2[0-9]{3}-(0[1-9]|1[0-2])$"
EMAIL_PATTERN = r"^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}$"
PRINTABLE_PATTERN = r"^[^\x00-\x1F\x7F]*$"  # no control characters (they end up in emails and journals)
VISIBLE_ASCII_PATTERN = r"^[!-~]+$"  # what may travel in an HTTP header: no blank, no accent
DOSSIER_NUMBER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,49}$"  # sent in Silae's ``dossiers`` header
_VISIBLE_ASCII_MESSAGE = "uniquement des caractères ASCII visibles (ni espace, ni accent)"

Identifier = Annotated[str, StringConstraints(pattern=ID_PATTERN)]  # 1 to 64 characters
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=PRINTABLE_PATTERN)
]
Label = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200, pattern=PRINTABLE_PATTERN)]
Email = Annotated[str, StringConstraints(min_length=6, max_length=254, pattern=EMAIL_PATTERN)]
Emails = Annotated[list[Email], Field(max_length=20)]
PeriodText = Annotated[str, StringConstraints(pattern=PERIOD_PATTERN)]  # exactly AAAA-MM
DossierNumber = Annotated[str, StringConstraints(strip_whitespace=True, pattern=DOSSIER_NUMBER_PATTERN)]
SocietyId = Annotated[StrictInt, Field(ge=1, le=2_147_483_647)]
RunDay = Annotated[StrictInt, Field(ge=1, le=31)]
ClientId = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=VISIBLE_ASCII_PATTERN)
]


def _secret(max_length: int) -> Callable[[Any], Any]:
    """Credentials travel in HTTP headers: visible ASCII only. Checked before becoming a SecretStr
    (which takes no pattern); surrounding blanks of a paste are dropped. Messages never quote the value."""

    def check(value: Any) -> Any:
        if not isinstance(value, str):
            return value  # SecretStr refuses it: "doit être une chaîne de caractères"
        value = value.strip()
        if not value:
            raise ValueError("ne peut pas être vide")
        if len(value) > max_length:
            raise ValueError(f"au plus {max_length} caractères")
        if not re.fullmatch(VISIBLE_ASCII_PATTERN, value):
            raise ValueError(_VISIBLE_ASCII_MESSAGE)
        return value

    return check


def _secret_schema(max_length: int) -> dict[str, Any]:
    return {
        "type": "string",
        "format": "password",
        "writeOnly": True,
        "minLength": 1,
        "maxLength": max_length,
        "pattern": VISIBLE_ASCII_PATTERN,
    }


Secret = Annotated[SecretStr, BeforeValidator(_secret(512)), WithJsonSchema(_secret_schema(512))]
Token = Annotated[SecretStr, BeforeValidator(_secret(4096)), WithJsonSchema(_secret_schema(4096))]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- requests -------------------------------------------------------------------------------------------
class PayrollCredentialsIn(_In):
    """Silae API credentials, as shown on the payroll API portal ("Mes comptes API")."""

    client_id: ClientId
    client_secret: Secret
    subscription_key: Secret = Field(description="The clé de configuration (primary key).")
    secret_generated_on: date = Field(description="When the Client secret was generated (valid one year).")


class FirmIn(_In):
    """Create or update a firm. Left out (or null): unchanged. ``name`` is required on creation."""

    name: Name | None = None
    contact_emails: Emails | None = None
    payroll: PayrollCredentialsIn | None = Field(default=None, description="Firm-level payroll credentials.")
    myunisoft_cabinet_token: Token | None = Field(default=None, description="The firm's MyUnisoft token.")


class DossierIn(_In):
    """Create or update a dossier. Left out (or null): unchanged (defaults on creation).

    ``firm_id`` and ``name`` are required on creation. ``pending_period`` defaults to the last
    closed month (Europe/Paris).
    """

    firm_id: Identifier | None = None
    name: Name | None = None
    society_id: SocietyId | None = Field(default=None, description="The MyUnisoft society id.")
    payroll_dossier_number: DossierNumber | None = Field(default=None, description="The Silae code dossier.")
    auto_pull: StrictBool | None = Field(default=None, description='Automatic retrieval ("Compta").')
    run_day: RunDay | None = Field(default=None, description="Day of the month of the automatic retrieval.")
    auto_create_accounts: StrictBool | None = None
    contact_emails: Emails | None = None
    pending_period: PeriodText | None = Field(default=None, description="The oldest month not yet synced.")
    myunisoft_societe_token: Token | None = Field(
        default=None, description="The dossier's own MyUnisoft token."
    )
    payroll: PayrollCredentialsIn | None = Field(
        default=None, description="Dossier-level payroll credentials."
    )


class SyncIn(_In):
    period: PeriodText | None = Field(default=None, description="Default: the last closed month.")
    dry_run: StrictBool = Field(
        default=False, description="Answer the entries that would be posted, post nothing, record no run."
    )


class CandidateTestIn(_In):
    """Credentials to try before saving them; what is left out is taken from the saved firm."""

    payroll: PayrollCredentialsIn | None = None
    myunisoft_cabinet_token: Token | None = None
    payroll_dossier_number: DossierNumber | None = Field(
        default=None, description="A Silae dossier whose access to check."
    )
    society_id: SocietyId | None = Field(
        default=None, description="A MyUnisoft society whose journals to check."
    )


class ApiKeyIn(_In):
    scope: Literal["admin", "firm"]
    firm_id: Identifier | None = Field(default=None, description="Required for a firm credential.")
    label: Label = ""


# -- responses ------------------------------------------------------------------------------------------
class ErrorDetail(_Out):
    field: str
    message: str


class ErrorBody(_Out):
    """Every error answer: a stable code, a French message, and the fields at fault."""

    code: str
    message: str
    details: list[ErrorDetail] = []


class PayrollCredentialsView(_Out):
    level: Literal["firm", "dossier"]
    client_id_masked: str
    secret_generated_on: date
    secret_expires_on: date
    expiry_learned_from_silae: bool

    @classmethod
    def of(cls, info: PayrollCredentialsInfo, level: Literal["firm", "dossier"]) -> PayrollCredentialsView:
        return cls(
            level=level,
            client_id_masked=info.client_id_masked,
            secret_generated_on=info.secret_generated_on,
            secret_expires_on=info.expires_at.date(),
            expiry_learned_from_silae=info.secret_expires_at is not None,
        )


class FirmView(_Out):
    firm_id: str
    name: str
    contact_emails: list[str]
    payroll: PayrollCredentialsView | None
    has_cabinet_token: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, firm: Firm) -> FirmView:
        return cls(
            firm_id=firm.firm_id,
            name=firm.name,
            contact_emails=list(firm.contact_emails),
            payroll=PayrollCredentialsView.of(firm.payroll, "firm") if firm.payroll else None,
            has_cabinet_token=firm.has_cabinet_token,
            created_at=firm.created_at,
            updated_at=firm.updated_at,
        )


class DossierView(_Out):
    dossier_id: str
    firm_id: str
    name: str
    society_id: int | None
    payroll_dossier_number: str | None
    auto_pull: bool
    run_day: int
    auto_create_accounts: bool
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
        return cls(
            dossier_id=dossier.dossier_id,
            firm_id=dossier.firm_id,
            name=dossier.name,
            society_id=dossier.society_id,
            payroll_dossier_number=dossier.payroll_dossier_number,
            auto_pull=dossier.auto_pull,
            run_day=dossier.run_day,
            auto_create_accounts=dossier.auto_create_accounts,
            contact_emails=list(dossier.contact_emails),
            pending_period=dossier.pending_period,
            last_synced_period=dossier.last_synced_period,
            next_due=dossier.next_due if dossier.auto_pull else None,
            has_societe_token=dossier.has_societe_token,
            myunisoft_token=applies,
            payroll_override=override,
            payroll_applies=override or firm_level,
            created_at=dossier.created_at,
            updated_at=dossier.updated_at,
        )


class DossierList(_Out):
    firm_id: str
    dossiers: list[DossierView]


class DiagnosisView(_Out):
    code: str
    message: str
    remedy: str
    kind: str
    details: dict[str, Any] = {}

    @classmethod
    def of(cls, found: Diagnosis) -> DiagnosisView:
        return cls(
            code=found.code,
            message=found.message,
            remedy=found.remedy,
            kind=found.kind.value,
            details=dict(found.details),
        )


class RunEntryView(_Out):
    partner_id: str
    label: str
    status: str
    debit: str
    credit: str
    entry_id: int | None
    request_id: str | None
    files: list[str]
    diagnoses: list[DiagnosisView]

    @classmethod
    def of(cls, entry: RunEntry) -> RunEntryView:
        return cls(
            partner_id=entry.partner_id,
            label=entry.label,
            status=entry.status,
            debit=entry.debit,
            credit=entry.credit,
            entry_id=entry.entry_id,
            request_id=entry.request_id,
            files=list(entry.files),
            diagnoses=[DiagnosisView.of(d) for d in entry.diagnoses],
        )


class RunView(_Out):
    run_id: str
    dossier_id: str
    firm_id: str
    period: str
    trigger: str
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
        return cls(
            run_id=run.run_id,
            dossier_id=run.dossier_id,
            firm_id=run.firm_id,
            period=run.period,
            trigger=run.trigger,
            status=run.status.value,
            finished=run.status.finished,
            created_at=run.created_at,
            started_at=run.started_at,
            finished_at=run.finished_at,
            attempts=run.attempts,
            posted=run.posted,
            already_posted=run.already_posted,
            blocked=run.blocked,
            files_attached=run.files_attached,
            entries=[RunEntryView.of(e) for e in run.entries],
            diagnoses=[DiagnosisView.of(d) for d in run.diagnoses],
            request_ids=list(run.request_ids),
        )


class RunList(_Out):
    dossier_id: str
    runs: list[RunView]


class RunAccepted(_Out):
    """The sync is queued (``created``) or was already queued or running (the same run, not a new one)."""

    run_id: str
    dossier_id: str
    period: str
    status: str
    created: bool
    location: str


class FileView(_Out):
    name: str
    type: str | None
    size: int


class DryRunEntry(_Out):
    partner_id: str
    label: str
    status: Literal["would_post", "blocked"]
    debit: str
    credit: str
    files: list[FileView]
    body: dict[str, Any] | None = Field(description="The NewEntry body, files by name and size only.")
    diagnoses: list[DiagnosisView]


class DryRunReport(_Out):
    dossier_id: str
    period: str
    dry_run: Literal[True] = True
    status: str
    entries: list[DryRunEntry]
    diagnoses: list[DiagnosisView]


class LastSync(_Out):
    run_id: str
    period: str
    status: str
    trigger: str | None
    finished_at: datetime | None


class ActiveRun(_Out):
    run_id: str
    period: str
    status: str
    location: str


class WaitingEntry(_Out):
    partner_id: str
    label: str
    debit: str
    credit: str
    diagnoses: list[DiagnosisView]


class SyncStatusView(_Out):
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


class CheckView(_Out):
    id: str
    label: str
    status: Literal["ok", "failed", "skipped"]
    code: str | None
    message: str
    remedy: str | None
    details: dict[str, Any] = {}


class ConnectionReport(_Out):
    ok: bool
    firm_id: str
    dossier_id: str | None
    checks: list[CheckView]


class ApiKeyView(_Out):
    key_id: str
    scope: Literal["admin", "firm"]
    firm_id: str | None
    label: str
    created_at: datetime
    revoked_at: datetime | None
    active: bool

    @classmethod
    def of(cls, record: ApiKeyRecord) -> ApiKeyView:
        return cls(
            key_id=record.key_id,
            scope=record.scope,
            firm_id=record.firm_id,
            label=record.label,
            created_at=record.created_at,
            revoked_at=record.revoked_at,
            active=record.active,
        )


class IssuedApiKey(ApiKeyView):
    api_key: str = Field(description="The credential itself: shown this once, only its hash is kept.")


class ApiKeyList(_Out):
    keys: list[ApiKeyView]


# ---------------------------------------------------------------- accounts (seed 004)
class MyUnisoftAccountView(_Out):
    account_id: int
    account_number: str
    label: str


class AccountView(_Out):
    """One line of the "Liste des Comptes": payroll number, state, MyUnisoft match, suggestions."""

    account_number: str = Field(description="The account number as the payroll software spells it.")
    payroll_label: str
    state: str = Field(description="ok, ok_different_code, missing, missing_with_suggestions or deleted.")
    state_label: str = Field(description="The state as firm staff know it, in French.")
    match: MyUnisoftAccountView | None = None
    suggestions: list[MyUnisoftAccountView] = []
    origin: str | None = Field(default=None, description="found, created (by paysync, once) or manual.")
    linked_at: str | None = None


class AccountList(_Out):
    dossier_id: str
    accounts: list[AccountView]


class AccountLinkIn(_In):
    account_id: int = Field(
        ge=1, le=2**53, description="The MyUnisoft account to tie this payroll number to."
    )
