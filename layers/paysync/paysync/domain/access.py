"""Who calls the API, and what an API credential looks like. Pure: no I/O.

An API credential is ``psk_<key_id>_<secret>``. paysync keeps only its SHA-256 (the secret part
is 256 random bits, so a plain hash is enough: nothing to brute-force) under ``APIKEY#<key_id>``;
the key id is public (shown in listings, used to revoke), the whole key is shown once, at issue.
A credential belongs either to one firm (it reaches that firm and its dossiers only) or to the
operators (``admin``: every firm, firm creation, credentials).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict

Scope = Literal["admin", "firm"]

KEY_PREFIX = "psk"
_KEY = re.compile(r"^psk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$")
# A string that can never be a firm id (ids start with [a-z0-9]): the owner of admin credentials.
ADMIN_OWNER = "_admin"


class Principal(NamedTuple):  # not a dataclass: cheaper to define at a cold start
    """The caller, as the authorizer established it."""

    scope: Scope
    key_id: str
    firm_id: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.scope == "admin"

    def reaches(self, firm_id: str) -> bool:
        """An admin reaches every firm; a firm's credential reaches its own firm only."""
        return self.is_admin or (self.firm_id is not None and hmac.compare_digest(self.firm_id, firm_id))


class ApiKeyRecord(BaseModel):
    """What is stored about a credential: never the key itself."""

    model_config = ConfigDict(defer_build=True)  # the authorizer and the admin routes only read it

    key_id: str
    key_hash: str
    scope: Scope
    firm_id: str | None = None
    label: str = ""
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def principal(self) -> Principal:
        return Principal(scope=self.scope, key_id=self.key_id, firm_id=self.firm_id)


@dataclass(frozen=True)
class NewKey:
    """A credential just issued: the whole key is given once, only its digest is kept."""

    key_id: str
    plaintext: str  # shown once to whoever asked for it, never stored

    @property
    def digest(self) -> str:
        return key_digest(self.plaintext)


def new_key() -> NewKey:
    key_id = secrets.token_hex(8)
    return NewKey(key_id=key_id, plaintext=f"{KEY_PREFIX}_{key_id}_{secrets.token_urlsafe(32)}")


def key_digest(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def key_id_of(plaintext: str) -> str | None:
    """The key id of a well-formed credential, else None (nothing is looked up for garbage)."""
    match = _KEY.match(plaintext)
    return match.group(1) if match else None


def bearer_credential(header: str | None) -> str | None:
    """``Authorization: Bearer psk_…`` (the scheme is case-insensitive; a bare key is accepted too)."""
    if not header:
        return None
    value = header.strip()
    scheme, _, rest = value.partition(" ")
    if rest and scheme.lower() == "bearer":
        value = rest.strip()
    return value or None


def verify(plaintext: str, record: ApiKeyRecord | None) -> Principal | None:
    """The principal of a presented credential, or None: unknown, revoked or not matching."""
    if record is None or not record.active:
        return None
    if not hmac.compare_digest(key_digest(plaintext), record.key_hash):
        return None
    if record.scope == "firm" and not record.firm_id:
        return None
    return record.principal()
