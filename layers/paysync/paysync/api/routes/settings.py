"""Firms and dossiers: their settings, secrets written to Secrets Manager, metadata answered."""

from __future__ import annotations

from typing import Annotated

from paysync.api.common import DossierIdPath, FirmIdPath, answer, caller, responses, services
from paysync.api.models.inputs import DossierIn, FirmIn
from paysync.api.models.views import DossierList, DossierView, FirmView
from paysync.api.routing import Body, Response, Router
from paysync.usecases import settings
from paysync.usecases.settings import DossierChange, FirmChange

router = Router()


@router.put(
    "/firms/<firm_id>",
    summary="Create (operators) or update a firm",
    description="Secrets (payroll credentials, cabinet token) go to Secrets Manager; the answer holds "
    "metadata only. Creating (operators): `name` is required; a firm created meanwhile is a 409. Updating: "
    "only the fields given change.",
    tags=["settings"],
    responses=responses({200: "The firm, updated.", 201: "The firm, created."}, body=True, extra=(409,)),
)
def put_firm(firm_id: FirmIdPath, body: Annotated[FirmIn, Body()]) -> Response[FirmView]:
    change = FirmChange.model_validate(body)
    firm, created = settings.save_firm(services(), caller(router), firm_id, change)
    return answer(201 if created else 200, FirmView.of(firm))


@router.get(
    "/firms/<firm_id>",
    summary="A firm's settings",
    tags=["settings"],
    responses=responses({200: "The firm."}),
)
def get_firm(firm_id: FirmIdPath) -> FirmView:
    return FirmView.of(settings.get_firm(services(), caller(router), firm_id))


@router.get(
    "/firms/<firm_id>/dossiers",
    summary="A firm's dossiers",
    tags=["settings"],
    responses=responses({200: "The firm's dossiers."}),
)
def list_dossiers(firm_id: FirmIdPath) -> DossierList:
    firm, dossiers = settings.list_dossiers(services(), caller(router), firm_id)
    return DossierList(firm_id=firm.firm_id, dossiers=[DossierView.of(d, firm) for d in dossiers])


@router.put(
    "/dossiers/<dossier_id>",
    summary="Create or update a dossier",
    description="Creating: `name` is required, and `firm_id` with an operator credential (a firm credential "
    "creates in its own firm); `pending_period` defaults to the last closed month. An id that exists already "
    "(another firm's, or created meanwhile) is a 409. Updating: only the fields given change.",
    tags=["settings"],
    responses=responses(
        {200: "The dossier, updated.", 201: "The dossier, created."}, body=True, extra=(409,)
    ),
)
def put_dossier(dossier_id: DossierIdPath, body: Annotated[DossierIn, Body()]) -> Response[DossierView]:
    change = DossierChange.model_validate(body)
    dossier, firm, created = settings.save_dossier(services(), caller(router), dossier_id, change)
    return answer(201 if created else 200, DossierView.of(dossier, firm))


@router.get(
    "/dossiers/<dossier_id>",
    summary="A dossier's settings",
    tags=["settings"],
    responses=responses({200: "The dossier."}),
)
def get_dossier(dossier_id: DossierIdPath) -> DossierView:
    dossier, firm = settings.dossier_with_firm(services(), caller(router), dossier_id)
    return DossierView.of(dossier, firm)


@router.delete(
    "/dossiers/<dossier_id>/payroll-credentials",
    summary="Delete the dossier-level payroll credentials",
    description="The firm's credentials apply again: the remedy of the dossier/firm conflict "
    "(`SubscriptionKeyConflict`).",
    tags=["settings"],
    responses=responses({200: "The dossier, without dossier-level payroll credentials."}, extra=(409,)),
)
def delete_payroll(dossier_id: DossierIdPath) -> DossierView:
    svc = services()
    dossier = settings.delete_dossier_payroll(svc, caller(router), dossier_id)
    return DossierView.of(dossier, svc.config.get_firm(dossier.firm_id))
