"""Firm and dossier settings: secrets to Secrets Manager, metadata (never a secret) to DynamoDB.

One module on purpose (~450 lines): the firm and dossier saves follow the same checked, ordered and undoable steps, read best side by side.

Every function takes the caller (``Principal``): a firm's credential reaches its own firm and its
dossiers only, and anything else is answered as missing (404), so that it cannot tell which ids
exist; creating a firm is for operators.

A save is all or nothing. The whole request is checked first (access, what a creation requires,
dates and periods against today); only then are the stores written, secrets before the metadata
that says they exist, and when a write fails the earlier ones are undone (``usecases/writes.py``). A
creation is conditional (an id taken meanwhile: 409, nothing kept); an update sets the fields the
request carries and nothing else, so a concurrent save of other fields and what the worker records
meanwhile (last run, pending period, a learned secret expiry) are kept. A save that writes secrets
holds its firm or dossier meanwhile (``storage/config_table.py``: a concurrent save is a 409), so a
secret and the metadata describing it always come from the same save.

A process killed between two writes undoes nothing; the order of the writes keeps what it leaves
coherent: a creation's id is held, in no index and without its secrets, until they are written;
an update's secrets are written before the metadata (for a moment, and after such a crash, the new
secret is in force with the former metadata, until the next save); a hold lapses after a minute.

One module on purpose: firms and dossiers share their inputs, their access rule and the order of
their writes, which is the point of this module and reads best in one place.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, SecretStr

from paysync.domain.access import Principal
from paysync.domain.models import Dossier, Firm, PayrollCredentialsInfo, mask
from paysync.domain.periods import Period, last_closed_period
from paysync.observability import logger
from paysync.storage.config_table import DUE_INPUTS, Busy, Lease
from paysync.storage.secrets import PayrollSecret
from paysync.usecases.errors import Conflict, Forbidden, InvalidInput, NotFound
from paysync.usecases.services import Services
from paysync.usecases.writes import SecretWrite, holding, secret_writes

_RETRIES = 3  # a dossier's pending period moved while it was being saved: read again


# -- inputs: what the caller asks to change; None is "unchanged" ----------------------------------
class _Change(BaseModel):
    # from_attributes: the HTTP layer converts its request bodies with ``model_validate(body)``.
    # Built at a change's first validation: the requests that read settings never build these.
    model_config = ConfigDict(frozen=True, from_attributes=True, defer_build=True)


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
    watch_days: int | None = None
    watch_interval_days: int | None = None
    auto_replace_corrections: bool | None = None
    contact_emails: list[str] | None = None
    pending_period: str | None = None  # AAAA-MM; on creation, the last closed month by default
    myunisoft_societe_token: SecretStr | None = None
    payroll: PayrollCredentials | None = None


def local_today(services: Services) -> date:
    """Today in the firms' calendar (Europe/Paris): periods and due dates are counted there."""
    return services.clock().astimezone(ZoneInfo(services.settings.timezone)).date()


# -- access --------------------------------------------------------------------------------------------
def check_firm_access(principal: Principal, firm_id: str) -> None:
    """A firm the credential does not reach is answered as a missing one."""
    if not principal.reaches(firm_id):
        raise NotFound(_missing_firm(firm_id))


def require_admin(principal: Principal) -> None:
    if not principal.is_admin:
        raise Forbidden("Cette opération est réservée aux clés d'API d'administration.")


def _missing_firm(firm_id: str) -> str:
    return f"Le cabinet « {firm_id} » n'existe pas."


def _missing_dossier(dossier_id: str) -> str:
    return f"Le dossier « {dossier_id} » n'existe pas."


def get_firm(services: Services, principal: Principal, firm_id: str) -> Firm:
    check_firm_access(principal, firm_id)
    firm = services.config.get_firm(firm_id)
    if firm is None:
        raise NotFound(_missing_firm(firm_id))
    return firm


def get_dossier(services: Services, principal: Principal, dossier_id: str) -> Dossier:
    """The dossier, if it exists and the caller reaches its firm (404 otherwise, alike)."""
    dossier = services.config.get_dossier(dossier_id)
    if dossier is None or not principal.reaches(dossier.firm_id):
        raise NotFound(_missing_dossier(dossier_id))
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


# -- values checked before anything is written ------------------------------------------------------
def _payroll_info(
    given: PayrollCredentials, field: str, today: date, now: datetime
) -> PayrollCredentialsInfo:
    """The metadata of credentials to store, once their dates are checked against today."""
    if given.secret_generated_on > today:
        raise InvalidInput(
            f"{field}.secret_generated_on",
            "La date de génération du Client secret ne peut pas être dans le futur.",
        )
    # New credentials: any expiry learned from Silae was the old secret's.
    return PayrollCredentialsInfo(
        client_id_masked=mask(given.client_id), secret_generated_on=given.secret_generated_on, updated_at=now
    )


def _emails(given: list[str]) -> list[str]:
    return list(dict.fromkeys(e.lower() for e in given))


# -- firms --------------------------------------------------------------------------------------------
def save_firm(
    services: Services, principal: Principal, firm_id: str, change: FirmChange
) -> tuple[Firm, bool]:
    """Create (operators only) or update a firm. Returns the firm as stored and whether it was created."""
    check_firm_access(principal, firm_id)
    now = services.clock()
    values: dict[str, Any] = {"updated_at": now}
    if change.name is not None:
        values["name"] = change.name
    if change.contact_emails is not None:
        values["contact_emails"] = _emails(change.contact_emails)
    if change.payroll is not None:
        values["payroll"] = _payroll_info(change.payroll, "payroll", local_today(services), now)
    if change.myunisoft_cabinet_token is not None:
        values["has_cabinet_token"] = True
    secrets = secret_writes(
        services, "firm", firm_id, _secret(change.payroll), _token(change.myunisoft_cabinet_token)
    )
    existing = services.config.get_firm(firm_id)
    if existing is None:
        require_admin(principal)
        if change.name is None:
            raise InvalidInput("name", "Le nom du cabinet est obligatoire à sa création.")
    lease = Lease.taken(now) if secrets else None
    try:
        if existing is None:
            firm = _create_firm(services, Firm(firm_id=firm_id, created_at=now, **values), secrets, lease)
        else:
            firm = _update_firm(services, existing.model_copy(update=values), values, secrets, lease)
    except Busy:
        raise _busy("Le cabinet", firm_id) from None
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


def _create_firm(services: Services, firm: Firm, secrets: list[SecretWrite], lease: Lease | None) -> Firm:
    """The id first, held (and in no index), so that no secret is written under an id someone else
    holds; then the secrets; then the metadata that says they exist."""
    config, now = services.config, firm.updated_at
    held = firm.model_copy(update={"payroll": None, "has_cabinet_token": False}) if lease else firm
    if not config.create_firm(held, lease=lease):
        raise Conflict(f"Le cabinet « {firm.firm_id} » existe déjà : rien n'a été enregistré.")
    if lease is None:
        return firm
    with holding(services, "firm", firm.firm_id, lease, created=True) as writes:
        for write in secrets:
            writes.secret(write)
        stored = config.update_firm(firm, ("payroll", "has_cabinet_token"), now=now, lease=lease)
        if stored is None:
            raise _changed("Le cabinet", firm.firm_id)
    return stored


def _update_firm(
    services: Services, after: Firm, values: dict[str, Any], secrets: list[SecretWrite], lease: Lease | None
) -> Firm:
    config, now = services.config, after.updated_at
    if lease is not None and not config.take_lease("firm", after.firm_id, lease, now):
        raise NotFound(_missing_firm(after.firm_id))
    with holding(services, "firm", after.firm_id, lease, created=False) as writes:
        for write in secrets:
            writes.secret(write)
        stored = config.update_firm(after, values, now=now, lease=lease)
        if stored is None:
            raise _changed("Le cabinet", after.firm_id)
    return stored


def _secret(given: PayrollCredentials | None) -> PayrollSecret | None:
    if given is None:
        return None
    return PayrollSecret(
        given.client_id, given.client_secret.get_secret_value(), given.subscription_key.get_secret_value()
    )


def _token(given: SecretStr | None) -> str | None:
    return given.get_secret_value() if given is not None else None


def _changed(label: str, owner_id: str) -> Conflict:
    return Conflict(f"{label} « {owner_id} » a été modifié entre-temps : rien n'a été enregistré, réessayez.")


def _busy(label: str, owner_id: str) -> Conflict:
    return Conflict(
        f"{label} « {owner_id} » est en cours d'enregistrement par une autre requête : rien n'a été "
        "enregistré, réessayez dans un instant."
    )


# -- dossiers -----------------------------------------------------------------------------------------
def _dossier_values(services: Services, change: DossierChange, today: date, now: datetime) -> dict[str, Any]:
    """The dossier fields the change sets (secrets apart), checked against today."""
    values: dict[str, Any] = {"updated_at": now}
    for name in (
        "name",
        "society_id",
        "payroll_dossier_number",
        "auto_pull",
        "run_day",
        "auto_create_accounts",
        "watch_days",
        "watch_interval_days",
        "auto_replace_corrections",
    ):
        value = getattr(change, name)
        if value is not None:
            values[name] = value
    if change.contact_emails is not None:
        values["contact_emails"] = _emails(change.contact_emails)
    if change.pending_period is not None:
        period = Period.parse(change.pending_period)
        if period > Period.of(today):
            raise InvalidInput("pending_period", f"La période {change.pending_period} est dans le futur.")
        values["pending_period"] = str(period)
    if change.myunisoft_societe_token is not None:
        values["has_societe_token"] = True
    if change.payroll is not None:
        values["payroll_override"] = _payroll_info(change.payroll, "payroll", today, now)
    return values


def save_dossier(
    services: Services, principal: Principal, dossier_id: str, change: DossierChange
) -> tuple[Dossier, Firm | None, bool]:
    """Create or update a dossier. Returns it as stored, its firm, and whether it was created."""
    current = services.config.get_dossier(dossier_id)
    dossier = write_dossier(services, principal, dossier_id, change, current)
    return dossier, services.config.get_firm(dossier.firm_id), current is None


def changes_nothing(services: Services, current: Dossier, change: DossierChange) -> bool:
    """Whether saving ``change`` would leave ``current`` as it is, so that a repeated request writes
    nothing. A secret given is always written."""
    if change.firm_id not in (None, current.firm_id):
        return False
    values = _dossier_values(services, change, local_today(services), services.clock())
    del values["updated_at"]
    if {"payroll_override", "has_societe_token"} & values.keys():
        return False
    return all(getattr(current, name) == value for name, value in values.items())


def write_dossier(
    services: Services, principal: Principal, dossier_id: str, change: DossierChange, current: Dossier | None
) -> Dossier:
    """Create (``current`` None) or update the dossier as ``current`` was just read: the save of
    ``save_dossier``, for a caller that has read the dossier already. Returns it as stored."""
    today, now = local_today(services), services.clock()
    values = _dossier_values(services, change, today, now)
    secrets = secret_writes(
        services, "dossier", dossier_id, _secret(change.payroll), _token(change.myunisoft_societe_token)
    )
    if current is None:
        new = _new_dossier(services, principal, dossier_id, change, values=values, today=today)
    elif not principal.reaches(current.firm_id):
        # A PUT creates what does not exist: an id another firm holds cannot be created again.
        raise _taken(dossier_id)
    elif change.firm_id is not None and change.firm_id != current.firm_id:
        raise Conflict(
            f"Le dossier « {dossier_id} » appartient au cabinet « {current.firm_id} » : "
            "il ne peut pas être rattaché à un autre cabinet."
        )
    lease = Lease.taken(now) if secrets else None
    try:
        if current is None:
            dossier = _create_dossier(services, new, secrets, lease)
        else:
            dossier = _update_dossier(services, current, values, secrets, lease)
    except Busy:
        raise _busy("Le dossier", dossier_id) from None
    logger.info(
        "dossier saved",
        extra={
            "dossier_id": dossier_id,
            "firm_id": dossier.firm_id,
            "dossier_created": current is None,
            "payroll_override_saved": change.payroll is not None,
            "societe_token_saved": change.myunisoft_societe_token is not None,
        },
    )
    return dossier


def _taken(dossier_id: str) -> Conflict:
    return Conflict(f"Le dossier « {dossier_id} » existe déjà : rien n'a été enregistré.")


def _new_dossier(
    services: Services,
    principal: Principal,
    dossier_id: str,
    change: DossierChange,
    *,
    values: dict[str, Any],
    today: date,
) -> Dossier:
    firm_id = change.firm_id or principal.firm_id
    if firm_id is None:
        raise InvalidInput("firm_id", "Le cabinet du dossier (firm_id) est obligatoire à sa création.")
    if not principal.reaches(firm_id) or services.config.get_firm(firm_id) is None:
        raise InvalidInput("firm_id", _missing_firm(firm_id))
    if change.name is None:
        raise InvalidInput("name", "Le nom du dossier est obligatoire à sa création.")
    defaults = {"pending_period": str(last_closed_period(today)), "created_at": values["updated_at"]}
    return Dossier(dossier_id=dossier_id, firm_id=firm_id, **{**defaults, **values})


def _create_dossier(
    services: Services, dossier: Dossier, secrets: list[SecretWrite], lease: Lease | None
) -> Dossier:
    """As for a firm: the id, held and in no index; the secrets; then the metadata that says they
    exist, and the due date."""
    now = dossier.updated_at
    held = (
        dossier.model_copy(update={"has_societe_token": False, "payroll_override": None})
        if lease
        else dossier
    )
    if not services.config.create_dossier(held, lease=lease):
        raise _taken(dossier.dossier_id)
    if lease is None:
        return dossier
    with holding(services, "dossier", dossier.dossier_id, lease, created=True) as writes:
        for write in secrets:
            writes.secret(write)
        published = ("has_societe_token", "payroll_override", *DUE_INPUTS)
        stored = services.config.update_dossier(held, dossier, published, now=now, lease=lease)
        if stored is None:
            raise _changed("Le dossier", dossier.dossier_id)
    return stored


def _update_dossier(
    services: Services,
    current: Dossier,
    values: dict[str, Any],
    secrets: list[SecretWrite],
    lease: Lease | None,
) -> Dossier:
    dossier_id, now = current.dossier_id, values["updated_at"]
    if lease is not None and not services.config.take_lease("dossier", dossier_id, lease, now):
        raise NotFound(_missing_dossier(dossier_id))
    with holding(services, "dossier", dossier_id, lease, created=False) as writes:
        for write in secrets:
            writes.secret(write)
        read: Dossier | None = current
        for _attempt in range(_RETRIES):
            if read is None:
                raise NotFound(_missing_dossier(dossier_id))
            stored = services.config.update_dossier(
                read, read.model_copy(update=values), values, now=now, lease=lease
            )
            if stored is not None:
                return stored
            # The worker moved the pending period (or another save the run day) meanwhile.
            read = services.config.get_dossier(dossier_id)
        raise _changed("Le dossier", dossier_id)


def delete_dossier_payroll(services: Services, principal: Principal, dossier_id: str) -> Dossier:
    """Remove the dossier-level payroll credentials: the firm's apply again (the seed's remedy).

    Held like a save: the metadata first, then the secret (a deletion cannot be undone), and if the
    secret cannot be deleted, the metadata is put back."""
    current = get_dossier(services, principal, dossier_id)
    now = services.clock()
    cleared = current.model_copy(update={"payroll_override": None, "updated_at": now})
    config, lease = services.config, Lease.taken(now)
    try:
        if not config.take_lease("dossier", dossier_id, lease, now):
            raise NotFound(_missing_dossier(dossier_id))
        with holding(services, "dossier", dossier_id, lease, created=False) as writes:
            field = ("payroll_override",)
            stored = config.update_dossier(current, cleared, field, now=now, lease=lease, keep_lease=True)
            if stored is None:
                raise _changed("Le dossier", dossier_id)
            writes.undo_with(
                "payroll override",
                lambda: config.update_dossier(stored, current, field, now=now, lease=lease, keep_lease=True),
            )
            services.secrets.delete("dossier", dossier_id, "payroll")
    except Busy:
        raise _busy("Le dossier", dossier_id) from None
    try:
        config.release("dossier", dossier_id, lease, created=False)
    except Exception:  # everything is done: the hold lapses by itself
        logger.exception("a hold could not be given up", extra={"dossier_id": dossier_id})
    logger.info("dossier-level payroll credentials deleted", extra={"dossier_id": dossier_id})
    return stored
