"""The dossier's account list ("Liste des Comptes") and the manual link (seed 004)."""

from __future__ import annotations

from typing import Annotated

from paysync.api.common import DossierIdPath, caller, responses, services
from paysync.api.models.inputs import AccountLinkIn
from paysync.api.models.views import AccountList, AccountView, MyUnisoftAccountView
from paysync.api.routing import Body, Path, Router
from paysync.usecases import account_views

AccountNumberPath = Annotated[
    str,
    Path(
        pattern=r"^[A-Za-z0-9]{1,20}$", description="The payroll account number (1 to 20 letters or digits)."
    ),
]

router = Router()


@router.get(
    "/dossiers/<dossier_id>/accounts",
    summary="The dossier's account list",
    description="Every payroll account number met, its matching state, MyUnisoft match and suggestions.",
    tags=["accounts"],
    responses=responses({200: "The account list."}, extra=(409, 503)),
)
def list_accounts(dossier_id: DossierIdPath) -> AccountList:
    rows = account_views.dossier_accounts(services(), caller(router), dossier_id)
    return AccountList(dossier_id=dossier_id, accounts=[AccountView.of(row) for row in rows])


@router.put(
    "/dossiers/<dossier_id>/accounts/<account_number>",
    summary="Link a payroll account number to an existing MyUnisoft account",
    description="The fix for « Pas de correspondance — avec suggestion(s) ».",
    tags=["accounts"],
    responses=responses({200: "The MyUnisoft account now linked."}, body=True, extra=(409, 503)),
)
def link_account(
    dossier_id: DossierIdPath, account_number: AccountNumberPath, body: Annotated[AccountLinkIn, Body()]
) -> MyUnisoftAccountView:
    linked = account_views.link_dossier_account(
        services(), caller(router), dossier_id, account_number, body.account_id
    )
    return MyUnisoftAccountView.of(linked)
