"""Sync one dossier for one period: Silae entries and files in, MyUnisoft entries out, exactly once.

Order of work: everything before posting is ``paysync.usecases.preparation`` (settings → Silae
(entries, files) → MyUnisoft (journal, fiscal years, chart: kept between runs,
``paysync.usecases.society_context``) → accounts → entries built and checked); then per entry, post
once (``paysync.usecases.posting``: ledger claim → existence check, ``paysync.usecases.existence`` →
POST → ledger). ``sync_run`` is the worker's side: one queued run, start to finish.
"""

from __future__ import annotations

from contextlib import ExitStack
from datetime import timedelta

from paysync.domain.diagnoses import Diagnosis, diagnosis
from paysync.domain.entries import EntryDraft
from paysync.domain.models import Dossier, Firm, Run, RunEntry, RunStatus
from paysync.domain.period_states import draft_version
from paysync.domain.periods import Period
from paysync.errors import ConfigurationError, DataError, TransientError
from paysync.myunisoft.errors import MyUnisoftError
from paysync.observability import logger, metrics
from paysync.silae.errors import SilaeError
from paysync.storage.secrets import SecretUnavailableError
from paysync.usecases.existence import period_existence
from paysync.usecases.posting import EntryBeingPostedError, EntryPoster
from paysync.usecases.preparation import (
    DossierSync,
    blocked_entry,
    finish_run,
    prepared_or_finished,
    run_entry,
    run_outcome,
)
from paysync.usecases.services import Services
from paysync.usecases.watch_schedule import watch_synced_period


def _post(poster: EntryPoster, draft: EntryDraft) -> RunEntry:
    """Post one checked entry; what the run records of it."""
    if draft.body is None:
        raise DataError(draft.blocked_by[0] if draft.blocked_by else diagnosis("ECR1"))
    posted = poster.post(draft.partner_id, draft.body, version=draft_version(draft))
    if posted.already:  # an earlier attempt or run posted it, with its files
        return run_entry(
            draft, "already_posted", entry_id=posted.entry_id, request_id=posted.request_id, files=[]
        )
    return run_entry(draft, "posted", entry_id=posted.entry_id, request_id=posted.request_id)


def execute_run(services: Services, run: Run, dossier: Dossier, firm: Firm | None) -> Run:
    """Do the run's work and return it finished. Raises TransientError to have it retried;
    configuration problems end the run with a diagnosis. (A dry run is ``preparation.preview_run``.)"""
    if run.kind != "sync":  # a watch or a replace of a synced period
        from paysync.usecases.period_runs import execute_period_run

        return execute_period_run(services, run, dossier, firm)
    period = Period.parse(run.period)
    sync = DossierSync(services, dossier, firm)
    with ExitStack() as stack:
        prepared = prepared_or_finished(sync, run, period, stack)
        if isinstance(prepared, Run):
            return prepared
        client = prepared.myunisoft
        if client is None:  # entries come with MyUnisoft's client (``DossierSync.prepare``)
            raise RuntimeError("entries prepared without MyUnisoft's client")
        lease = timedelta(seconds=services.settings.claim_lease_seconds)
        existence = period_existence(services, dossier, period, client, prepared.diary_id)
        poster = EntryPoster(
            services.ledger, client, run, clock=services.clock, lease=lease, existence=existence
        )
        entries: list[RunEntry] = []
        for draft in prepared.drafts:
            if not draft.postable:
                entries.append(blocked_entry(draft, draft.blocked_by))
                continue
            try:
                entries.append(_post(poster, draft))
            except (DataError, ConfigurationError) as error:
                if prepared.society is not None:  # a kept fact contradicted: retried, not concluded
                    prepared.society.raise_if_contradicted(error.diagnosis.code)
                if isinstance(error, DataError):
                    entries.append(blocked_entry(draft, [error.diagnosis]))
                    continue
                run = run.model_copy(update={"entries": entries})
                return finish_run(run, RunStatus.FAILED, services.clock(), diagnoses=[error.diagnosis])
        run = run.model_copy(update={"entries": entries, "request_ids": list(client.request_ids)})
        return finish_run(run, run_outcome(entries), services.clock())


def _transient_diagnosis(error: TransientError, *, final: bool) -> Diagnosis:
    """What a run says while SQS retries it, or once the last delivery gave up."""
    if final:
        code = "TRANSIENT-EXHAUSTED"
    elif isinstance(error, EntryBeingPostedError):
        code = "ENTRY-BEING-POSTED"
    elif isinstance(error, SilaeError):
        code = "SILAE9"
    else:
        code = "TRANSIENT-RETRYING"
    found = diagnosis(code, error=type(error).__name__)
    if isinstance(error, MyUnisoftError):
        return found.with_details(service="MyUnisoft", code=error.code, request_id=error.request_id)
    if isinstance(error, SilaeError):
        return found.with_details(service="Silae")
    if isinstance(error, SecretUnavailableError):
        return found.with_details(service="Secrets Manager")
    return found


def sync_run(services: Services, run_id: str, *, receive_count: int = 1) -> Run | None:
    """Process one queued run (from the worker). Returns the finished run, or None if there was
    nothing to do (already finished: a redelivery). Raises TransientError to be retried by SQS."""
    now = services.clock()
    run = services.runs.start(run_id, now)
    if run is None:
        logger.info("run already finished or unknown, nothing to do", extra={"run_id": run_id})
        return None
    logger.append_keys(run_id=run.run_id, dossier_id=run.dossier_id, period=run.period)
    dossier = services.config.get_dossier(run.dossier_id)
    if dossier is None:
        finished = finish_run(run, RunStatus.FAILED, now, [diagnosis("SILAE4", reason="dossier deleted")])
        services.runs.save(finished)
        return finished
    firm = services.config.get_firm(run.firm_id)
    final = receive_count >= services.settings.max_receive_count
    if final:
        # The last delivery: if this attempt dies (timeout, out of memory, a bug), SQS parks the
        # message in the DLQ and nothing would ever finish the run. Record the failure first; the
        # outcome replaces it.
        interrupted = finish_run(
            run, RunStatus.FAILED, now, [diagnosis("TRANSIENT-EXHAUSTED", interrupted=True)]
        )
        services.runs.save(interrupted)
        services.config.record_run(dossier, interrupted, synced=False)
    try:
        finished = execute_run(services, run, dossier, firm)
    except TransientError as error:
        transient = _transient_diagnosis(error, final=final)
        status = RunStatus.FAILED if final else RunStatus.RETRYING
        services.runs.save(
            run.model_copy(
                update={"status": status, "diagnoses": [transient], "finished_at": now if final else None}
            )
        )
        if final:
            services.config.record_run(
                dossier, run.model_copy(update={"status": status, "diagnoses": [transient]}), synced=False
            )
            metrics.add_metric(name="RunsFailed", unit="Count", value=1)
        logger.warning(
            "transient failure, the run will be retried by SQS", extra={"final": final, "error": str(error)}
        )
        raise
    services.runs.save(finished)
    if finished.kind == "sync":  # a watch or replace is not the dossier's last sync
        services.config.record_run(dossier, finished, synced=finished.status is RunStatus.SUCCEEDED)
        if finished.posted + finished.already_posted:
            watch_synced_period(services, dossier, finished)
    metrics.add_metric(name="EntriesPosted", unit="Count", value=finished.posted)
    metrics.add_metric(name="EntriesBlocked", unit="Count", value=finished.blocked)
    if finished.status is RunStatus.FAILED:
        metrics.add_metric(name="RunsFailed", unit="Count", value=1)
    logger.info(
        "run finished",
        extra={
            "status": finished.status.value,
            "posted": finished.posted,
            "already_posted": finished.already_posted,
            "blocked": finished.blocked,
            "diagnoses": [d.code for d in finished.diagnoses],
        },
    )
    return finished
