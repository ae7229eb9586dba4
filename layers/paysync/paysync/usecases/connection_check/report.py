"""What a connection test answers: one ``Check`` per step, in order, and the ``Report`` of them all."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from paysync.domain.diagnoses import Diagnosis, diagnosis

LABELS: dict[str, str] = {
    "firm_settings": "Paramétrage de la paie (cabinet ou dossier)",
    "payroll_dossier_number": "Code dossier de paie",
    "payroll_token": "Jeton de l'API de paie (Client ID et Client secret)",
    "subscription_key": "Clé de configuration",
    "dossier_access": "Accès au dossier de paie",
    "secret_expiry": "Expiration du Client secret",
    "myunisoft_partner_secret": "Secret partenaire MyUnisoft",
    "myunisoft_token": "Jeton d'API MyUnisoft",
    "od_paie_journal": "Journal d'OD PAIE",
}

Status = Literal["ok", "failed", "skipped"]


@dataclass(frozen=True)
class Check:
    """One step of a connection test: passed, failed (with the diagnosis' code and remedy) or skipped."""

    id: str
    status: Status
    message: str
    code: str | None = None
    remedy: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return LABELS[self.id]


class Report(NamedTuple):  # not a dataclass: cheaper to define at a cold start
    """A connection test's answer, for a firm or one of its dossiers: every check, in order."""

    firm_id: str
    dossier_id: str | None
    checks: list[Check]

    @property
    def ok(self) -> bool:
        return all(c.status == "ok" for c in self.checks)


def failed(check_id: str, found: Diagnosis, message: str | None = None, **details: Any) -> Check:
    return Check(
        id=check_id,
        status="failed",
        code=found.code,
        message=message or found.message,
        remedy=found.remedy,
        details={**found.details, **details},
    )


def unavailable(service: str, code: str | None = None) -> Diagnosis:
    """A service that did not answer (in time): nothing is wrong with the settings, as far as known."""
    details = {"service": service, **({"error_code": code} if code else {})}
    return diagnosis("TRANSIENT-EXHAUSTED", **details)


def skipped(check_id: str, why: str) -> Check:
    return Check(id=check_id, status="skipped", message=f"Non vérifié : {why}")


OUT_OF_TIME = "le temps imparti au test est écoulé (les services ont répondu trop lentement)."
