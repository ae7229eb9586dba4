"""Sync runs in RunsTable (hash ``run_id``), kept ``retention_days`` (TTL ``expires_at``).

``DossierIndex`` (dossier_id, created_at) lists a dossier's runs; ``FailureIndex`` is sparse
(``failure_partition`` on failed runs only, range ``finished_at``). Lock items (``run_id`` = the
lock's name, no ``dossier_id``) keep one live run per lock, outside DossierIndex.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from paysync.aws.conditions import Attr, Key
from paysync.aws.errors import AwsServiceError
from paysync.aws.services import dynamodb
from paysync.domain.models import Run, RunStatus
from paysync.domain.period_diagnoses import open_findings
from paysync.storage.dynamo import (
    conditional_check_failed,
    from_item,
    query_items,
    to_item,
    transaction_canceled,
)

if TYPE_CHECKING:
    from paysync.aws.dynamodb import Table

FAILURE_PARTITION = "FAILED"


def reports_findings(run: Run) -> bool:
    """A watch that found an OD changed in Silae, or an entry deleted or edited in MyUnisoft."""
    return run.kind == "watch" and bool(open_findings(run))


class RunRepository:
    def __init__(self, table_name: str, retention_days: int = 400) -> None:
        self._table: Table = dynamodb().Table(table_name)
        self._retention = timedelta(days=retention_days)

    def _item(self, run: Run) -> dict[str, Any]:
        item = run.model_dump(mode="json")
        item["expires_at"] = int((run.created_at + self._retention).timestamp())
        if (run.status is RunStatus.FAILED or reports_findings(run)) and run.finished_at is not None:
            # FailureIndex: failed runs, and watches that found something (the morning digest)
            item["failure_partition"] = FAILURE_PARTITION
        return {k: v for k, v in to_item(item).items() if v is not None}

    def create(self, run: Run) -> bool:
        """Create the run unless one with that id exists. True when created."""
        try:
            self._table.put_item(Item=self._item(run), ConditionExpression=Attr("run_id").not_exists())
        except AwsServiceError as error:
            if conditional_check_failed(error):
                return False
            raise
        return True

    def create_exclusive(self, run: Run, lock: str, *, replaces: str | None, lock_expires: datetime) -> bool:
        """Create ``run`` and the lock item ``lock`` naming it, in one transaction: only while no
        lock exists (``replaces`` None) or the lock still names ``replaces`` (a run found finished).
        False when another run holds the lock. The lock item has no ``dossier_id``, so it stays out
        of DossierIndex; TTL removes it after ``lock_expires``."""
        lock_put: dict[str, Any] = {
            "TableName": self._table.name,
            "Item": {
                "run_id": lock,
                "holder": run.run_id,
                "locked_at": run.created_at.isoformat(),
                "expires_at": int(lock_expires.timestamp()),
            },
        }
        if replaces is None:
            lock_put["ConditionExpression"] = "attribute_not_exists(run_id)"
        else:
            lock_put["ConditionExpression"] = "holder = :previous"
            lock_put["ExpressionAttributeValues"] = {":previous": replaces}
        run_put = {
            "TableName": self._table.name,
            "Item": self._item(run),
            "ConditionExpression": "attribute_not_exists(run_id)",
        }
        try:
            self._table.transact_write_items(TransactItems=[{"Put": lock_put}, {"Put": run_put}])
        except AwsServiceError as error:
            if transaction_canceled(error):
                return False
            raise
        return True

    def lock_holder(self, lock: str) -> str | None:
        """The run id a lock item names, if the lock exists."""
        item = self._table.get_item(Key={"run_id": lock}, ConsistentRead=True).get("Item")
        holder = item.get("holder") if item else None
        return str(holder) if holder else None

    def get(self, run_id: str) -> Run | None:
        item = self._table.get_item(Key={"run_id": run_id}, ConsistentRead=True).get("Item")
        # Lock and attempt items share the table without being runs (they have no dossier_id).
        return Run.model_validate(from_item(item)) if item and "dossier_id" in item else None

    def save(self, run: Run) -> None:
        self._table.put_item(Item=self._item(run))

    def start(self, run_id: str, now: datetime) -> Run | None:
        """Move a queued or retrying run to running and count the attempt; None if it is finished."""
        try:
            item = self._table.update_item(
                Key={"run_id": run_id},
                UpdateExpression="SET #s = :running, started_at = if_not_exists(started_at, :now) "
                "ADD attempts :one",
                ConditionExpression=Attr("status").is_in(
                    [RunStatus.QUEUED.value, RunStatus.RETRYING.value, RunStatus.RUNNING.value]
                ),
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={
                    ":running": RunStatus.RUNNING.value,
                    ":now": now.isoformat(),
                    ":one": 1,
                },
                ReturnValues="ALL_NEW",
            )["Attributes"]
        except AwsServiceError as error:
            if conditional_check_failed(error):
                return None
            raise
        return Run.model_validate(from_item(item))

    def requeue(self, run_id: str, now: datetime) -> Run | None:
        """An operator sends the run again from the dead-letter queue (``paysync.ops.replay``): a
        failed run is queued again (the worker starts only queued, retrying or running runs), and
        the replay is counted on the run. None when there is no such run."""
        for _ in range(5):
            run = self.get(run_id)
            if run is None:
                return None
            update: dict[str, Any] = {"replays": run.replays + 1, "replayed_at": now}
            if run.status is RunStatus.FAILED:
                update.update(status=RunStatus.QUEUED, finished_at=None)
            again = run.model_copy(update=update)
            try:
                self._table.put_item(
                    Item=self._item(again),
                    ConditionExpression=Attr("status").eq(run.status.value)
                    & Attr("attempts").eq(run.attempts),
                )
            except AwsServiceError as error:
                if not conditional_check_failed(error):
                    raise
                continue  # a worker moved it meanwhile: read it again
            return again
        raise RuntimeError(f"run {run_id} kept changing while being requeued")

    def failed_since(self, since: date) -> Iterator[Run]:
        """Runs that ended ``failed`` on or after ``since`` (UTC day): a query on a sparse index."""
        items = query_items(
            self._table,
            IndexName="FailureIndex",
            KeyConditionExpression=Key("failure_partition").eq(FAILURE_PARTITION)
            & Key("finished_at").gte(since.isoformat()),
        )
        for item in items:
            yield Run.model_validate(from_item(item))

    def list_for_dossier(self, dossier_id: str, limit: int = 20) -> list[Run]:
        page = self._table.query(
            IndexName="DossierIndex",
            KeyConditionExpression=Key("dossier_id").eq(dossier_id),
            ScanIndexForward=False,
            Limit=limit,
        )
        return [Run.model_validate(from_item(i)) for i in page["Items"]]
