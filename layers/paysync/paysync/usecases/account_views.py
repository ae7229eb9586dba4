"""The dossier's "Liste des Comptes" and the manual link, for the HTTP API (seed 004)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import TypeVar

from paysync.domain.access import Principal
from paysync.domain.accounts import ChartAccount
from paysync.errors import ConfigurationError, TransientError
from paysync.myunisoft.client import MyUnisoftClient
from paysync.usecases.accounts import AccountRow, UnknownAccountError, account_list, link_manually
from paysync.usecases.errors import Conflict, NotFound, Unavailable
from paysync.usecases.preparation import DossierSync
from paysync.usecases.services import Services
from paysync.usecases.settings import dossier_with_firm

T = TypeVar("T")


@contextmanager
def _myunisoft(
    services: Services, principal: Principal, dossier_id: str
) -> Iterator[tuple[str, bool, MyUnisoftClient]]:
    """The dossier's MyUnisoft client, built exactly as the sync builds it; refusals in French."""
    dossier, firm = dossier_with_firm(services, principal, dossier_id)
    sync = DossierSync(services, dossier, firm)
    with ExitStack() as stack:
        try:
            client = sync.myunisoft_client(stack)
            with sync.myunisoft_errors():  # the one mapping of MyUnisoft errors to diagnoses
                yield dossier.dossier_id, dossier.auto_create_accounts, client
        except ConfigurationError as error:
            found = error.diagnosis
            raise Conflict(f"{found.code} — {found.message} {found.remedy}") from None
        except TransientError:
            raise Unavailable("MyUnisoft ne répond pas : réessayez dans quelques minutes.") from None


def _run(
    services: Services, principal: Principal, dossier_id: str, work: Callable[[str, bool, MyUnisoftClient], T]
) -> T:
    with _myunisoft(services, principal, dossier_id) as (dossier, auto_create, client):
        return work(dossier, auto_create, client)


def dossier_accounts(services: Services, principal: Principal, dossier_id: str) -> list[AccountRow]:
    return _run(
        services,
        principal,
        dossier_id,
        lambda dossier, auto_create, client: account_list(
            client, services.links, dossier_id=dossier, auto_create=auto_create
        ),
    )


def link_dossier_account(
    services: Services, principal: Principal, dossier_id: str, number: str, account_id: int
) -> ChartAccount:
    def link(dossier: str, _auto: bool, client: MyUnisoftClient) -> ChartAccount:
        try:
            return link_manually(
                client,
                services.links,
                dossier_id=dossier,
                number=number,
                account_id=account_id,
                payroll_label=None,
                now=services.clock(),
            )
        except UnknownAccountError:
            raise NotFound(
                f"Le compte MyUnisoft {account_id} n'existe pas dans le plan comptable du dossier « {dossier_id} »."
            ) from None

    return _run(services, principal, dossier_id, link)
