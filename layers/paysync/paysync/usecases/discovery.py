"""Onboarding by discovery: both vendors list what they have, paysync proposes the whole mapping.

The payroll side is Silae's ``ListeDossiers`` with the firm's payroll credentials, the MyUnisoft side
``GET /society`` with the firm's cabinet token; both are those of the connection test of candidate
firm credentials (the request's, else the saved firm's: ``connection_check.candidate_target``).
The two sides are read at the same time, each in its own thread, each call with one attempt and a
short timeout, so the answer leaves well before API Gateway's 29 s. A side that fails is a diagnosis
on that side (the connection test's mapping), and the other side is still answered; without the
societies nothing is proposed. Matching itself is pure (``paysync.domain.discovery``).

Creating the accepted dossiers is another call: the proposals carry what a dossier needs (payroll
number, society id, name) and the paysync dossier already holding each pair.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from paysync.domain.access import Principal
from paysync.domain.diagnoses import Diagnosis, diagnosis
from paysync.domain.discovery import Discovery, PayrollDossier, Society, discover
from paysync.myunisoft.client import MyUnisoftAccess, MyUnisoftClient
from paysync.myunisoft.errors import MyUnisoftError, MyUnisoftTransientError
from paysync.observability import logger
from paysync.silae.client import SilaeClient, SilaeCredentials
from paysync.silae.errors import SilaeError, SilaeTransientError
from paysync.usecases.connection_check import Candidate, candidate_target
from paysync.usecases.connection_check.report import unavailable
from paysync.usecases.connection_check.trial import PayrollInForce, one_short_attempt
from paysync.usecases.diagnose import diagnose_myunisoft, diagnose_silae
from paysync.usecases.services import Services
from paysync.usecases.settings import check_firm_access

__all__ = ["DISCOVERY_TIMEOUT_SECONDS", "DiscoveryReport", "discover_firm"]

# Per call. The payroll side makes two calls at most (token, list), the MyUnisoft side one, at the
# same time: 16 s at worst.
DISCOVERY_TIMEOUT_SECONDS = 8.0


@dataclass(frozen=True)
class DiscoveryReport:
    """A firm's discovery, and why either side could not be listed (each vendor's diagnoses)."""

    firm_id: str
    discovery: Discovery
    payroll_diagnoses: tuple[Diagnosis, ...]
    myunisoft_diagnoses: tuple[Diagnosis, ...]


def discover_firm(
    services: Services, principal: Principal, firm_id: str, candidate: Candidate
) -> DiscoveryReport:
    """Propose a society for each of the firm's payroll dossiers (the firm need not exist yet)."""
    check_firm_access(principal, firm_id)
    target = candidate_target(services, firm_id, candidate)
    partner = services.secrets.partner_secret() if target.myunisoft_token else None
    configured = services.config.list_dossiers_of_firm(firm_id)
    now = services.clock()
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="discovery") as pool:
        payroll_side = pool.submit(_payroll_dossiers, services, target.payroll, now)
        society_side = pool.submit(_societies, services, target.myunisoft_token, partner)
        payroll, payroll_diagnoses = payroll_side.result()
        societies, myunisoft_diagnoses = society_side.result()
    found = discover(
        payroll, societies, configured, closed_states=services.settings.silae.closed_dossier_states
    )
    logger.info(
        "dossiers discovered",
        extra={
            "firm_id": firm_id,
            "payroll_dossiers": len(found.payroll_dossiers),
            "closed_payroll_dossiers": len(found.closed_payroll_dossiers),
            "societies": None if societies is None else len(societies),
            "proposals": dict(Counter(p.how.value for p in found.proposals)),
            "codes": [d.code for d in (*payroll_diagnoses, *myunisoft_diagnoses)],
        },
    )
    return DiscoveryReport(firm_id, found, payroll_diagnoses, myunisoft_diagnoses)


def _payroll_dossiers(
    services: Services, payroll: PayrollInForce | None, now: datetime
) -> tuple[list[PayrollDossier], tuple[Diagnosis, ...]]:
    """Silae's payroll dossiers, or none and why."""
    if payroll is None:
        return [], (diagnosis("SILAE5"),)
    usual = services.settings.silae
    settings = usual.model_copy(update=one_short_attempt(usual.timeout_seconds, DISCOVERY_TIMEOUT_SECONDS))
    secret = payroll.secret
    credentials = SilaeCredentials(secret.client_id, secret.client_secret, secret.subscription_key)
    with SilaeClient(credentials, settings, http=services.http) as client:
        try:
            return client.list_dossiers(), ()
        except SilaeTransientError:
            return [], (unavailable("Silae"),)
        except SilaeError as error:
            found = diagnose_silae(error, credentials=payroll.info, dossier_level=False, now=now)
            return [], (found,)


def _societies(
    services: Services, token: str | None, partner: str | None
) -> tuple[list[Society] | None, tuple[Diagnosis, ...]]:
    """The firm's MyUnisoft societies, or None (not listed) and why."""
    if not token:
        return None, (diagnosis("MYUNISOFT-CABINET-TOKEN-MISSING"),)
    if not partner:
        return None, (diagnosis("PARTNER-SECRET-MISSING"),)
    usual = services.settings.myunisoft
    settings = usual.model_copy(update=one_short_attempt(usual.timeout_seconds, DISCOVERY_TIMEOUT_SECONDS))
    # No society-id: with one, MyUnisoft answers that society's file instead of the listing.
    access = MyUnisoftAccess(token=token, partner_secret=partner, society_id=None)
    with MyUnisoftClient(access, settings, http=services.http) as client:
        try:
            listing = client.list_societies()
        except MyUnisoftTransientError as error:
            return None, (unavailable("MyUnisoft", error.code),)
        except MyUnisoftError as error:
            return None, (diagnose_myunisoft(error),)
    if listing.company_access:
        return None, (diagnosis("MYUNISOFT-NOT-CABINET-TOKEN"),)
    societies = [
        Society(s.society_id, s.name, s.siret, s.folder_reference, s.city, s.postal_code)
        for s in listing.societies
    ]
    partial = (diagnosis("MYUNISOFT-SOCIETIES-PARTIAL", arg=len(societies)),) if listing.partial else ()
    return societies, partial
