"""Runs and a dossier's sync status (the "Statut de la synchronisation" panel)."""

from __future__ import annotations

from typing import Annotated

from paysync.api.common import DossierIdPath, RunIdPath, base_path, caller, responses, services
from paysync.api.models.status import RunList, RunView, SyncStatusView
from paysync.api.routing import Query, Router
from paysync.usecases import status

router = Router()


@router.get("/runs/<run_id>", summary="A run", tags=["status"], responses=responses({200: "The run."}))
def get_run(run_id: RunIdPath) -> RunView:
    return RunView.of(status.get_run(services(), caller(router), run_id))


@router.get(
    "/dossiers/<dossier_id>/runs",
    summary="A dossier's runs, newest first",
    tags=["status"],
    responses=responses({200: "The runs."}),
)
def list_runs(
    dossier_id: DossierIdPath,
    limit: Annotated[int, Query(ge=1, le=100, description="How many runs, newest first.")] = 20,
) -> RunList:
    runs = status.dossier_runs(services(), caller(router), dossier_id, limit)
    return RunList(dossier_id=dossier_id, runs=[RunView.of(run) for run in runs])


@router.get(
    "/dossiers/<dossier_id>/status",
    summary="A dossier's sync status",
    description="Last sync, next due night, what blocks it and the entries waiting.",
    tags=["status"],
    responses=responses({200: "The sync status."}),
)
def get_status(dossier_id: DossierIdPath) -> SyncStatusView:
    found = status.sync_status(services(), caller(router), dossier_id)
    return SyncStatusView.of(found, base_path(router))
