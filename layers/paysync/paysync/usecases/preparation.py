"""Everything a run does before posting: the dossier's credentials, Silae's entries and files,
MyUnisoft's society facts and accounts, and the period's entries built and checked (``DossierSync``).

Syncs, watches, replaces, dry runs, the period view and the account views share it; posting is
``paysync.usecases.sync_dossier``'s. A dry run (``preview_run``) is done here: it never loads the
posting path (ledger claims, existence checks, versions), so it cannot post, and an API function's
first request loads less.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from paysync.domain.diagnoses import Diagnosis, diagnosis
from paysync.domain.entries import EntryDraft, build_entry, entry_preview, partner_entry_ids
from paysync.domain.models import (
    Dossier,
    EntryStatus,
    Firm,
    PayrollCredentialsInfo,
    Run,
    RunEntry,
    RunStatus,
)
from paysync.domain.payroll import PayrollFile, PayrollGroup
from paysync.domain.period_diagnoses import not_closed
from paysync.domain.periods import Period
from paysync.errors import ConfigurationError, TransientError
from paysync.myunisoft.client import MyUnisoftAccess, MyUnisoftClient
from paysync.myunisoft.errors import MyUnisoftError, MyUnisoftTransientError
from paysync.observability import logger
from paysync.silae.client import SilaeClient, SilaeCredentials
from paysync.silae.errors import SilaeApiError, SilaeError, SilaeTransientError
from paysync.storage.secrets import Level
from paysync.usecases.accounts import ResolvedAccounts, resolve_accounts
from paysync.usecases.diagnose import diagnose_myunisoft, diagnose_silae
from paysync.usecases.services import Services
from paysync.usecases.society_context import SocietyContext


def _fail(code: str, **details: object) -> ConfigurationError:
    return ConfigurationError(diagnosis(code, **details))


@dataclass
class PayrollSide:
    """The Silae client of a run, and whose credentials it uses (the dossier's own, else the firm's)."""

    level: Level
    owner_id: str
    info: PayrollCredentialsInfo
    client: SilaeClient


@dataclass
class Prepared:
    """Everything needed to post a period, gathered with as few calls as possible."""

    drafts: list[EntryDraft]
    myunisoft: MyUnisoftClient | None = None
    society: SocietyContext | None = None
    diary_id: int = 0
    payroll: PayrollSide | None = None


class DossierSync:
    def __init__(
        self, services: Services, dossier: Dossier, firm: Firm | None, *, dry_run: bool = False
    ) -> None:
        self.s = services
        self.dossier = dossier
        self.firm = firm
        self.dry_run = dry_run  # a dry run creates no account and posts nothing

    # -- settings --------------------------------------------------------------------------------
    def payroll_side(self, stack: ExitStack) -> PayrollSide:
        """Dossier-level credentials first, then the firm's; none at all is SILAE5."""
        d, f = self.dossier, self.firm
        level: Level
        if d.payroll_override is not None:
            level, owner, info = "dossier", d.dossier_id, d.payroll_override
        elif f is not None and f.payroll is not None:
            level, owner, info = "firm", f.firm_id, f.payroll
        else:
            raise _fail("SILAE5")
        secret = self.s.secrets.payroll(level, owner)
        if secret is None:
            raise _fail("SILAE5", level=level)
        client = self.s.silae(
            SilaeCredentials(secret.client_id, secret.client_secret, secret.subscription_key)
        )
        stack.callback(client.close)
        return PayrollSide(level, owner, info, client)

    def myunisoft_client(self, stack: ExitStack) -> MyUnisoftClient:
        d, f = self.dossier, self.firm
        if d.society_id is None:
            raise _fail("MYUNISOFT-SOCIETY-MISSING")
        if d.has_societe_token:
            token, society_header = self.s.secrets.myunisoft_token("dossier", d.dossier_id), None
        elif f is not None and f.has_cabinet_token:
            token, society_header = self.s.secrets.myunisoft_token("firm", f.firm_id), d.society_id
        else:
            token, society_header = None, None
        if not token:
            raise _fail("MYUNISOFT-TOKEN-MISSING")
        partner = self.s.secrets.partner_secret()
        if not partner:
            raise _fail("PARTNER-SECRET-MISSING")
        client = self.s.myunisoft(
            MyUnisoftAccess(token=token, partner_secret=partner, society_id=society_header)
        )
        stack.callback(client.close)
        return client

    # -- Silae -----------------------------------------------------------------------------------
    @contextmanager
    def _silae_errors(self, side: PayrollSide, number: str) -> Iterator[None]:
        try:
            yield
        except SilaeTransientError:
            raise
        except SilaeError as error:
            accessible: bool | None = None
            if isinstance(error, SilaeApiError):
                # The API's code for "no rights on this dossier" is undocumented: ask what it can see.
                try:
                    accessible = number in side.client.list_dossier_numbers()
                except SilaeError:
                    accessible = None
            raise ConfigurationError(
                diagnose_silae(
                    error,
                    credentials=side.info,
                    dossier_level=side.level == "dossier",
                    now=self.s.clock(),
                    dossier_accessible=accessible,
                )
            ) from None
        finally:
            if side.client.key_expiry is not None:
                self.s.config.record_secret_expiry(
                    side.level,
                    side.owner_id,
                    side.client.key_expiry,
                    generated_on=side.info.secret_generated_on,
                )

    def fetch_payroll(
        self, side: PayrollSide, period: Period
    ) -> tuple[list[PayrollGroup], list[PayrollFile]]:
        number = self.dossier.payroll_dossier_number
        if not number:
            raise _fail("SILAE4")
        with self._silae_errors(side, number), ThreadPoolExecutor(max_workers=1) as pool:
            # Both calls at once, the files' latency hidden behind the entries': a token's runs
            # follow one another, so a run's latency is the night's. Without entries the files'
            # answer (an error too) is ignored: one more call, for a payroll not closed yet.
            files_call = pool.submit(side.client.fetch_files, number, period)
            groups = side.client.fetch_entries(number, period)
            files = files_call.result() if groups else []
        return groups, files

    def fetch_entries(self, side: PayrollSide, period: Period) -> list[PayrollGroup]:
        """The period's entries only (a watch: files only when something changed)."""
        with self._silae_errors(side, self._number()):
            return side.client.fetch_entries(self._number(), period)

    def fetch_files(self, side: PayrollSide, period: Period) -> list[PayrollFile]:
        with self._silae_errors(side, self._number()):
            return side.client.fetch_files(self._number(), period)

    def open_period(self, side: PayrollSide) -> Period | None:
        """The month Silae's payroll is at (not closed yet): tells a late payroll from an empty one."""
        with self._silae_errors(side, self._number()):
            return side.client.open_period(self._number())

    def _number(self) -> str:
        number = self.dossier.payroll_dossier_number
        if not number:
            raise _fail("SILAE4")
        return number

    # -- MyUnisoft -------------------------------------------------------------------------------
    @staticmethod
    @contextmanager
    def myunisoft_errors() -> Iterator[None]:
        """Transient failures go on to be retried; refusals end the run with their diagnosis."""
        try:
            yield
        except MyUnisoftTransientError:
            raise
        except MyUnisoftError as error:
            raise ConfigurationError(diagnose_myunisoft(error)) from None

    def society(self, client: MyUnisoftClient, society_id: int, *, fresh: bool = False) -> SocietyContext:
        """The society's kept facts; ``fresh``: every one read again from MyUnisoft (and kept)."""
        max_age = timedelta(0) if fresh else timedelta(days=self.s.settings.society_facts_max_age_days)
        return SocietyContext(self.s.society_facts, client, society_id, clock=self.s.clock, max_age=max_age)

    def od_paie_journal(self, society: SocietyContext, period: Period) -> int:
        """The OD PAIE journal id, after checking the period's fiscal year is open."""
        with self.myunisoft_errors():
            return society.payroll_journal(period)

    def accounts(self, society: SocietyContext, groups: list[PayrollGroup], run_id: str) -> ResolvedAccounts:
        with self.myunisoft_errors():
            return resolve_accounts(
                society.client,
                self.s.links,
                dossier_id=self.dossier.dossier_id,
                auto_create=self.dossier.auto_create_accounts,
                dry_run=self.dry_run,
                groups=groups,
                run_id=run_id,
                now=self.s.clock(),
                lease=timedelta(seconds=self.s.settings.claim_lease_seconds),
                charts=society,
            )

    # -- the whole period ------------------------------------------------------------------------
    def prepare(self, period: Period, stack: ExitStack, run_id: str) -> Prepared:
        payroll = self.payroll_side(stack)
        groups, files = self.fetch_payroll(payroll, period)
        if not groups:
            return Prepared(drafts=[], payroll=payroll)
        client = self.myunisoft_client(stack)
        society_id = self.dossier.society_id
        number = self.dossier.payroll_dossier_number
        if society_id is None or not number:  # already diagnosed by myunisoft_client / fetch_payroll
            raise _fail("SILAE4" if not number else "MYUNISOFT-SOCIETY-MISSING")
        society = self.society(client, society_id)
        diary_id = self.od_paie_journal(society, period)
        accounts = self.accounts(society, groups, run_id)
        ids = partner_entry_ids(society_id, number, period, groups)
        drafts = [
            build_entry(
                group,
                partner_id=pid,
                period=period,
                society_id=society_id,
                diary_id=diary_id,
                accounts=accounts.ids,
                files=files,
                dossier_number=number,
                blocked_accounts=accounts.blocked,
                notices=[n for line in group.lines for n in accounts.notices.get(line.account, ())],
            )
            for group, pid in zip(groups, ids, strict=True)
        ]
        return Prepared(drafts=drafts, myunisoft=client, society=society, diary_id=diary_id, payroll=payroll)


def run_entry(draft: EntryDraft, status: EntryStatus, **extra: Any) -> RunEntry:
    """What the run records for one draft; a posted or previewed entry carries its files and notices."""
    fields: dict[str, Any] = {"files": list(draft.file_names), "diagnoses": list(draft.notices)}
    if status == "blocked":
        fields = {"diagnoses": list(draft.blocked_by)}
    fields.update(extra)
    return RunEntry(
        partner_id=draft.partner_id,
        label=draft.label,
        status=status,
        debit=str(draft.totals.debit),
        credit=str(draft.totals.credit),
        **fields,
    )


def blocked_entry(draft: EntryDraft, diagnoses: tuple[Diagnosis, ...] | list[Diagnosis]) -> RunEntry:
    return run_entry(draft, "blocked", diagnoses=list(diagnoses))


def run_outcome(entries: list[RunEntry]) -> RunStatus:
    """A run's status from its entries' (sync, watch and replace runs alike)."""
    done = sum(1 for e in entries if e.status in ("posted", "already_posted"))
    blocked = sum(1 for e in entries if e.status == "blocked")
    if blocked == 0:
        return RunStatus.SUCCEEDED
    return RunStatus.PARTIAL if done else RunStatus.BLOCKED


def prepared_or_finished(sync: DossierSync, run: Run, period: Period, stack: ExitStack) -> Prepared | Run:
    """The period's entries to post, or the run already finished: no entries (and why), or a
    configuration fault's diagnosis."""
    try:
        prepared = sync.prepare(period, stack, run.run_id)
    except ConfigurationError as error:
        return finish_run(run, RunStatus.FAILED, sync.s.clock(), diagnoses=[error.diagnosis])
    if not prepared.drafts:
        return finish_run(
            run, RunStatus.NO_DATA, sync.s.clock(), diagnoses=[_no_data(sync, prepared, period)]
        )
    return prepared


def preview_run(services: Services, run: Run, dossier: Dossier, firm: Firm | None) -> Run:
    """A sync run's dry run: each entry as it would be posted, or blocked with its diagnoses. No
    account is created, nothing is posted; the caller records nothing."""
    period = Period.parse(run.period)
    sync = DossierSync(services, dossier, firm, dry_run=True)
    with ExitStack() as stack:
        prepared = prepared_or_finished(sync, run, period, stack)
        if isinstance(prepared, Run):
            return prepared
        entries = [
            run_entry(draft, "dry_run", preview=entry_preview(draft.body) if draft.body is not None else None)
            if draft.postable
            else blocked_entry(draft, draft.blocked_by)
            for draft in prepared.drafts
        ]
        client = prepared.myunisoft
        request_ids = list(client.request_ids) if client is not None else []
        run = run.model_copy(update={"entries": entries, "request_ids": request_ids})
        previewed = all(e.status == "dry_run" for e in entries)
        return finish_run(run, RunStatus.SUCCEEDED if previewed else run_outcome(entries), services.clock())


def _no_data(sync: DossierSync, prepared: Prepared, period: Period) -> Diagnosis:
    """No entries: a month not closed yet in Silae (PAIE-NON-CLOTUREE), or a closed one without any."""
    try:
        open_period = sync.open_period(prepared.payroll) if prepared.payroll is not None else None
    except (ConfigurationError, TransientError) as error:  # the answer without it: no data
        logger.warning("Silae's open period is unknown", extra={"error": type(error).__name__})
        open_period = None
    if open_period is not None and period >= open_period:
        return not_closed(period, open_period)
    return diagnosis("NO-PAYROLL-ENTRIES")


def finish_run(run: Run, status: RunStatus, now: datetime, diagnoses: list[Diagnosis] | None = None) -> Run:
    """A copy of ``run`` finished with ``status`` at ``now``."""
    return run.model_copy(update={"status": status, "finished_at": now, "diagnoses": diagnoses or []})
