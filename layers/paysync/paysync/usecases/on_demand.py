"""On-demand sync: one dossier, one closed period, queued exactly like the nightly runs.

Never two runs of a dossier and period at once: the run is created in one transaction with a lock
item ``ACTIVE#<dossier>#<period>`` (RunsTable) naming it. A trigger that finds the lock held by a
run still queued or running answers that run; a lock whose run has finished (or is older than the
lock's life) is taken over with a compare-and-swap on its holder, so it never needs releasing.
A queued nightly run of the same period is answered the same way.

A dry run does the sync's work without posting (``preparation.preview_run``) and records nothing.
A replace (``kind="replace"``, ``paysync.usecases.replace``) is queued and dry-run the same way,
under the same lock: never a sync and a replace of one period at once.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import NamedTuple

from paysync.domain.access import Principal
from paysync.domain.diagnoses import diagnosis
from paysync.domain.models import Dossier, Run, RunKind, RunStatus
from paysync.domain.periods import Period, last_closed_period
from paysync.errors import TransientError
from paysync.myunisoft.errors import MyUnisoftError
from paysync.observability import logger, metrics
from paysync.storage.secrets import SecretUnavailableError
from paysync.usecases.errors import Conflict, InvalidInput
from paysync.usecases.services import Services
from paysync.usecases.settings import dossier_with_firm, get_dossier, local_today

# Longer than the queue's message retention (4 days): past it, a queued run's message is gone.
LOCK_LIFETIME = timedelta(days=5)
_ATTEMPTS = 5


class Accepted(NamedTuple):  # not a dataclass: cheaper to define at a cold start
    """A trigger's answer: the run queued for the dossier and period, new or the one already there."""

    run: Run
    created: bool  # False: the run of this dossier and period that was already queued or running


def lock_key(dossier_id: str, period: Period) -> str:
    return f"ACTIVE#{dossier_id}#{period}"


def requested_period(services: Services, text: str | None) -> Period:
    """The period to sync: a closed month (default: the last one), never the current or a future one."""
    today = local_today(services)
    if text is None:
        return last_closed_period(today)
    try:
        period = Period.parse(text)
    except ValueError as error:
        raise InvalidInput("period", str(error)) from None
    current = Period.of(today)
    if period > current:
        raise InvalidInput("period", f"La période {text} est dans le futur.")
    if period == current:
        raise InvalidInput(
            "period",
            f"La période {text} n'est pas terminée : seule une période close peut être synchronisée.",
        )
    return period


def _alive(run: Run | None, now: datetime) -> bool:
    return run is not None and not run.status.finished and now - run.created_at < LOCK_LIFETIME


def _answer_existing(services: Services, run: Run) -> Accepted:
    if run.status is RunStatus.QUEUED:
        # Its message may never have been sent (SQS failed, or the trigger died, right after the
        # run was written): send it again. Within 5 minutes of a send that did go through, SQS FIFO
        # drops it (same deduplication id); later, the worker's conditional start makes a second
        # delivery harmless.
        services.queue.send([run])
    return Accepted(run=run, created=False)


def trigger_sync(
    services: Services,
    principal: Principal,
    dossier_id: str,
    period_text: str | None,
    *,
    kind: RunKind = "sync",
) -> Accepted:
    dossier = get_dossier(services, principal, dossier_id)
    period = requested_period(services, period_text)
    now = services.clock()
    for run in services.runs.list_for_dossier(dossier.dossier_id, limit=10):
        if run.trigger == "nightly" and run.period == str(period) and _alive(run, now):
            return _answer_existing(services, run)
    lock = lock_key(dossier.dossier_id, period)
    for _attempt in range(_ATTEMPTS):
        holder = services.runs.lock_holder(lock)
        if holder is not None:
            existing = services.runs.get(holder)
            if existing is not None and _alive(existing, now):
                return _answer_existing(services, existing)
        run = _new_run(dossier, period, now, kind)
        if services.runs.create_exclusive(run, lock, replaces=holder, lock_expires=now + LOCK_LIFETIME):
            services.queue.send([run])
            metrics.add_metric(name="OnDemandRunsQueued", unit="Count", value=1)
            logger.info(
                "on-demand run queued",
                extra={"run_id": run.run_id, "dossier_id": dossier.dossier_id, "period": run.period},
            )
            return Accepted(run=run, created=True)
        # Another trigger won the lock between our read and our write: answer its run.
    raise Conflict("Une synchronisation de ce dossier est en cours de création : réessayez dans un instant.")


def _new_run(dossier: Dossier, period: Period, now: datetime, kind: RunKind = "sync") -> Run:
    return Run(
        run_id=str(uuid.uuid4()),
        dossier_id=dossier.dossier_id,
        firm_id=dossier.firm_id,
        period=str(period),
        trigger="on_demand",
        kind=kind,
        message_group=dossier.message_group,
        created_at=now,
    )


def dry_run(
    services: Services,
    principal: Principal,
    dossier_id: str,
    period_text: str | None,
    *,
    kind: RunKind = "sync",
) -> Run:
    """What a sync of the period would post, with its diagnoses; posts nothing, records no run."""
    # Imported here, not by a trigger that queues a run: what the dry run needs, and no more (a
    # sync's preview never loads the posting path; a replace's does, and posts nothing).
    from paysync.usecases.preparation import preview_run

    dossier, firm = dossier_with_firm(services, principal, dossier_id)
    period = requested_period(services, period_text)
    now = services.clock()
    run = _new_run(dossier, period, now, kind).model_copy(update={"run_id": f"dry-run-{uuid.uuid4()}"})
    metrics.add_metric(name="DryRuns", unit="Count", value=1)
    try:
        if kind == "sync":
            return preview_run(services, run, dossier, firm)
        from paysync.usecases.period_runs import execute_period_run

        return execute_period_run(services, run, dossier, firm, dry_run=True)
    except TransientError as error:
        service = (
            "MyUnisoft"
            if isinstance(error, MyUnisoftError)
            else "Secrets Manager"
            if isinstance(error, SecretUnavailableError)
            else "Silae"
        )
        logger.warning(
            "dry run: a service did not answer", extra={"error": type(error).__name__, "service": service}
        )
        found = diagnosis("TRANSIENT-EXHAUSTED", service=service)
        return run.model_copy(
            update={"status": RunStatus.FAILED, "finished_at": services.clock(), "diagnoses": [found]}
        )
