"""What the fake Silae holds in memory, and the Python admin methods tests use to set it up (never
HTTP): API accounts and their secrets, access configurations, issued tokens, payroll per month."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from local.fakes.silae.answers import PARIS
from paysync.domain.payroll import PayrollGroup
from paysync.domain.periods import Period


@dataclass
class ApiAccount:
    client_id: str
    secret: str = field(repr=False)
    secret_expires_at: datetime
    secondary_secret: str | None = field(default=None, repr=False)
    secondary_expires_at: datetime | None = None
    active: bool = True


@dataclass
class Configuration:
    subscription_key: str = field(repr=False)
    client_id: str
    dossiers: set[str]
    revoked: bool = False


@dataclass
class IssuedToken:
    client_id: str
    expires_at: float


@dataclass
class DossierProperties:
    """What ``ListeDossiers`` tells of a dossier (``ProprietesDossier``)."""

    raison_sociale: str
    siret: str | None = None
    groupe: str | None = None
    etat_dossier: int = 1
    numero_interne: str | None = None
    jour_paiement_max_ssoc: int | None = None


@dataclass
class Payroll:
    ruptures: list[dict[str, Any]]
    files: list[tuple[str, bytes]]


class SilaeState:
    """Accounts, configurations, tokens and payroll, under one lock (``_state``)."""

    def __init__(self) -> None:
        self._state = threading.RLock()
        self._accounts: dict[str, ApiAccount] = {}
        self._configurations: dict[str, Configuration] = {}
        self._tokens: dict[str, IssuedToken] = {}
        self._payroll: dict[tuple[str, Period], Payroll] = {}
        self._properties: dict[str, DossierProperties] = {}
        # DossierRecupererPeriodeEnCours: the dossier's open month (default: the clock's month)
        self._open_periods: dict[str, Period] = {}

    def add_api_account(
        self,
        client_id: str,
        client_secret: str,
        *,
        secret_expires_at: datetime,
        secondary_secret: str | None = None,
        secondary_expires_at: datetime | None = None,
        active: bool = True,
    ) -> None:
        """Create or replace an API account (Mes comptes API on Silae's portal)."""
        with self._state:
            self._accounts[client_id] = ApiAccount(
                client_id=client_id,
                secret=client_secret,
                secret_expires_at=_aware(secret_expires_at),
                secondary_secret=secondary_secret,
                secondary_expires_at=_aware(secondary_expires_at) if secondary_expires_at else None,
                active=active,
            )

    def deactivate_api_account(self, client_id: str) -> None:
        """Deactivating an account also blocks every access configuration tied to it."""
        with self._state:
            self._accounts[client_id].active = False

    def add_access_configuration(
        self, subscription_key: str, client_id: str, dossiers: Iterable[str]
    ) -> None:
        """An access configuration: its clé de configuration, its API account, the dossiers it may reach."""
        with self._state:
            self._configurations[subscription_key] = Configuration(
                subscription_key=subscription_key, client_id=client_id, dossiers=set(dossiers)
            )

    def revoke_subscription_key(self, key: str) -> None:
        """Regenerating the key on the portal: the old one stops working at once."""
        with self._state:
            self._configurations[key].revoked = True

    def revoke_tokens(self, client_id: str | None = None) -> None:
        """Forget issued access tokens (all, or one Client ID's) as if they had expired."""
        with self._state:
            for token, issued in list(self._tokens.items()):
                if client_id is None or issued.client_id == client_id:
                    del self._tokens[token]

    def set_dossier_properties(
        self,
        dossier_number: str,
        raison_sociale: str,
        *,
        siret: str | None = None,
        groupe: str | None = None,
        etat_dossier: int = 1,
        numero_interne: str | None = None,
        jour_paiement_max_ssoc: int | None = None,
    ) -> None:
        """A dossier's company name, SIRET (as typed in Silae: spaces and all) and state.

        Which ``etatDossier`` values mean what is undocumented: the demo world says 1 for an open
        dossier and 2 for a closed one, as paysync's default ``SILAE_CLOSED_DOSSIER_STATES`` does.
        """
        with self._state:
            self._properties[dossier_number] = DossierProperties(
                raison_sociale=raison_sociale,
                siret=siret,
                groupe=groupe,
                etat_dossier=etat_dossier,
                numero_interne=numero_interne,
                jour_paiement_max_ssoc=jour_paiement_max_ssoc,
            )

    def dossier_rows(self, numbers: Iterable[str], *, state: int | None = None) -> list[dict[str, Any]]:
        """``ProprietesDossier`` rows of these dossiers, by number (in ``state`` only, if given); a
        dossier given no properties is listed by its number alone."""
        rows: list[dict[str, Any]] = []
        with self._state:
            for number in sorted(numbers):
                known = self._properties.get(number)
                if known is None:
                    rows.append({"numero": number})
                elif state is None or known.etat_dossier == state:
                    rows.append(
                        {
                            "numero": number,
                            "raisonSociale": known.raison_sociale,
                            "siret": known.siret or "",
                            "groupe": known.groupe or "",
                            "jourPaiementMaxSSOC": known.jour_paiement_max_ssoc or 0,
                            "etatDossier": known.etat_dossier,
                            "numeroInterne": known.numero_interne or "",
                        }
                    )
        return rows

    def set_payroll(
        self,
        dossier_number: str,
        period: Period,
        groups: Sequence[Mapping[str, Any] | PayrollGroup] = (),
        files: Sequence[tuple[str, bytes]] = (),
    ) -> None:
        """The OD de paie of a dossier and month: raw ``ruptures`` dicts or domain groups, plus files."""
        ruptures = [
            _rupture(group, period) if isinstance(group, PayrollGroup) else copy.deepcopy(dict(group))
            for group in groups
        ]
        with self._state:
            self._payroll[(dossier_number, period)] = Payroll(ruptures, [(n, bytes(c)) for n, c in files])

    def ruptures(self, dossier_number: str, period: Period) -> list[dict[str, Any]]:
        """A copy of the period's OD as ``EcrituresComptables4`` gives it."""
        with self._state:
            return copy.deepcopy(self._payroll[(dossier_number, period)].ruptures)

    def set_open_period(self, dossier_number: str, period: Period | None) -> None:
        """The month the dossier's payroll is at in Silae (not closed yet); None: the current month."""
        with self._state:
            if period is None:
                self._open_periods.pop(dossier_number, None)
            else:
                self._open_periods[dossier_number] = period

    def correct_payroll(
        self, dossier_number: str, period: Period, change: Callable[[list[dict[str, Any]]], None]
    ) -> None:
        """A payroll manager reopens the month and recalculates: ``change`` edits the period's
        ``ruptures`` in place (its files stay); Silae regenerates the OD."""
        with self._state:
            change(self._payroll[(dossier_number, period)].ruptures)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=PARIS)


def _rupture(group: PayrollGroup, period: Period) -> dict[str, Any]:
    """A domain group as Silae would send it (``EcrituresComptablesRupture``)."""
    debit = sum((line.amount for line in group.lines if line.direction.value == "D"), Decimal(0))
    credit = sum((line.amount for line in group.lines if line.direction.value == "C"), Decimal(0))
    return {
        "libelle": group.label,
        "totalDebit": float(group.total_debit if group.total_debit is not None else debit),
        "totalCredit": float(group.total_credit if group.total_credit is not None else credit),
        "ecritures": [
            {
                "codeJournal": group.journal_code or "PAIE",
                "periode": f"{period.first_day.isoformat()}T00:00:00",
                "compte": line.account,
                "libelle": line.label,
                "sens": line.direction.value,
                "valeur": float(line.amount),
                "indexRepartition": 0,
                "pctRepartition": 100.0,
            }
            for line in group.lines
        ],
    }
