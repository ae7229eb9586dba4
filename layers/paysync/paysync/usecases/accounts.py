"""Resolve a period's account numbers to MyUnisoft account ids, creating missing ones at most once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple, Protocol

from paysync.domain.accounts import AccountMatch, ChartAccount, invalid_payroll_account, match_accounts
from paysync.domain.diagnoses import Diagnosis, DiagnosisKind
from paysync.domain.payroll import PayrollGroup
from paysync.errors import ConfigurationError, TransientError
from paysync.myunisoft.client import MyUnisoftClient
from paysync.myunisoft.errors import MyUnisoftError, MyUnisoftTransientError
from paysync.storage.account_links import AccountLinks
from paysync.usecases.diagnose import diagnose_myunisoft

INVALID_ACCOUNT_CODES = {"COMPTE6", "COMPTE7"}


@dataclass
class ResolvedAccounts:
    """A period's account numbers resolved: the MyUnisoft id of each, or why it is blocked."""

    ids: dict[str, int] = field(default_factory=dict)  # payroll number → MyUnisoft account id
    blocked: dict[str, Diagnosis] = field(default_factory=dict)
    notices: dict[str, tuple[Diagnosis, ...]] = field(default_factory=dict)
    matches: dict[str, AccountMatch] = field(default_factory=dict)


def will_be_created(number: str) -> Diagnosis:
    return Diagnosis(
        code="COMPTE-A-CREER",
        message=f"Le compte {number} sera créé automatiquement dans MyUnisoft lors de la synchronisation.",
        remedy="Aucune action requise ; désactivez la création automatique des comptes pour l'éviter.",
        kind=DiagnosisKind.DATA,
        details={"account": number},
    )


def used_accounts(groups: Sequence[PayrollGroup]) -> dict[str, str]:
    """Every account number the period's lines use, with the first payroll label that names it."""
    used: dict[str, str] = {}
    for group in groups:
        for line in group.lines:
            used.setdefault(line.account, line.label)
    return used


def chart_of(client: MyUnisoftClient) -> list[ChartAccount]:
    """The whole chart in one call per run, never one call per line."""
    return [ChartAccount(a.account_id, a.account_number, a.label) for a in client.list_accounts()]


class ChartSource(Protocol):
    """Where a run's chart comes from (``paysync.usecases.society_context``: kept between runs)."""

    def chart(self) -> list[ChartAccount]: ...

    def chart_again(self) -> list[ChartAccount] | None:
        """A fresh chart when the one given may be out of date, else None."""


class _ReadEachRun:
    def __init__(self, client: MyUnisoftClient) -> None:
        self.client = client

    def chart(self) -> list[ChartAccount]:
        return chart_of(self.client)

    def chart_again(self) -> list[ChartAccount] | None:
        return None


def seems_missing(match: AccountMatch) -> bool:
    """Not matched as linked or found (to create, blocked, or its link gone): by a chart kept
    between runs, maybe only because that chart is out of date."""
    return match.action != "use" or match.relink


def resolve_accounts(
    client: MyUnisoftClient,
    links: AccountLinks,
    *,
    dossier_id: str,
    auto_create: bool,
    groups: Sequence[PayrollGroup],
    run_id: str,
    now: datetime,
    lease: timedelta,
    dry_run: bool = False,
    charts: ChartSource | None = None,
) -> ResolvedAccounts:
    """A dry run reads only: it records no link and creates no account, and says which it would create.
    ``charts``: where the chart comes from (default: read from MyUnisoft); a kept chart is read
    again before any account is concluded missing, so the matches are those of a fresh chart."""
    records = links.list(dossier_id)
    known = {r.number: link for r in records if (link := r.as_link()) is not None}
    source = charts or _ReadEachRun(client)
    used = used_accounts(groups)
    matches = match_accounts(used, source.chart(), known, auto_create=auto_create)
    if any(seems_missing(m) for m in matches.values()) and (fresh := source.chart_again()) is not None:
        matches = match_accounts(used, fresh, known, auto_create=auto_create)
    resolved = ResolvedAccounts(matches=matches)
    for number, match in resolved.matches.items():
        if match.action == "use" and match.account is not None:
            resolved.ids[number] = match.account.account_id
            if (number not in known or match.relink) and not dry_run:
                links.record(
                    dossier_id,
                    number,
                    account_id=match.account.account_id,
                    myunisoft_number=match.account.number,
                    myunisoft_label=match.account.label,
                    payroll_label=match.payroll_label,
                    origin="found",
                    now=now,
                    replace=match.relink,
                    state=match.state.value,
                )
        elif match.action == "block" and match.diagnosis is not None:
            resolved.blocked[number] = match.diagnosis
            if number not in known and not dry_run:
                links.note_seen(dossier_id, number, match.payroll_label, now)
        elif match.action == "create" and dry_run:
            resolved.ids[number] = 0  # placeholder: the body of a dry run is shown, never posted
            resolved.notices[number] = (*match.notices, will_be_created(number))
        elif match.action == "create":
            _create_once(
                client, links, resolved, match, dossier_id=dossier_id, run_id=run_id, now=now, lease=lease
            )
    return resolved


def _create_once(
    client: MyUnisoftClient,
    links: AccountLinks,
    resolved: ResolvedAccounts,
    match: AccountMatch,
    *,
    dossier_id: str,
    run_id: str,
    now: datetime,
    lease: timedelta,
) -> None:
    number = match.number
    if not links.claim_creation(dossier_id, number, run_id=run_id, now=now, lease=lease):
        raise TransientError(f"account {number} of dossier {dossier_id} is being created by another run")
    try:
        # Find-or-create by number: after a crash between claim and record, this finds the
        # account the crashed run created instead of making a second one.
        account = client.find_or_create_account(number, match.payroll_label or number)
    except MyUnisoftTransientError:
        raise  # keep the claim: the same run takes it again on redelivery
    except MyUnisoftError as error:
        links.release(dossier_id, number, run_id=run_id)
        if error.code in INVALID_ACCOUNT_CODES:
            resolved.blocked[number] = invalid_payroll_account(number).with_details(
                request_id=error.request_id
            )
            return
        found = diagnose_myunisoft(error)
        if found.kind is DiagnosisKind.TRANSIENT:
            raise TransientError(str(error)) from None
        if found.kind is DiagnosisKind.CONFIGURATION:
            raise ConfigurationError(found) from None
        resolved.blocked[number] = found
        return
    links.record(
        dossier_id,
        number,
        account_id=account.account_id,
        myunisoft_number=account.account_number,
        myunisoft_label=account.label,
        payroll_label=match.payroll_label,
        origin="created",
        now=now,
        state=match.state.value,  # missing or missing_with_suggestions: why it was created
    )
    resolved.ids[number] = account.account_id
    if match.notices:
        resolved.notices[number] = match.notices


class AccountRow(NamedTuple):  # not a dataclass: cheaper to define at a cold start
    """One line of the dossier's "Liste des Comptes" view."""

    number: str
    payroll_label: str
    state: str  # MatchState value
    state_label: str  # as firm staff know it
    match: ChartAccount | None
    suggestions: tuple[ChartAccount, ...]
    origin: str | None  # found, created (by paysync) or manual
    linked_at: str | None


def account_list(
    client: MyUnisoftClient, links: AccountLinks, *, dossier_id: str, auto_create: bool
) -> list[AccountRow]:
    """Every payroll account number paysync has met for the dossier, matched against today's chart."""
    records = links.list(dossier_id)
    chart = chart_of(client)
    rows: list[AccountRow] = []
    for record in sorted(records, key=lambda r: r.number):
        match = match_accounts(
            {record.number: record.payroll_label or ""},
            chart,
            {record.number: link} if (link := record.as_link()) is not None else {},
            auto_create=auto_create,
        )[record.number]
        rows.append(
            AccountRow(
                number=record.number,
                payroll_label=record.payroll_label or "",
                state=match.state.value,
                state_label=match.state.label,
                match=match.account,
                suggestions=match.suggestions,
                origin=record.origin if record.status == "linked" else None,
                linked_at=record.linked_at,
            )
        )
    return rows


class UnknownAccountError(LookupError):
    """The MyUnisoft account to link does not exist in the dossier's chart."""


def link_manually(
    client: MyUnisoftClient,
    links: AccountLinks,
    *,
    dossier_id: str,
    number: str,
    account_id: int,
    payroll_label: str | None,
    now: datetime,
) -> ChartAccount:
    """Tie a payroll number to an existing MyUnisoft account (the fix for "avec suggestion")."""
    account = next((a for a in chart_of(client) if a.account_id == account_id), None)
    if account is None:
        raise UnknownAccountError(account_id)
    known = {r.number: r for r in links.list(dossier_id)}
    label = payroll_label or (known[number].payroll_label if number in known else None) or account.label
    links.record(
        dossier_id,
        number,
        account_id=account.account_id,
        myunisoft_number=account.number,
        myunisoft_label=account.label,
        payroll_label=label or "",
        origin="manual",
        now=now,
        replace=True,
    )
    return account
