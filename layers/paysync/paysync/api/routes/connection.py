"""Test the connection ("Tester la connexion"): a saved dossier, or firm credentials before saving."""

from __future__ import annotations

from typing import Annotated

from paysync.api.common import DossierIdPath, FirmIdPath, caller, responses, services
from paysync.api.models.connection import ConnectionReport
from paysync.api.models.inputs import CandidateTestIn, FirmCredentialsIn
from paysync.api.routing import Body, Router
from paysync.storage.secrets import PayrollSecret
from paysync.usecases import connection_check
from paysync.usecases.connection_check import Candidate

_DESCRIPTION = (
    "Each check answers `ok`, `failed` or `skipped` (its premise failed), with the diagnosis code, the French "
    "message and the remedy: firm settings (`SILAE5`), payroll dossier number (`SILAE4`), payroll token "
    "(`SILAE15`, `SILAE13`), subscription key (`SubscriptionKeyInvalid`, `SubscriptionKeyConflict`), access to "
    "the dossier (`SILAE10`), secret expiry (`SILAE13`, `SECRET-EXPIRES-SOON`), MyUnisoft partner secret and "
    "token (`ERR-INVALID-SECRET`, `ERR-API-TOKEN-NOT-FOUND`, …; a new key is activated), OD PAIE journal (`SILAE6`)."
)

router = Router()


@router.post(
    "/dossiers/<dossier_id>/test-connection",
    summary="Test a saved dossier's connection",
    description=_DESCRIPTION,
    tags=["connection"],
    responses=responses({200: "The checks, in order."}),
)
def test_dossier(dossier_id: DossierIdPath) -> ConnectionReport:
    report = connection_check.check_saved_dossier(services(), caller(router), dossier_id)
    return ConnectionReport.model_validate(report)


@router.post(
    "/firms/<firm_id>/test-connection",
    summary="Test firm credentials before saving them",
    description=_DESCRIPTION + " What the body leaves out is taken from the saved firm.",
    tags=["connection"],
    responses=responses({200: "The checks, in order."}, body=True),
)
def test_candidate(
    firm_id: FirmIdPath, body: Annotated[CandidateTestIn | None, Body()] = None
) -> ConnectionReport:
    candidate = candidate_of(body)
    report = connection_check.check_candidate(services(), caller(router), firm_id, candidate)
    return ConnectionReport.model_validate(report)


def candidate_of(body: FirmCredentialsIn | None) -> Candidate:
    """The use cases' candidate credentials (the connection test's and the discovery's)."""
    given = body or CandidateTestIn()
    tested = given if isinstance(given, CandidateTestIn) else CandidateTestIn()
    payroll = given.payroll
    return Candidate(
        payroll=PayrollSecret(
            payroll.client_id,
            payroll.client_secret.get_secret_value().strip(),
            payroll.subscription_key.get_secret_value().strip(),
        )
        if payroll
        else None,
        secret_generated_on=payroll.secret_generated_on if payroll else None,
        myunisoft_token=given.myunisoft_cabinet_token.get_secret_value().strip()
        if given.myunisoft_cabinet_token
        else None,
        dossier_number=tested.payroll_dossier_number,
        society_id=tested.society_id,
    )
