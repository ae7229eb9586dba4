"""Replace what a watch found, exactly once: reversals, new versions, entries sent again.

For each entry a replace fixes (``paysync.domain.period_states.REPLACEABLE``, and an entry whose
replace was interrupted between its reversal and its new version):

- ``changed_in_silae``: the **reversal** of the live version (``<id>-x<n>``: same journal and date,
  every line's direction swapped, « Annulation — », no file), then the **new version**
  (``<id>-v<n+1>``, Silae's current OD, with its files); a group gone from Silae is reversed only;
- ``deleted_in_myunisoft``: the current Silae version only, as the next version; MyUnisoft's lookup
  is asked first (its listing may lag behind a fresh entry): found there, nothing is sent;
- ``new_in_silae`` (and ``not_posted``): the entry, as its next version (version 1 if none).

Every step goes through ``EntryPoster.post`` (ledger claim → lookup → POST → mark), with ids that
carry the version: a retried or repeated replace finds each step posted and posts nothing twice.
Nothing is half-done: the journal and fiscal year are checked before anything is sent (a year
closed since is ``ECR9``), every entry's steps are built before the first is posted, and an entry
whose new version cannot be built (an account missing) is not reversed either.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import timedelta

from paysync.domain.entries import EntryDraft, build_entry, build_reversal, entry_preview
from paysync.domain.fingerprint import (
    EntryContent,
    parse_partner_id,
    reversal_partner_id,
    version_partner_id,
)
from paysync.domain.models import Run, RunEntry
from paysync.domain.payroll import PayrollGroup, PayrollLine
from paysync.domain.period_states import EntryFinding, draft_version
from paysync.errors import DataError
from paysync.myunisoft.client import MyUnisoftClient
from paysync.usecases.posting import EntryPoster
from paysync.usecases.preparation import DossierSync
from paysync.usecases.watch import PeriodWatch

FIXED_BY_REPLACE = frozenset({"changed_in_silae", "deleted_in_myunisoft", "new_in_silae", "not_posted"})


@dataclass
class EntryReplace:
    """One entry's steps, in order (a reversal first when there is one)."""

    finding: EntryFinding
    steps: list[EntryDraft] = field(default_factory=list)

    @property
    def blocked(self) -> bool:
        return any(not step.postable for step in self.steps)


def to_replace(watch: PeriodWatch) -> list[EntryFinding]:
    return [f for f in watch.findings if f.state in FIXED_BY_REPLACE]


def plan_replace(sync: DossierSync, watch: PeriodWatch, stack: ExitStack, run_id: str) -> list[EntryReplace]:
    """Every step of every entry to replace, built (and checked) before anything is posted.
    Raises ConfigurationError (journal, fiscal year ``ECR9``...) before any step."""
    todo = to_replace(watch)
    if not todo:
        return []
    client = watch.myunisoft or sync.myunisoft_client(stack)
    watch.myunisoft = client
    period = watch.period
    # Facts read afresh, not kept ones: a fiscal year closed since must block (ECR9) before any step.
    society = sync.society(client, sync.dossier.society_id or 0, fresh=True)
    diary_id = sync.od_paie_journal(society, period)  # ECR9 / ECR10 / JOURNAL2 before any step
    todo = [f for f in todo if f.state != "deleted_in_myunisoft" or not _still_there(sync, client, f)]
    if not todo:
        return []
    groups = dict(zip(watch.base_ids, watch.groups, strict=True))
    files = sync.fetch_files(watch.payroll, period) if watch.payroll is not None else []
    reversed_contents = [f.posted for f in todo if f.state == "changed_in_silae" and f.posted is not None]
    accounts = sync.accounts(society, [*watch.groups, *(_as_group(c) for c in reversed_contents)], run_id)
    society_id = sync.dossier.society_id or 0
    number = sync.dossier.payroll_dossier_number or ""
    plans: list[EntryReplace] = []
    for finding in todo:
        plan = EntryReplace(finding)
        posted = watch.posted.get(finding.base_id)
        next_version = (posted.last_version if posted else 0) + 1
        if finding.state == "changed_in_silae" and finding.posted is not None and finding.version is not None:
            plan.steps.append(
                build_reversal(
                    finding.posted,
                    partner_id=reversal_partner_id(finding.base_id, finding.version),
                    label=finding.label,
                    version=finding.version,
                    period=period,
                    society_id=society_id,
                    accounts=accounts.ids,
                    dossier_number=number,
                )
            )
        group = groups.get(finding.base_id)
        if group is not None:
            plan.steps.append(
                build_entry(
                    group,
                    partner_id=version_partner_id(finding.base_id, next_version),
                    period=period,
                    society_id=society_id,
                    diary_id=diary_id,
                    accounts=accounts.ids,
                    files=files,
                    dossier_number=number,
                    blocked_accounts=accounts.blocked,
                    version=next_version,
                )
            )
        if plan.steps:
            plans.append(plan)
    return plans


def _still_there(sync: DossierSync, client: MyUnisoftClient, finding: EntryFinding) -> bool:
    """MyUnisoft's own lookup of an entry its listing does not show (the listing may lag)."""
    if finding.partner_id is None:
        return False
    with sync.myunisoft_errors():
        return client.find_entry_by_origin(finding.partner_id) is not None


def _as_group(content: EntryContent) -> PayrollGroup:
    """A posted content as a payroll group: its accounts are resolved like Silae's."""
    return PayrollGroup(
        label="",
        lines=tuple(PayrollLine(x.account, x.label, x.direction, x.amount) for x in content.lines),
    )


def post_replace(
    sync: DossierSync, run: Run, plans: list[EntryReplace], client: MyUnisoftClient | None, *, dry_run: bool
) -> Iterator[RunEntry]:
    """Post each entry's steps in order (or preview them); what the run records of each step."""
    poster = None
    if not dry_run and client is not None:
        services = sync.s
        lease = timedelta(seconds=services.settings.claim_lease_seconds)
        poster = EntryPoster(services.ledger, client, run, clock=services.clock, lease=lease)
    for plan in plans:
        if plan.blocked:
            problems = [d for step in plan.steps for d in step.blocked_by]
            for step in plan.steps:
                yield _step(step, "blocked", diagnoses=problems)
            continue
        for step in plan.steps:
            if poster is None or step.body is None:
                yield _step(step, "dry_run", preview=entry_preview(step.body) if step.body else None)
                continue
            try:
                posted = poster.post(step.partner_id, step.body, version=draft_version(step))
            except DataError as error:
                yield _step(step, "blocked", diagnoses=[error.diagnosis])
                break  # its next step waits: nothing of an entry is done out of order
            status = "already_posted" if posted.already else "posted"
            yield _step(
                step,
                status,
                entry_id=posted.entry_id,
                request_id=posted.request_id,
                files=[] if posted.already else list(step.file_names),
            )


def _step(step: EntryDraft, status: str, **extra: object) -> RunEntry:
    _base, kind, version = parse_partner_id(step.partner_id)
    fields: dict[str, object] = {"files": list(step.file_names), "diagnoses": list(step.notices)}
    fields.update(extra)
    return RunEntry.model_validate(
        {
            "partner_id": step.partner_id,
            "label": step.label,
            "status": status,
            "debit": str(step.totals.debit),
            "credit": str(step.totals.credit),
            "step": kind,
            "version": version,
            **fields,
        }
    )
