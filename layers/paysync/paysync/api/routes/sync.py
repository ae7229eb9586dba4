"""On-demand sync of one dossier and period, queued like the nightly runs; or a dry run."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse, OpenAPIResponseHeader

from paysync.api.common import DossierIdPath, answer, base_path, caller, responses, services
from paysync.api.models import DiagnosisView, DryRunEntry, DryRunReport, FileView, RunAccepted, SyncIn
from paysync.domain.models import Run, RunEntry
from paysync.usecases import on_demand

_LOCATION: dict[str, OpenAPIResponseHeader] = {
    "Location": {"description": "The run's address: `GET` it for its status.", "schema": {"type": "string"}}
}
_ACCEPTED: OpenAPIResponse = {
    "description": "The run, queued now (`created: true`) or already queued or running.",
    "headers": _LOCATION,
    "content": {content_types.APPLICATION_JSON: {"model": RunAccepted}},
}
_DRY_RUN: OpenAPIResponse = {
    "description": "Dry run: what would be posted.",
    "content": {content_types.APPLICATION_JSON: {"model": DryRunReport}},
}


def _dry_entry(entry: RunEntry) -> DryRunEntry:
    preview = entry.preview
    files = [
        FileView(name=str(pj.get("name")), type=pj.get("type"), size=int(pj.get("size") or 0))
        for pj in (preview or {}).get("pj_list", [])
    ]
    return DryRunEntry(
        partner_id=entry.partner_id,
        label=entry.label,
        status="blocked" if entry.status == "blocked" else "would_post",
        debit=entry.debit,
        credit=entry.credit,
        files=files,
        body=preview,
        diagnoses=[DiagnosisView.of(d) for d in entry.diagnoses],
    )


def dry_run_report(run: Run) -> DryRunReport:
    return DryRunReport(
        dossier_id=run.dossier_id,
        period=run.period,
        status=run.status.value,
        entries=[_dry_entry(e) for e in run.entries],
        diagnoses=[DiagnosisView.of(d) for d in run.diagnoses],
    )


def router() -> Router:
    r = Router()  # type: ignore[no-untyped-call]

    @r.post(
        "/dossiers/<dossier_id>/sync",
        summary="Sync a dossier now (or dry-run it)",
        description="Queues a run for the period (default: the last closed month) exactly like the nightly "
        "ones and answers `202` with its id and `Location`. While a run of that dossier and period is queued "
        "or running, triggering again answers that same run (`202`, `created: false`): never a second run. "
        "With `dry_run: true`, answers `200` with the MyUnisoft entries that would be posted (files by name "
        "and size) and their diagnoses; nothing is posted and no run is recorded.",
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
        svc, principal = services(), caller(r)
        if request.dry_run:
            return answer(200, dry_run_report(on_demand.dry_run(svc, principal, dossier_id, request.period)))
        accepted = on_demand.trigger_sync(svc, principal, dossier_id, request.period)
        location = f"{base_path(r)}/runs/{accepted.run.run_id}"
        found = RunAccepted(
            run_id=accepted.run.run_id,
            dossier_id=accepted.run.dossier_id,
            period=accepted.run.period,
            status=accepted.run.status.value,
            created=accepted.created,
            location=location,
        )
        return answer(202, found, headers={"Location": location})

    return r
