"""Onboarding in one call: the dossiers accepted from a discovery, created or updated together."""

from __future__ import annotations

from typing import Annotated

from paysync.api.common import FirmIdPath, caller, responses, services
from paysync.api.models.bulk import BulkIn, BulkView, read_items
from paysync.api.routing import Body, Router
from paysync.usecases.bulk_dossiers import MAX_ITEMS, save_dossiers

_DESCRIPTION = (
    f"Creates or updates up to {MAX_ITEMS} dossiers of the firm in one call, typically the proposals of "
    "`POST /firms/{firm_id}/discovery` accepted by the firm: each item names the paysync dossier "
    "(`dossier_id`), the MyUnisoft `society_id` and the Silae `payroll_dossier_number` (and `name` to "
    "create one); `defaults` (run day, automatic retrieval, account auto-creation, contact emails) apply "
    "to every item, an item's own value winning. Each item is saved, or refused, on its own, as "
    "`PUT /dossiers/{dossier_id}` would save it (a creation starts at the last closed month), and "
    "answers its `result`: `created`, `updated`, `unchanged` (the dossier already has every value given: "
    "nothing written, so the same call sent again writes nothing), `conflict` (an id another firm holds, "
    "a payroll dossier number another dossier of the firm already has, a concurrent save), `invalid` "
    "(the item's fields at fault in `details`, or a rule: a creation without `name`, an id twice in the "
    "call) or `failed` (not done: send the same call again). One bad item never stops the others. No "
    "secret is written: the dossiers use the firm's credentials."
)

router = Router()


@router.post(
    "/firms/<firm_id>/dossiers/bulk",
    summary="Create or update many dossiers in one call (onboarding)",
    description=_DESCRIPTION,
    tags=["bulk"],
    responses=responses({200: "One result per item, in order, and the count of each result."}, body=True),
)
def save_in_bulk(firm_id: FirmIdPath, body: Annotated[BulkIn, Body()]) -> BulkView:
    report = save_dossiers(
        services(), caller(router), firm_id, body.defaults_change(), read_items(body.items)
    )
    return BulkView.of(report)
