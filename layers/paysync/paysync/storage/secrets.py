"""Every credential lives in Secrets Manager; reads are kept for a TTL (``SECRETS_CACHE_SECONDS``).

Names (under the configurable prefix):
- ``<prefix>/firms/<firm_id>/payroll`` and ``<prefix>/dossiers/<dossier_id>/payroll``:
  ``{"client_id", "client_secret", "subscription_key"}``
- ``<prefix>/firms/<firm_id>/myunisoft`` (cabinet token) and ``<prefix>/dossiers/<id>/myunisoft``
  (société token): ``{"token"}``
- the partner's ``X-Third-Party-Secret`` at ``PARTNER_SECRET_NAME``: ``{"third_party_secret"}``

A write can be undone without reading any value back (the settings never read a secret): it
answers the version it made current, and :meth:`SecretStore.undo` moves ``AWSCURRENT`` back to the
version that write displaced (Secrets Manager labels it ``AWSPREVIOUS``), or deletes a secret the
write created. A later write by someone else is never undone.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from paysync.aws.errors import AwsServiceError, AwsUnreachableError
from paysync.aws.services import secretsmanager
from paysync.errors import TransientError

Level = Literal["firm", "dossier"]

# Secrets Manager's answers that waiting cures (throttled, or the service failing).
_TRANSIENT_CODES = frozenset(
    {"ThrottlingException", "InternalServiceError", "ServiceUnavailable", "RequestLimitExceeded"}
)


class SecretUnavailableError(TransientError):
    """Secrets Manager could not be reached or failed for now: the run is retried."""


class SecretWritten(NamedTuple):  # not a dataclass: cheaper to define at a cold start
    """What one write did: the version it made current, and whether it created the secret."""

    name: str
    version_id: str
    created: bool


@dataclass(frozen=True)
class PayrollSecret:
    """The Silae credentials kept in a firm's or a dossier's ``payroll`` secret."""

    client_id: str
    client_secret: str = field(repr=False)
    subscription_key: str = field(repr=False)


class SecretStore:
    def __init__(self, prefix: str, partner_secret_name: str, max_age_seconds: int = 300) -> None:
        self._prefix = prefix.rstrip("/")
        self._partner_name = partner_secret_name
        self._max_age = max_age_seconds
        # name -> (read at, value): a warm container reads each secret once per max_age; a missing
        # secret is read again each time, so one saved meanwhile is seen at once
        self._kept: dict[str, tuple[float, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def _forget(self) -> None:
        with self._lock:
            self._kept.clear()

    def name(self, level: Level, owner_id: str, kind: Literal["payroll", "myunisoft"]) -> str:
        return f"{self._prefix}/{'firms' if level == 'firm' else 'dossiers'}/{owner_id}/{kind}"

    def _read(self, name: str) -> dict[str, Any] | None:
        now = time.monotonic()
        with self._lock:
            kept = self._kept.get(name)
        if kept is not None and now - kept[0] < self._max_age:
            return kept[1]
        value = self._fetch(name)
        if value is not None and self._max_age > 0:
            with self._lock:
                self._kept[name] = (now, value)
        return value

    def _fetch(self, name: str) -> dict[str, Any] | None:
        try:
            answer = secretsmanager().call("GetSecretValue", {"SecretId": name})
        except AwsServiceError as error:
            if error.code == "ResourceNotFoundException":
                return None
            # Never repeat the service's text: keep the name, which is not secret.
            if error.code in _TRANSIENT_CODES or error.status >= 500:
                raise SecretUnavailableError(
                    f"secret {name} could not be read for now ({error.code})"
                ) from None
            raise RuntimeError(f"secret {name} could not be read ({error.code})") from None
        except AwsUnreachableError:
            raise SecretUnavailableError(f"secret {name} could not be read for now (unreachable)") from None
        try:
            value = json.loads(answer.get("SecretString") or "null")
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    def payroll(self, level: Level, owner_id: str) -> PayrollSecret | None:
        data = self._read(self.name(level, owner_id, "payroll"))
        if not data or not all(data.get(k) for k in ("client_id", "client_secret", "subscription_key")):
            return None
        return PayrollSecret(
            str(data["client_id"]), str(data["client_secret"]), str(data["subscription_key"])
        )

    def myunisoft_token(self, level: Level, owner_id: str) -> str | None:
        data = self._read(self.name(level, owner_id, "myunisoft"))
        token = (data or {}).get("token")
        return str(token) if token else None

    def partner_secret(self) -> str | None:
        data = self._read(self._partner_name)
        value = (data or {}).get("third_party_secret")
        return str(value) if value else None

    # -- writes (settings) -----------------------------------------------------------------------
    def _write(self, name: str, value: dict[str, str]) -> SecretWritten:
        payload = json.dumps(value)
        client = secretsmanager()
        try:
            for _attempt in range(3):
                try:
                    answer = client.call("PutSecretValue", {"SecretId": name, "SecretString": payload})
                    return SecretWritten(name, answer["VersionId"], created=False)
                except AwsServiceError as error:
                    if error.code != "ResourceNotFoundException":
                        raise
                try:
                    created = client.call("CreateSecret", {"Name": name, "SecretString": payload})
                    return SecretWritten(name, created["VersionId"], created=True)
                except AwsServiceError as error:
                    # Created meanwhile by a concurrent write: put this value over it.
                    if error.code != "ResourceExistsException":
                        raise
            raise RuntimeError(f"secret {name} could not be written")
        except (AwsServiceError, AwsUnreachableError):
            # Never repeat the service's text: keep the name, which is not secret.
            raise RuntimeError(f"secret {name} could not be written") from None
        finally:
            self._forget()

    def undo(self, written: SecretWritten) -> None:
        """Put back what ``written`` replaced, unless someone wrote the secret since."""
        client = secretsmanager()
        try:
            stages = client.call("DescribeSecret", {"SecretId": written.name}).get("VersionIdsToStages", {})
        except AwsServiceError as error:
            if error.code == "ResourceNotFoundException":
                return
            raise RuntimeError(f"secret {written.name} could not be restored") from None
        except AwsUnreachableError:
            raise RuntimeError(f"secret {written.name} could not be restored") from None
        if "AWSCURRENT" not in stages.get(written.version_id, []):
            return  # a later write is current: it stays
        try:
            if written.created:
                client.call("DeleteSecret", {"SecretId": written.name, "ForceDeleteWithoutRecovery": True})
            else:
                previous = next((v for v, s in stages.items() if "AWSPREVIOUS" in s), None)
                if previous is None:
                    raise RuntimeError(f"secret {written.name} has no previous version to restore")
                client.call(
                    "UpdateSecretVersionStage",
                    {
                        "SecretId": written.name,
                        "VersionStage": "AWSCURRENT",
                        "MoveToVersionId": previous,
                        "RemoveFromVersionId": written.version_id,
                    },
                )
        except (AwsServiceError, AwsUnreachableError):
            raise RuntimeError(f"secret {written.name} could not be restored") from None
        finally:
            self._forget()

    def put_payroll(self, level: Level, owner_id: str, secret: PayrollSecret) -> SecretWritten:
        return self._write(
            self.name(level, owner_id, "payroll"),
            {
                "client_id": secret.client_id,
                "client_secret": secret.client_secret,
                "subscription_key": secret.subscription_key,
            },
        )

    def put_myunisoft_token(self, level: Level, owner_id: str, token: str) -> SecretWritten:
        return self._write(self.name(level, owner_id, "myunisoft"), {"token": token})

    def put_partner_secret(self, value: str) -> None:
        self._write(self._partner_name, {"third_party_secret": value})

    def delete(self, level: Level, owner_id: str, kind: Literal["payroll", "myunisoft"]) -> None:
        try:
            secretsmanager().call(
                "DeleteSecret",
                {"SecretId": self.name(level, owner_id, kind), "ForceDeleteWithoutRecovery": True},
            )
        except AwsServiceError as error:
            if error.code != "ResourceNotFoundException":
                raise
        self._forget()
