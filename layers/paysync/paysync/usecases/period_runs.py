"""The worker's side of watch and replace runs (``Run.kind``), beside the sync's ``execute_run``.

A watch run records each entry's state (``Run.findings``) and what it means (``Run.diagnoses``:
PAIE-MODIFIEE, ECRITURE-SUPPRIMEE, ECRITURE-MODIFIEE, PAIE-NON-CLOTUREE); it posts nothing, unless
the dossier replaces corrections by itself (``auto_replace_corrections``): it then goes on as a
replace. A replace run watches the period afresh and posts what ``paysync.usecases.replace``
plans. A dry run of either posts nothing and records nothing.
"""

from __future__ import annotations

from contextlib import ExitStack

from paysync.domain.models import Dossier, Firm, Run, RunStatus
from paysync.domain.periods import Period
from paysync.errors import ConfigurationError
from paysync.usecases.preparation import DossierSync, finish_run, run_outcome
from paysync.usecases.replace import plan_replace, post_replace
from paysync.usecases.services import Services
from paysync.usecases.watch import watch_period, watched_entry


def execute_period_run(
    services: Services, run: Run, dossier: Dossier, firm: Firm | None, *, dry_run: bool = False
) -> Run:
    period = Period.parse(run.period)
    sync = DossierSync(services, dossier, firm, dry_run=dry_run)
    with ExitStack() as stack:
        try:
            watch = watch_period(sync, period, stack)
            run = run.model_copy(
                update={"findings": [watched_entry(f) for f in watch.findings], "diagnoses": watch.diagnoses}
            )
            if watch.not_closed and not watch.findings:
                return finish_run(run, RunStatus.NO_DATA, services.clock(), diagnoses=watch.diagnoses)
            replacing = run.kind == "replace" or (run.kind == "watch" and dossier.auto_replace_corrections)
            if not replacing:
                return finish_run(run, RunStatus.SUCCEEDED, services.clock(), diagnoses=watch.diagnoses)
            plans = plan_replace(sync, watch, stack, run.run_id)
            entries = []
            for entry in post_replace(sync, run, plans, watch.myunisoft, dry_run=dry_run):
                entries.append(entry)
                run = run.model_copy(update={"entries": entries})
        except ConfigurationError as error:
            return finish_run(
                run, RunStatus.FAILED, services.clock(), diagnoses=[*run.diagnoses, error.diagnosis]
            )
        client = watch.myunisoft
        request_ids = list(client.request_ids) if client is not None else []
        run = run.model_copy(update={"entries": entries, "request_ids": request_ids})
        if dry_run or not entries:
            return finish_run(run, RunStatus.SUCCEEDED, services.clock(), diagnoses=run.diagnoses)
        return finish_run(run, run_outcome(entries), services.clock(), diagnoses=run.diagnoses)
