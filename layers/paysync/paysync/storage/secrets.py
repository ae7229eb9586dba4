"""Every credential lives in Secrets Manager; reads go through Powertools Parameters with a TTL.

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
from dataclasses import dataclass, field
from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from paysync.errors import TransientError
from paysync.storage.aws import secretsmanager

Level = Literal["firm", "dossier"]

# Secrets Manager's answers that waiting cures (throttled, or the service failing).
_TRANSIENT_CODES = frozenset(
    {"ThrottlingException", "InternalServiceError", "ServiceUnavailable", "RequestLimitExceeded"}
)


class SecretUnavailableError(TransientError):
    """Secrets Manager could not be reached or failed for now: the run is retried."""


@dataclass(frozen=True)
class SecretWritten:
    """What one write did: the version it made current, and whether it created the secret."""

    name: str
    version_id: str
    created: bool


@dataclass(frozen=True)
class PayrollSecret:
    client_id: str
    client_secret: str = field(repr=False)
    subscription_key: str = field(repr=False)


class SecretStore:
    def __init__(self, prefix: str, partner_secret_name: str, max_age_seconds: int = 300) -> None:
        from aws_lambda_powertools.utilities.parameters import SecretsProvider

        self._prefix = prefix.rstrip("/")
        self._partner_name = partner_secret_name
        self._max_age = max_age_seconds
        self._provider = SecretsProvider(boto3_client=secretsmanager())

    def name(self, level: Level, owner_id: str, kind: Literal["payroll", "myunisoft"]) -> str:
        return f"{self._prefix}/{'firms' if level == 'firm' else 'dossiers'}/{owner_id}/{kind}"

    def _read(self, name: str) -> dict[str, Any] | None:
        from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

        try:
            value = self._provider.get(name, transform="json", max_age=self._max_age)
        except GetParameterError as error:
            cause = error.__cause__ or error.__context__
            code = cause.response["Error"]["Code"] if isinstance(cause, ClientError) else None
            if code == "ResourceNotFoundException":
                return None
            # Never repeat the provider's text: keep the name, which is not secret.
            if isinstance(cause, BotoCoreError) or code in _TRANSIENT_CODES:
                raise SecretUnavailableError(f"secret {name} could not be read for now ({code})") from None
            raise RuntimeError(f"secret {name} could not be read") from None
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
                    answer = client.put_secret_value(SecretId=name, SecretString=payload)
                    return SecretWritten(name, answer["VersionId"], created=False)
                except ClientError as error:
                    if error.response["Error"]["Code"] != "ResourceNotFoundException":
                        raise
                try:
                    created = client.create_secret(Name=name, SecretString=payload)
                    return SecretWritten(name, created["VersionId"], created=True)
                except ClientError as error:
                    # Created meanwhile by a concurrent write: put this value over it.
                    if error.response["Error"]["Code"] != "ResourceExistsException":
                        raise
            raise RuntimeError(f"secret {name} could not be written")
        except ClientError:
            # Never repeat the service's text: keep the name, which is not secret.
            raise RuntimeError(f"secret {name} could not be written") from None
        finally:
            self._provider.clear_cache()  # type: ignore[no-untyped-call]

    def undo(self, written: SecretWritten) -> None:
        """Put back what ``written`` replaced, unless someone wrote the secret since."""
        client = secretsmanager()
        try:
            stages = client.describe_secret(SecretId=written.name).get("VersionIdsToStages", {})
        except ClientError as error:
            if error.response["Error"]["Code"] == "ResourceNotFoundException":
                return
            raise RuntimeError(f"secret {written.name} could not be restored") from None
        if "AWSCURRENT" not in stages.get(written.version_id, []):
            return  # a later write is current: it stays
        try:
            if written.created:
                client.delete_secret(SecretId=written.name, ForceDeleteWithoutRecovery=True)
            else:
                previous = next((v for v, s in stages.items() if "AWSPREVIOUS" in s), None)
                if previous is None:
                    raise RuntimeError(f"secret {written.name} has no previous version to restore")
                client.update_secret_version_stage(
                    SecretId=written.name,
                    VersionStage="AWSCURRENT",
                    MoveToVersionId=previous,
                    RemoveFromVersionId=written.version_id,
                )
        except ClientError:
            raise RuntimeError(f"secret {written.name} could not be restored") from None
        finally:
            self._provider.clear_cache()  # type: ignore[no-untyped-call]

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
            secretsmanager().delete_secret(
                SecretId=self.name(level, owner_id, kind), ForceDeleteWithoutRecovery=True
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ResourceNotFoundException":
                raise
        self._provider.clear_cache()  # type: ignore[no-untyped-call]
