"""Test the connection ("Tester la connexion"), check by check, well under API Gateway's 29 s.

Checks, in order; a check whose premise failed is ``skipped`` (it could not be tried). Payroll side,
in ``silae.py``:

1. ``firm_settings``: payroll credentials in force (dossier level, else the firm's) — ``SILAE5``
2. ``payroll_dossier_number``: the Silae code dossier is set — ``SILAE4``
3. ``payroll_token``: Silae issues a token for Client ID + Client secret — ``SILAE15``/``SILAE13``
4. ``subscription_key``: the API gateway accepts the clé de configuration — ``SubscriptionKeyInvalid``;
   refused with a dossier-level override while the firm's credentials work: ``SubscriptionKeyConflict``
   (the seed's conflict: delete the dossier-level settings)
5. ``dossier_access``: the access configuration sees the dossier (``ListeNumerosDossiers``) — ``SILAE10``
6. ``secret_expiry``: expired — ``SILAE13``; within 60 days — ``SECRET-EXPIRES-SOON`` (still ``ok``)

MyUnisoft side, in ``myunisoft.py``:

7. ``myunisoft_partner_secret``: the partner's ``X-Third-Party-Secret`` — ``ERR-INVALID-SECRET``, …
8. ``myunisoft_token``: ``GET /key/info?mode=extended`` (which also activates a new key) —
   ``ERR-API-TOKEN-NOT-FOUND``, …
9. ``od_paie_journal``: the dossier has a usable OD PAIE journal — ``SILAE6``/``JOURNAL2``

Every HTTP call gets a short timeout and a single attempt, and no call starts once the time budget
is spent (the remaining checks are skipped and say so). The checks and the report are in
``report.py``; what a test works on (target, budget, clients) in ``trial.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from paysync.domain.access import Principal
from paysync.domain.models import Dossier, Firm, PayrollCredentialsInfo, mask
from paysync.observability import logger
from paysync.storage.secrets import Level, PayrollSecret
from paysync.usecases.connection_check.myunisoft import MyUnisoftChecks
from paysync.usecases.connection_check.report import Check, Report
from paysync.usecases.connection_check.silae import PayrollChecks
from paysync.usecases.connection_check.trial import (
    CHECK_TIMEOUT_SECONDS,
    Budget,
    PayrollInForce,
    Target,
    Trial,
)
from paysync.usecases.services import Services
from paysync.usecases.settings import check_firm_access, dossier_with_firm

__all__ = [
    "BUDGET_SECONDS",
    "CHECK_TIMEOUT_SECONDS",
    "Candidate",
    "Check",
    "Report",
    "candidate_target",
    "check_candidate",
    "check_saved_dossier",
]

BUDGET_SECONDS = 18.0  # + one last call's timeout: the answer leaves well before 29 s


def _saved_payroll(
    services: Services, level: Level, owner_id: str, info: PayrollCredentialsInfo | None
) -> PayrollInForce | None:
    if info is None:
        return None
    secret = services.secrets.payroll(level, owner_id)
    if secret is None:
        return None
    return PayrollInForce(level=level, owner_id=owner_id, secret=secret, info=info, saved=True)


def _run(services: Services, target: Target) -> Report:
    trial = Trial(services, target, Budget(BUDGET_SECONDS))
    try:
        PayrollChecks(trial).run()
        MyUnisoftChecks(trial).run()
    finally:
        trial.close()
    checks = trial.checks
    report = Report(firm_id=target.firm_id, dossier_id=target.dossier_id, checks=checks)
    logger.info(
        "connection tested",
        extra={
            "firm_id": target.firm_id,
            "dossier_id": target.dossier_id,
            "checks": {c.id: c.status for c in checks},
            "codes": [c.code for c in checks if c.code],
        },
    )
    return report


def check_saved_dossier(services: Services, principal: Principal, dossier_id: str) -> Report:
    """Test a saved dossier's settings as the nightly pull would use them."""
    dossier, firm = dossier_with_firm(services, principal, dossier_id)
    firm_payroll = _saved_payroll(services, "firm", dossier.firm_id, firm.payroll if firm else None)
    payroll = firm_payroll
    if dossier.payroll_override is not None:
        payroll = _saved_payroll(services, "dossier", dossier.dossier_id, dossier.payroll_override)
    return _run(services, _dossier_target(services, dossier, firm, payroll, firm_payroll))


def _dossier_target(
    services: Services,
    dossier: Dossier,
    firm: Firm | None,
    payroll: PayrollInForce | None,
    firm_payroll: PayrollInForce | None,
) -> Target:
    token: str | None = None
    kind: Literal["cabinet", "societe"] | None = None
    if dossier.has_societe_token:
        token, kind = services.secrets.myunisoft_token("dossier", dossier.dossier_id), "societe"
    elif firm is not None and firm.has_cabinet_token:
        token, kind = services.secrets.myunisoft_token("firm", firm.firm_id), "cabinet"
    return Target(
        firm_id=dossier.firm_id,
        dossier_id=dossier.dossier_id,
        payroll=payroll,
        firm_payroll=firm_payroll,
        dossier_number=dossier.payroll_dossier_number,
        number_required=True,
        myunisoft_token=token,
        access_kind=kind if token else None,
        society_id=dossier.society_id,
        society_required=True,
    )


@dataclass(frozen=True)
class Candidate:
    """Firm credentials to try before saving them. Left out: the saved firm's are used."""

    payroll: PayrollSecret | None = None
    secret_generated_on: date | None = None
    myunisoft_token: str | None = None
    dossier_number: str | None = None
    society_id: int | None = None


def check_candidate(services: Services, principal: Principal, firm_id: str, candidate: Candidate) -> Report:
    """Test firm-level credentials before they are saved (the firm itself need not exist yet)."""
    check_firm_access(principal, firm_id)
    return _run(services, candidate_target(services, firm_id, candidate))


def candidate_target(services: Services, firm_id: str, candidate: Candidate) -> Target:
    """The firm-level credentials in force: the candidate's, else the saved firm's (discovery too)."""
    firm = services.config.get_firm(firm_id)
    payroll: PayrollInForce | None
    if candidate.payroll is not None and candidate.secret_generated_on is not None:
        info = PayrollCredentialsInfo(
            client_id_masked=mask(candidate.payroll.client_id),
            secret_generated_on=candidate.secret_generated_on,
        )
        payroll = PayrollInForce("firm", firm_id, candidate.payroll, info, saved=False)
    else:
        payroll = _saved_payroll(services, "firm", firm_id, firm.payroll if firm else None)
    token = candidate.myunisoft_token
    if token is None and firm is not None and firm.has_cabinet_token:
        token = services.secrets.myunisoft_token("firm", firm_id)
    return Target(
        firm_id=firm_id,
        dossier_id=None,
        payroll=payroll,
        firm_payroll=None,
        dossier_number=candidate.dossier_number,
        number_required=False,
        myunisoft_token=token,
        access_kind="cabinet" if token else None,
        society_id=candidate.society_id,
        society_required=False,
    )
