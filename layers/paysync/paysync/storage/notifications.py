"""What has been emailed: send-once records in the NotificationsTable (hash ``pk``, TTL ``expires_at``).

Keys (see :mod:`paysync.domain.reminders`):

- ``REMINDER#<level>#<owner>#<secret generation date>#<threshold>``: one reminder threshold of one
  credential cycle;
- ``FAILURE#<run id>``: one failed run reported;
- ``DIGEST#<firm>#<day>``: the firm's one email of the day.

Protocol, for one firm's email: **claim** the digest, then each item, then **send**, then **mark**
the digest and its items ``sent`` in one transaction.

- A claim is a conditional put: it succeeds when the record does not exist, or is ``sending`` and
  either belongs to the same owner or its lease has run out. A ``sent`` record is never claimed
  again, so a threshold, a failure and a firm's day are each emailed once.
- The owner is the Lambda request id. Lambda retries an asynchronous invocation that failed or
  timed out with the same request id, so a retry takes its own claims back at once; another
  invocation (a duplicate schedule delivery, an operator's run) finds them held and leaves that
  firm to their owner. The lease (longer than the function's timeout) frees claims whose owner
  died for good; whatever was not sent is picked up by a later run.
- Two concurrent invocations: exactly one holds the firm's digest; the other skips the firm.
- A crash between claim and send: nothing was sent; the claims are taken back by the retry (same
  owner) or after the lease, and the email is sent then: not lost, not doubled.
- SES refuses or fails: the claims are released at once (lease set to 0), so the retry sends.
- The one window left is a crash after SES accepted the message and before the ``sent`` mark (SES
  has no idempotency key): the next owner sends it again. Marking right after SES answers, in a
  single transaction, keeps that window to one DynamoDB call; a duplicate is preferred to a loss.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from paysync.aws.conditions import Attr
from paysync.aws.errors import AwsServiceError
from paysync.aws.services import dynamodb
from paysync.storage.dynamo import conditional_check_failed, to_item, transaction_canceled

if TYPE_CHECKING:
    from paysync.aws.dynamodb import Table

SENDING = "sending"
SENT = "sent"
# DynamoDB transactions take at most 100 actions.
_TRANSACTION_LIMIT = 100


class NotificationLog:
    def __init__(self, table_name: str, retention_days: int = 400) -> None:
        self._table: Table = dynamodb().Table(table_name)
        # Longer than a secret's whole cycle (a year, then the expired reminder's lookback).
        self._retention = timedelta(days=retention_days)

    def get(self, key: str) -> dict[str, Any] | None:
        item = self._table.get_item(Key={"pk": key}, ConsistentRead=True).get("Item")
        return dict(item) if item else None

    def status(self, key: str) -> str | None:
        item = self.get(key)
        return str(item["status"]) if item else None

    def claim(
        self,
        key: str,
        *,
        owner: str,
        now: datetime,
        lease: timedelta,
        attributes: Mapping[str, Any] | None = None,
    ) -> bool:
        """Take the right to send ``key``. False when it was sent, or is held by a live other owner."""
        item = {
            **dict(attributes or {}),
            "pk": key,
            "status": SENDING,
            "owner": owner,
            "claimed_at": now.isoformat(),
            "lease_until": int((now + lease).timestamp()),
            "expires_at": int((now + self._retention).timestamp()),
        }
        try:
            self._table.put_item(
                Item=to_item(item),
                ConditionExpression=Attr("pk").not_exists()
                | (
                    Attr("status").eq(SENDING)
                    & (Attr("owner").eq(owner) | Attr("lease_until").lt(int(now.timestamp())))
                ),
            )
        except AwsServiceError as error:
            if conditional_check_failed(error):
                return False
            raise
        return True

    def release(self, keys: Iterable[str], *, owner: str) -> None:
        """Give claims back (nothing was sent): anyone may take them at once."""
        for key in keys:
            try:
                self._table.update_item(
                    Key={"pk": key},
                    UpdateExpression="SET lease_until = :zero",
                    ConditionExpression=Attr("status").eq(SENDING) & Attr("owner").eq(owner),
                    ExpressionAttributeValues={":zero": 0},
                )
            except AwsServiceError as error:
                if not conditional_check_failed(error):
                    raise

    def mark_sent(self, keys: list[str], *, owner: str, now: datetime, message_id: str) -> bool:
        """Mark claimed records sent, all together (the digest's key last). False if a claim was lost."""
        actions: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self._table.name,
                    "Key": {"pk": key},
                    "UpdateExpression": "SET #s = :sent, sent_at = :now, message_id = :mid REMOVE lease_until",
                    "ConditionExpression": "#s = :sending AND #o = :owner",
                    "ExpressionAttributeNames": {"#s": "status", "#o": "owner"},
                    "ExpressionAttributeValues": {
                        ":sent": SENT,
                        ":sending": SENDING,
                        ":owner": owner,
                        ":now": now.isoformat(),
                        ":mid": message_id,
                    },
                }
            }
            for key in keys
        ]
        ok = True
        for start in range(0, len(actions), _TRANSACTION_LIMIT):
            try:
                self._table.transact_write_items(TransactItems=actions[start : start + _TRANSACTION_LIMIT])
            except AwsServiceError as error:
                if not transaction_canceled(error):
                    raise
                ok = False
        return ok
