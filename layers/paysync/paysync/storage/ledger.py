"""The posted-entry ledger in LedgerTable (hash ``partner_id``: the entry's ``entry_origin_partner_id``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from boto3.dynamodb.conditions import Attr
from botocore.exceptions import ClientError

from paysync.storage.aws import dynamodb
from paysync.storage.dynamo import conditional_check_failed, from_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table


@dataclass(frozen=True)
class LedgerRecord:
    partner_id: str
    status: Literal["claimed", "posted"]
    run_id: str
    claimed_at: datetime
    entry_id: int | None = None
    request_id: str | None = None


class Ledger:
    """What paysync has posted, keyed by ``entry_origin_partner_id``.

    Posting goes claim → (MyUnisoft lookup) → POST → mark posted. The claim is a conditional
    write, so two runs racing on one entry cannot both post it; a claim left by a crash is taken
    over after its lease, and the MyUnisoft lookup then finds what the crashed run posted.
    """

    def __init__(self, table_name: str) -> None:
        self._table: Table = dynamodb().Table(table_name)

    def get(self, partner_id: str) -> LedgerRecord | None:
        item = self._table.get_item(Key={"partner_id": partner_id}, ConsistentRead=True).get("Item")
        if not item:
            return None
        plain = from_item(item)
        return LedgerRecord(
            partner_id=plain["partner_id"],
            status=plain["status"],
            run_id=plain["run_id"],
            claimed_at=datetime.fromisoformat(plain["claimed_at"]),
            entry_id=plain.get("entry_id"),
            request_id=plain.get("request_id"),
        )

    def claim(
        self, partner_id: str, *, run_id: str, dossier_id: str, period: str, now: datetime, lease: timedelta
    ) -> bool:
        """Claim the right to post this entry. False when posted, or claimed by another live run."""
        try:
            self._table.put_item(
                Item={
                    "partner_id": partner_id,
                    "status": "claimed",
                    "run_id": run_id,
                    "dossier_id": dossier_id,
                    "period": period,
                    "claimed_at": now.isoformat(),
                },
                ConditionExpression=Attr("partner_id").not_exists()
                | (
                    Attr("status").eq("claimed")
                    & (Attr("run_id").eq(run_id) | Attr("claimed_at").lt((now - lease).isoformat()))
                ),
            )
        except ClientError as error:
            if conditional_check_failed(error):
                return False
            raise
        return True

    def mark_posted(
        self, partner_id: str, *, run_id: str, entry_id: int, request_id: str | None, now: datetime
    ) -> None:
        values: dict[str, Any] = {
            ":posted": "posted",
            ":entry": entry_id,
            ":now": now.isoformat(),
            ":run": run_id,
        }
        expression = "SET #s = :posted, entry_id = :entry, posted_at = :now, run_id = :run"
        if request_id:
            values[":rid"] = request_id
            expression += ", request_id = :rid"
        self._table.update_item(
            Key={"partner_id": partner_id},
            UpdateExpression=expression,
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues=values,
        )

    def release(self, partner_id: str, *, run_id: str) -> None:
        """Give a claim back (the POST was refused): another run may try again at once."""
        try:
            self._table.delete_item(
                Key={"partner_id": partner_id},
                ConditionExpression=Attr("status").eq("claimed") & Attr("run_id").eq(run_id),
            )
        except ClientError as error:
            if not conditional_check_failed(error):
                raise
