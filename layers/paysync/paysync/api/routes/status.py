"""Runs and a dossier's sync status (the "Statut de la synchronisation" panel)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from paysync.api.common import DossierIdPath, RunIdPath, base_path, caller, responses, services
from paysync.api.models import (
    ActiveRun,
    DiagnosisView,
    LastSync,
    RunList,
    RunView,
    SyncStatusView,
    WaitingEntry,
)
from paysync.usecases import status


def router() -> Router:
    r = Router()  # type: ignore[no-untyped-call]

    @r.get("/runs/<run_id>", summary="A run", tags=["status"], responses=responses({200: "The run."}))
    def get_run(run_id: RunIdPath) -> RunView:
        return RunView.of(status.get_run(services(), caller(r), run_id))

    @r.get(
        "/dossiers/<dossier_id>/runs",
        summary="A dossier's runs, newest first",
        tags=["status"],
        responses=responses({200: "The runs."}),
    )
    def list_runs(
        dossier_id: DossierIdPath,
        limit: Annotated[int, Query(ge=1, le=100, description="How many runs, newest first.")] = 20,
    ) -> RunList:
        runs = status.dossier_runs(services(), caller(r), dossier_id, limit)
        return RunList(dossier_id=dossier_id, runs=[RunView.of(run) for run in runs])

    @r.get(
        "/dossiers/<dossier_id>/status",
        summary="A dossier's sync status",
        description="Last sync, next due night, what blocks it and the entries waiting.",
        tags=["status"],
        responses=responses({200: "The sync status."}),
    )
    def get_status(dossier_id: DossierIdPath) -> SyncStatusView:
        found = status.sync_status(services(), caller(r), dossier_id)
        dossier, last, active = found.dossier, found.last, found.active
        return SyncStatusView(
            dossier_id=dossier.dossier_id,
            state=found.state,
            summary=found.summary,
            auto_pull=dossier.auto_pull,
            run_day=dossier.run_day,
            pending_period=dossier.pending_period,
            last_synced_period=dossier.last_synced_period,
            next_due=found.next_due,
            last_sync=LastSync(
                run_id=last.run_id,
                period=last.period,
                status=last.status.value,
                trigger=last.trigger,
                finished_at=last.finished_at,
            )
            if last
            else None,
            active_run=ActiveRun(
                run_id=active.run_id,
                period=active.period,
                status=active.status.value,
                location=f"{base_path(r)}/runs/{active.run_id}",
            )
            if active
            else None,
            blocking=[DiagnosisView.of(d) for d in found.blocking],
            entries_waiting=[
                WaitingEntry(
                    partner_id=e.partner_id,
                    label=e.label,
                    debit=e.debit,
                    credit=e.credit,
                    diagnoses=[DiagnosisView.of(d) for d in e.diagnoses],
                )
                for e in found.waiting
            ],
        )

    return r
