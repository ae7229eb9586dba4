"""Issue, list and revoke API credentials (operators only, or the operator command)."""

from __future__ import annotations

from datetime import datetime

from paysync.domain.access import ApiKeyRecord, NewKey, Principal, Scope, new_key
from paysync.observability import logger
from paysync.storage.apikeys import ApiKeyRepository, Revocation
from paysync.storage.config_table import ConfigRepository
from paysync.usecases.errors import Conflict, InvalidInput, NotFound
from paysync.usecases.settings import require_admin


def issue(
    keys: ApiKeyRepository,
    config: ConfigRepository,
    *,
    scope: Scope,
    firm_id: str | None,
    label: str,
    now: datetime,
) -> tuple[ApiKeyRecord, NewKey]:
    """A new credential; its plaintext is returned once and never stored."""
    if scope == "firm":
        if not firm_id:
            raise InvalidInput("firm_id", "Une clé d'API de cabinet doit désigner son cabinet (firm_id).")
        if config.get_firm(firm_id) is None:
            raise InvalidInput("firm_id", f"Le cabinet « {firm_id} » n'existe pas.")
    elif firm_id:
        raise InvalidInput("firm_id", "Une clé d'API d'administration n'est rattachée à aucun cabinet.")
    key = new_key()
    record = ApiKeyRecord(
        key_id=key.key_id,
        key_hash=key.digest,
        scope=scope,
        firm_id=firm_id if scope == "firm" else None,
        label=label,
        created_at=now,
    )
    keys.create(record)
    logger.info("api key issued", extra={"key_id": key.key_id, "scope": scope, "firm_id": record.firm_id})
    return record, key


def issue_for(
    principal: Principal,
    keys: ApiKeyRepository,
    config: ConfigRepository,
    *,
    scope: Scope,
    firm_id: str | None,
    label: str,
    now: datetime,
) -> tuple[ApiKeyRecord, NewKey]:
    require_admin(principal)
    return issue(keys, config, scope=scope, firm_id=firm_id, label=label, now=now)


def list_keys(principal: Principal, keys: ApiKeyRepository, firm_id: str | None) -> list[ApiKeyRecord]:
    require_admin(principal)
    return keys.list_for(firm_id)


def revoke(principal: Principal, keys: ApiKeyRepository, key_id: str, now: datetime) -> None:
    """Revoke a credential; the last active operator credential is kept (an operator may revoke
    its own while another one is active), so that the API is never left without one."""
    require_admin(principal)
    outcome = keys.revoke_keeping_an_operator(key_id, now)
    if outcome is Revocation.NOT_FOUND:
        raise NotFound(f"La clé d'API « {key_id} » n'existe pas.")
    if outcome is Revocation.LAST_OPERATOR:
        raise Conflict(
            f"La clé d'API « {key_id} » est la dernière clé d'administration active : émettez-en "
            "une autre avant de la révoquer."
        )
    if outcome is Revocation.BUSY:
        raise Conflict("Les clés d'administration ont été modifiées entre-temps : réessayez.")
    logger.info("api key revoked", extra={"key_id": key_id, "by": principal.key_id})
