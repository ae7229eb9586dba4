"""Onboarding by discovery: every payroll dossier of the firm, and the MyUnisoft society proposed for it."""

from __future__ import annotations

from typing import Annotated

from paysync.api.common import FirmIdPath, caller, responses, services
from paysync.api.models.discovery import DiscoveryView
from paysync.api.models.inputs import FirmCredentialsIn
from paysync.api.routes.connection import candidate_of
from paysync.api.routing import Body, Router
from paysync.usecases.discovery import discover_firm

_DESCRIPTION = (
    "Lists the payroll dossiers Silae's access configuration sees (`ListeDossiers`, with the firm's payroll "
    "credentials) and the firm's MyUnisoft societies (`GET /society`, with its cabinet token), and proposes a "
    "society for each open payroll dossier: `siren` (same first 9 digits of SIRET/SIREN, spaces removed; among "
    "several establishments, the same SIRET, else the same name), `name` (same name once case, accents, "
    "punctuation and legal forms are set aside; never a society with another SIREN), `ambiguous` (every "
    "candidate listed) or `none`, with a confidence, the paysync dossier already tying that pair and those "
    "tying the payroll number to another society (`conflicts`). Closed payroll dossiers are listed apart. "
    "A vendor that fails is a diagnosis on its side (as in test-connection) and the other side is still "
    "answered; without a cabinet token the payroll side is listed and every proposal is `none`. "
    "The body's credentials, if any, are used instead of the saved firm's and never stored."
)

router = Router()


@router.post(
    "/firms/<firm_id>/discovery",
    summary="Discover the firm's dossiers and propose the mapping",
    description=_DESCRIPTION,
    tags=["discovery"],
    responses=responses({200: "Both listings, the proposals and each side's diagnoses."}, body=True),
)
def discover(firm_id: FirmIdPath, body: Annotated[FirmCredentialsIn | None, Body()] = None) -> DiscoveryView:
    report = discover_firm(services(), caller(router), firm_id, candidate_of(body))
    return DiscoveryView.of(report)
