"""A period, entry by entry: what was posted against Silae and MyUnisoft (the watch's states)."""

from __future__ import annotations

from typing import Annotated

from paysync.api.common import DossierIdPath, caller, responses, services
from paysync.api.models.periods import PeriodAnswer
from paysync.api.routing import Path, Query, Router
from paysync.usecases import period_view

router = Router()

PeriodPath = Annotated[str, Path(pattern=r"^\d{4}-\d{2}$", description="The month, `YYYY-MM`.")]


@router.get(
    "/dossiers/<dossier_id>/periods/<period>",
    summary="A period, entry by entry",
    description="Each entry of the period with its state (`in_sync`, `changed_in_silae`, "
    "`deleted_in_myunisoft`, `changed_in_myunisoft`, `new_in_silae`, `not_posted`, `blocked`), its "
    "version and MyUnisoft entry id, the totals posted and those of Silae, and the lines that differ; "
    "the diagnoses (PAIE-MODIFIEE, ECRITURE-SUPPRIMEE, ECRITURE-MODIFIEE, PAIE-NON-CLOTUREE). From "
    "paysync's records (the last watch of the period), or with `live=true` from a watch made now: "
    "Silae's entries of the period and at most one MyUnisoft call (its listing of the journal's "
    "entries). `POST /dossiers/{dossier_id}/sync` with `replace: true` replaces what it finds.",
    tags=["periods"],
    responses=responses({200: "The period's entries and their states."}),
)
def get_period(
    dossier_id: DossierIdPath,
    period: PeriodPath,
    live: Annotated[bool, Query(description="Check against Silae and MyUnisoft now.")] = False,
) -> PeriodAnswer:
    found = period_view.period_view(services(), caller(router), dossier_id, period, live=live)
    return PeriodAnswer.of(found)
