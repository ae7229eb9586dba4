"""What the settings, API credentials and accounts areas answer; the other areas' answers are in
their own modules (``status``, ``sync``, ``connection``, ``discovery``, ``periods``), so that a
request imports its own area's views only. The OpenAPI document is generated from these models.

A view reads the domain object (or use-case result) it shows: ``View.model_validate(obj)`` takes
each field from the attribute of the same name (pydantic's ``from_attributes``), nested views
included; ``view_of`` gives the few fields the object holds under another name or not at all. No
view has a field that could carry a secret.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from paysync.api.models.common import ViewModel, view_of

if TYPE_CHECKING:
    from paysync.domain.access import ApiKeyRecord
    from paysync.domain.accounts import ChartAccount
    from paysync.domain.models import Dossier, Firm, PayrollCredentialsInfo
    from paysync.usecases.accounts import AccountRow


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
