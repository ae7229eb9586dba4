"""Firm and dossier settings: secrets to Secrets Manager, metadata (never a secret) to DynamoDB.

Every function takes the caller (``Principal``): a firm's credential reaches its own firm and
dossiers only; creating a firm is for operators.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, SecretStr

from paysync.domain.access import Principal
from paysync.domain.models import Dossier, Firm, PayrollCredentialsInfo, mask
from paysync.domain.periods import Period, last_closed_period
from paysync.observability import logger
from paysync.storage.secrets import PayrollSecret
from paysync.usecases.errors import Conflict, Forbidden, InvalidInput, NotFound
from paysync.usecases.services import Services

_RETRIES = 3  # a dossier's pending period moved while it was being edited: read again


# -- inputs: what the caller asks to change; None is "unchanged" ----------------------------------
class _Change(BaseModel):
    # from_attributes: the HTTP layer converts its request bodies with ``model_validate(body)``.
    model_config = ConfigDict(frozen=True, from_attributes=True)


class PayrollCredentials(_Change):
    """Silae credentials to store. The secrets stay masked in any repr or log."""

    client_id: str
    client_secret: SecretStr
    subscription_key: SecretStr
    secret_generated_on: date


class FirmChange(_Change):
    name: str | None = None  # required on creation
    contact_emails: list[str] | None = None
    payroll: PayrollCredentials | None = None
    myunisoft_cabinet_token: SecretStr | None = None


class DossierChange(_Change):
    firm_id: str | None = None  # on creation: a firm credential's own firm by default
    name: str | None = None  # required on creation
    society_id: int | None = None
    payroll_dossier_number: str | None = None
    auto_pull: bool | None = None
    run_day: int | None = None
    auto_create_accounts: bool | None = None
    contact_emails: list[str] | None = None
    pending_period: str | None = None  # AAAA-MM; on creation, the last closed month by default
    myunisoft_societe_token: SecretStr | None = None
    payroll: PayrollCredentials | None = None


def local_today(services: Services) -> date:
    """Today in the firms' calendar (Europe/Paris): periods and due dates are counted there."""
    return services.clock().astimezone(ZoneInfo(services.settings.timezone)).date()


# -- access --------------------------------------------------------------------------------------------
def check_firm_access(principal: Principal, firm_id: str) -> None:
    if not principal.reaches(firm_id):
        raise Forbidden(f"Cette clé d'API ne donne pas accès au cabinet « {firm_id} ».")


def require_admin(principal: Principal) -> None:
    if not principal.is_admin:
        raise Forbidden("Cette opération est réservée aux clés d'API d'administration.")


def get_firm(services: Services, principal: Principal, firm_id: str) -> Firm:
    check_firm_access(principal, firm_id)
    firm = services.config.get_firm(firm_id)
    if firm is None:
        raise NotFound(f"Le cabinet « {firm_id} » n'existe pas.")
    return firm


def get_dossier(services: Services, principal: Principal, dossier_id: str) -> Dossier:
    """The dossier, if it exists (404) and the caller reaches its firm (403)."""
    dossier = services.config.get_dossier(dossier_id)
    if dossier is None:
        raise NotFound(f"Le dossier « {dossier_id} » n'existe pas.")
    if not principal.reaches(dossier.firm_id):
        raise Forbidden(f"Cette clé d'API ne donne pas accès au dossier « {dossier_id} ».")
    return dossier


def dossier_with_firm(
    services: Services, principal: Principal, dossier_id: str
) -> tuple[Dossier, Firm | None]:
    dossier = get_dossier(services, principal, dossier_id)
    return dossier, services.config.get_firm(dossier.firm_id)


def list_dossiers(services: Services, principal: Principal, firm_id: str) -> tuple[Firm, list[Dossier]]:
    firm = get_firm(services, principal, firm_id)
    dossiers = sorted(services.config.list_dossiers_of_firm(firm_id), key=lambda d: d.dossier_id)
    return firm, dossiers


# -- secrets ------------------------------------------------------------------------------------------
def _payroll(
    services: Services,
    *,
    level: Literal["firm", "dossier"],
    owner_id: str,
    given: PayrollCredentials,
    field: str,
    now: datetime,
) -> PayrollCredentialsInfo:
    """Store a credential set in Secrets Manager and answer its metadata."""
    secret, key = (
        given.client_secret.get_secret_value().strip(),
        given.subscription_key.get_secret_value().strip(),
    )
    if not secret:
        raise InvalidInput(f"{field}.client_secret", "Le Client secret ne peut pas être vide.")
    if not key:
        raise InvalidInput(f"{field}.subscription_key", "La clé de configuration ne peut pas être vide.")
    if given.secret_generated_on > local_today(services):
        raise InvalidInput(
            f"{field}.secret_generated_on",
            "La date de génération du Client secret ne peut pas être dans le futur.",
        )
    services.secrets.put_payroll(level, owner_id, PayrollSecret(given.client_id, secret, key))
    # New credentials: any expiry learned from Silae was the old secret's.
    return PayrollCredentialsInfo(
        client_id_masked=mask(given.client_id), secret_generated_on=given.secret_generated_on, updated_at=now
    )


def _token(
    services: Services, level: Literal["firm", "dossier"], owner_id: str, value: str, field: str
) -> None:
    token = value.strip()
    if not token:
        raise InvalidInput(field, "Le jeton MyUnisoft ne peut pas être vide.")
    services.secrets.put_myunisoft_token(level, owner_id, token)


# -- firms --------------------------------------------------------------------------------------------
def save_firm(
    services: Services, principal: Principal, firm_id: str, change: FirmChange
) -> tuple[Firm, bool]:
    """Create (operators only) or update a firm. Returns the firm and whether it was created."""
    check_firm_access(principal, firm_id)
    now = services.clock()
    existing = services.config.get_firm(firm_id)
    if existing is None:
        require_admin(principal)
        if change.name is None:
            raise InvalidInput("name", "Le nom du cabinet est obligatoire à sa création.")
        firm = Firm(firm_id=firm_id, name=change.name, created_at=now, updated_at=now)
    else:
        firm = existing.model_copy(update={"updated_at": now})
    update: dict[str, object] = {}
    if change.name is not None:
        update["name"] = change.name
    if change.contact_emails is not None:
        update["contact_emails"] = list(dict.fromkeys(e.lower() for e in change.contact_emails))
    if change.payroll is not None:
        update["payroll"] = _payroll(
            services, level="firm", owner_id=firm_id, given=change.payroll, field="payroll", now=now
        )
    if change.myunisoft_cabinet_token is not None:
        _token(
            services,
            "firm",
            firm_id,
            change.myunisoft_cabinet_token.get_secret_value(),
            "myunisoft_cabinet_token",
        )
        update["has_cabinet_token"] = True
    firm = firm.model_copy(update=update)
    services.config.put_firm(firm)
    logger.info(
        "firm saved",
        extra={
            "firm_id": firm_id,
            "firm_created": existing is None,
            "payroll_saved": change.payroll is not None,
            "cabinet_token_saved": change.myunisoft_cabinet_token is not None,
        },
    )
    return firm, existing is None


# -- dossiers -----------------------------------------------------------------------------------------
def _pending_period(services: Services, text: str) -> str:
    period = Period.parse(text)
    if period > Period.of(local_today(services)):
        raise InvalidInput("pending_period", f"La période {text} est dans le futur.")
    return str(period)


def _new_dossier(services: Services, principal: Principal, dossier_id: str, change: DossierChange) -> Dossier:
    firm_id = change.firm_id or principal.firm_id
    if firm_id is None:
        raise InvalidInput("firm_id", "Le cabinet du dossier (firm_id) est obligatoire à sa création.")
    check_firm_access(principal, firm_id)
    if services.config.get_firm(firm_id) is None:
        raise InvalidInput("firm_id", f"Le cabinet « {firm_id} » n'existe pas.")
    if change.name is None:
        raise InvalidInput("name", "Le nom du dossier est obligatoire à sa création.")
    now = services.clock()
    return Dossier(
        dossier_id=dossier_id,
        firm_id=firm_id,
        name=change.name,
        pending_period=str(last_closed_period(local_today(services))),
        created_at=now,
        updated_at=now,
    )


def _apply(services: Services, dossier: Dossier, change: DossierChange) -> Dossier:
    """The dossier with the change's non-secret fields; secrets are written by the caller."""
    update: dict[str, object] = {"updated_at": services.clock()}
    for name in (
        "name",
        "society_id",
        "payroll_dossier_number",
        "auto_pull",
        "run_day",
        "auto_create_accounts",
    ):
        value = getattr(change, name)
        if value is not None:
            update[name] = value
    if change.contact_emails is not None:
        update["contact_emails"] = list(dict.fromkeys(e.lower() for e in change.contact_emails))
    if change.pending_period is not None:
        update["pending_period"] = _pending_period(services, change.pending_period)
    return dossier.model_copy(update=update)


def save_dossier(
    services: Services, principal: Principal, dossier_id: str, change: DossierChange
) -> tuple[Dossier, Firm | None, bool]:
    """Create or update a dossier. Returns it, its firm, and whether it was created."""
    for _attempt in range(_RETRIES):
        before = services.config.get_dossier(dossier_id)
        if before is not None:
            if not principal.reaches(before.firm_id):
                raise Forbidden(f"Cette clé d'API ne donne pas accès au dossier « {dossier_id} ».")
            if change.firm_id is not None and change.firm_id != before.firm_id:
                raise Conflict(
                    f"Le dossier « {dossier_id} » appartient au cabinet « {before.firm_id} » : "
                    "il ne peut pas être rattaché à un autre cabinet."
                )
            base = before
        else:
            base = _new_dossier(services, principal, dossier_id, change)
        after = _apply(services, base, change)
        # Validation is over: now the secrets, then the metadata that says they exist.
        now = services.clock()
        if change.myunisoft_societe_token is not None:
            _token(
                services,
                "dossier",
                dossier_id,
                change.myunisoft_societe_token.get_secret_value(),
                "myunisoft_societe_token",
            )
            after = after.model_copy(update={"has_societe_token": True})
        if change.payroll is not None:
            info = _payroll(
                services, level="dossier", owner_id=dossier_id, given=change.payroll, field="payroll", now=now
            )
            after = after.model_copy(update={"payroll_override": info})
        if before is None:
            services.config.put_dossier(after)
        elif not services.config.update_dossier(before, after):
            continue
        logger.info(
            "dossier saved",
            extra={
                "dossier_id": dossier_id,
                "firm_id": after.firm_id,
                "dossier_created": before is None,
                "payroll_override_saved": change.payroll is not None,
                "societe_token_saved": change.myunisoft_societe_token is not None,
            },
        )
        return after, services.config.get_firm(after.firm_id), before is None
    raise Conflict(f"Le dossier « {dossier_id} » a été modifié en même temps : réessayez.")


def delete_dossier_payroll(services: Services, principal: Principal, dossier_id: str) -> Dossier:
    """Remove the dossier-level payroll credentials: the firm's apply again (the seed's remedy)."""
    for _attempt in range(_RETRIES):
        before = get_dossier(services, principal, dossier_id)
        services.secrets.delete("dossier", dossier_id, "payroll")
        after = before.model_copy(update={"payroll_override": None, "updated_at": services.clock()})
        if services.config.update_dossier(before, after):
            logger.info("dossier-level payroll credentials deleted", extra={"dossier_id": dossier_id})
            return after
    raise Conflict(f"Le dossier « {dossier_id} » a été modifié en même temps : réessayez.")
