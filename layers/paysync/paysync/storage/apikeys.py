"""API credentials in ConfigTable: ``APIKEY#<key_id>`` items holding a SHA-256, never the key.

Items carry ``firm_id`` (``_admin`` for operator credentials), so ``FirmIndex`` lists a firm's
credentials with a query (``pk`` begins with ``APIKEY#``), as it lists its dossiers.

An operator credential is revoked only while another one stays active: the revocation and a check
that another operator credential is still active are one transaction, so two operators revoking
each other's credentials at once cannot both succeed (the index they list from may lag; the check,
on the item itself, does not).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from paysync.aws.conditions import Attr, Key
from paysync.aws.errors import AwsServiceError
from paysync.aws.services import dynamodb
from paysync.domain.access import ADMIN_OWNER, ApiKeyRecord
from paysync.storage.dynamo import conditional_check_failed, query_items, transaction_canceled

if TYPE_CHECKING:
    from paysync.aws.dynamodb import Table

PREFIX = "APIKEY#"


class Revocation(StrEnum):
    REVOKED = "revoked"  # now, or already before
    NOT_FOUND = "not_found"
    LAST_OPERATOR = "last_operator"  # the only active operator credential: kept
    BUSY = "busy"  # operator credentials kept changing meanwhile: try again


_ACTIVE = "attribute_exists(pk) AND attribute_not_exists(revoked_at)"


def _record(item: dict[str, Any]) -> ApiKeyRecord:
    data = dict(item)
    if data.get("firm_id") == ADMIN_OWNER:
        data["firm_id"] = None
    return ApiKeyRecord.model_validate(data)


class ApiKeyRepository:
    def __init__(self, table_name: str) -> None:
        self._table: Table = dynamodb().Table(table_name)

    def get(self, key_id: str) -> ApiKeyRecord | None:
        item = self._table.get_item(Key={"pk": f"{PREFIX}{key_id}"}, ConsistentRead=True).get("Item")
        return _record(item) if item else None

    def create(self, record: ApiKeyRecord) -> None:
        item = {
            "pk": f"{PREFIX}{record.key_id}",
            "entity": "apikey",
            **record.model_dump(mode="json", exclude_none=True),
            "firm_id": record.firm_id or ADMIN_OWNER,
        }
        self._table.put_item(Item=item, ConditionExpression=Attr("pk").not_exists())

    def list_for(self, firm_id: str | None) -> list[ApiKeyRecord]:
        """A firm's credentials, or the operators' (``firm_id`` None)."""
        owner = firm_id or ADMIN_OWNER
        items = query_items(
            self._table,
            IndexName="FirmIndex",
            KeyConditionExpression=Key("firm_id").eq(owner) & Key("pk").begins_with(PREFIX),
        )
        return sorted((_record(item) for item in items), key=lambda r: r.created_at)

    def revoke(self, key_id: str, now: datetime) -> bool:
        """Revoke a credential (kept for the record). False when there is no such credential."""
        try:
            self._table.update_item(
                Key={"pk": f"{PREFIX}{key_id}"},
                UpdateExpression="SET revoked_at = if_not_exists(revoked_at, :now)",
                ConditionExpression=Attr("pk").exists(),
                ExpressionAttributeValues={":now": now.isoformat()},
            )
        except AwsServiceError as error:
            if conditional_check_failed(error):
                return False
            raise
        return True

    def revoke_keeping_an_operator(self, key_id: str, now: datetime) -> Revocation:
        """Revoke a credential, unless it is the last active operator credential."""
        for _attempt in range(5):
            record = self.get(key_id)
            if record is None:
                return Revocation.NOT_FOUND
            if record.scope != "admin" or not record.active:
                return Revocation.REVOKED if self.revoke(key_id, now) else Revocation.NOT_FOUND
            # The index may lag: a credential it shows active is read again from its item.
            listed = (k for k in self.list_for(None) if k.key_id != key_id and k.active)
            other = next((k for k in listed if self._active(k.key_id)), None)
            if other is None:
                return Revocation.LAST_OPERATOR
            try:
                self._table.transact_write_items(
                    TransactItems=[
                        {
                            "Update": {
                                "TableName": self._table.name,
                                "Key": {"pk": f"{PREFIX}{key_id}"},
                                "UpdateExpression": "SET revoked_at = :now",
                                "ConditionExpression": _ACTIVE,
                                "ExpressionAttributeValues": {":now": now.isoformat()},
                            }
                        },
                        # The other one must still be active when this one is revoked.
                        {
                            "ConditionCheck": {
                                "TableName": self._table.name,
                                "Key": {"pk": f"{PREFIX}{other.key_id}"},
                                "ConditionExpression": _ACTIVE,
                            }
                        },
                    ]
                )
            except AwsServiceError as error:
                if not transaction_canceled(error):
                    raise
                continue  # one of the two changed meanwhile: look again
            return Revocation.REVOKED
        return Revocation.BUSY

    def _active(self, key_id: str) -> bool:
        record = self.get(key_id)
        return record is not None and record.active
