"""On-demand sync of one dossier and period, queued like the nightly runs; or a dry run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from paysync.api.common import DossierIdPath, answer, base_path, caller, responses, services
from paysync.api.models.sync import DryRunReport, RunAccepted, SyncIn
from paysync.api.routing import JSON, Body, Response, Router
from paysync.domain.models import RunKind
from paysync.usecases import on_demand

if TYPE_CHECKING:  # the documentation's types: not imported by a request
    from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse, OpenAPIResponseHeader

_LOCATION: dict[str, OpenAPIResponseHeader] = {
    "Location": {"description": "The run's address: `GET` it for its status.", "schema": {"type": "string"}}
}
_ACCEPTED: OpenAPIResponse = {
    "description": "The run, queued now (`created: true`) or already queued or running.",
    "headers": _LOCATION,
    "content": {JSON: {"model": RunAccepted}},
}
_DRY_RUN: OpenAPIResponse = {
    "description": "Dry run: what would be posted.",
    "content": {JSON: {"model": DryRunReport}},
}

router = Router()


@router.post(
    "/dossiers/<dossier_id>/sync",
    summary="Sync a dossier now (or dry-run it)",
    description="Queues a run for the period (default: the last closed month) exactly like the nightly "
    "ones and answers `202` with its id and `Location`. While a run of that dossier and period is queued "
    "or running, triggering again answers that same run (`202`, `created: false`): never a second run. "
    "With `dry_run: true`, answers `200` with the MyUnisoft entries that would be posted (files by name "
    "and size) and their diagnoses; nothing is posted and no run is recorded. With `replace: true`, the run "
    "replaces what the period's watch finds (reversals, then new versions; entries deleted in MyUnisoft "
    "sent again), each step exactly once; with `dry_run` too, it previews them.",
    tags=["sync"],
    responses=responses(
        {202: _ACCEPTED, 200: _DRY_RUN},
        body=True,
        extra=(409,),
    ),
)
def sync(
    dossier_id: DossierIdPath, body: Annotated[SyncIn | None, Body()] = None
) -> Response[RunAccepted | DryRunReport]:
    request = body or SyncIn()
    svc, principal = services(), caller(router)
    kind: RunKind = "replace" if request.replace else "sync"
    if request.dry_run:
        report = on_demand.dry_run(svc, principal, dossier_id, request.period, kind=kind)
        return answer(200, DryRunReport.of(report))
    accepted = on_demand.trigger_sync(svc, principal, dossier_id, request.period, kind=kind)
    location = f"{base_path(router)}/runs/{accepted.run.run_id}"
    return answer(202, RunAccepted.of(accepted, location), headers={"Location": location})
