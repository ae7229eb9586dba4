"""DynamoDB repositories for firms, dossiers, runs and the posted-entry ledger.

Key design (see template.yaml):
- ConfigTable, hash ``pk``: ``FIRM#<id>`` and ``DOSSIER#<id>`` items. ``DueIndex`` is sparse: only
  dossiers with automatic retrieval on carry ``due_partition``; its range key ``next_due`` is the
  night their pending period becomes due, so planning reads only due dossiers.
- RunsTable, hash ``run_id``; ``DossierIndex`` (dossier_id, created_at) lists a dossier's runs.
- LedgerTable, hash ``partner_id`` (the entry's ``entry_origin_partner_id``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from paysync.domain.models import Dossier, Firm, LastRun, Run, RunStatus, utcnow
from paysync.storage.aws import dynamodb, to_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

DUE_PARTITION = "AUTO"


def _conditional_failed(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    """DynamoDB Decimals back to int/float for pydantic."""

    def convert(value: Any) -> Any:
        if isinstance(value, Decimal):
            return int(value) if value == value.to_integral_value() else float(value)
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        if isinstance(value, list):
            return [convert(v) for v in value]
        return value

    return {k: convert(v) for k, v in item.items()}


class ConfigRepository:
    """Firms and dossiers."""

    def __init__(self, table_name: str) -> None:
        self._table: Table = dynamodb().Table(table_name)
        self.items_read = 0  # consumed by planning benchmarks

    # -- firms ---------------------------------------------------------------------------------
    def get_firm(self, firm_id: str) -> Firm | None:
        item = self._table.get_item(Key={"pk": f"FIRM#{firm_id}"}, ConsistentRead=True).get("Item")
        return Firm.model_validate(_plain(item)) if item else None

    def put_firm(self, firm: Firm) -> None:
        item = {"pk": f"FIRM#{firm.firm_id}", "entity": "firm", **firm.model_dump(mode="json")}
        self._table.put_item(Item=to_item(item))

    # -- dossiers ------------------------------------------------------------------------------
    def get_dossier(self, dossier_id: str) -> Dossier | None:
        item = self._table.get_item(Key={"pk": f"DOSSIER#{dossier_id}"}, ConsistentRead=True).get("Item")
        return Dossier.model_validate(_plain(item)) if item else None

    def put_dossier(self, dossier: Dossier) -> None:
        self._table.put_item(Item=to_item(self._dossier_item(dossier)))

    @staticmethod
    def _dossier_item(dossier: Dossier) -> dict[str, Any]:
        item: dict[str, Any] = {"pk": f"DOSSIER#{dossier.dossier_id}", "entity": "dossier"}
        item.update(dossier.model_dump(mode="json"))
        if dossier.auto_pull:
            item["due_partition"] = DUE_PARTITION
            item["next_due"] = dossier.next_due.isoformat()
        return {k: v for k, v in item.items() if v is not None}

    def list_dossiers_of_firm(self, firm_id: str) -> list[Dossier]:
        dossiers: list[Dossier] = []
        kwargs: dict[str, Any] = {
            "IndexName": "FirmIndex",
            "KeyConditionExpression": Key("firm_id").eq(firm_id) & Key("pk").begins_with("DOSSIER#"),
        }
        while True:
            page = self._table.query(**kwargs)
            dossiers.extend(Dossier.model_validate(_plain(i)) for i in page["Items"])
            if "LastEvaluatedKey" not in page:
                return dossiers
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def due_dossiers(self, today: date) -> Iterator[Dossier]:
        """Dossiers whose pending period is due on or before ``today``: a query, never a scan."""
        kwargs: dict[str, Any] = {
            "IndexName": "DueIndex",
            "KeyConditionExpression": Key("due_partition").eq(DUE_PARTITION)
            & Key("next_due").lte(today.isoformat()),
        }
        while True:
            page = self._table.query(**kwargs)
            self.items_read += page.get("ScannedCount", len(page["Items"]))
            for item in page["Items"]:
                yield Dossier.model_validate(_plain(item))
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def record_run(self, dossier: Dossier, run: Run, *, synced: bool) -> None:
        """Remember the run on the dossier; when the period is fully synced, move on to the next one.

        Conditional on the pending period still being the run's, so an older run finishing late
        never moves the dossier backwards.
        """
        last = LastRun(
            run_id=run.run_id,
            period=run.period,
            status=run.status.value,
            finished_at=run.finished_at,
            diagnosis_codes=sorted(
                {d.code for d in run.diagnoses} | {d.code for e in run.entries for d in e.diagnoses}
            ),
        )
        names = {"#last": "last_run", "#upd": "updated_at"}
        values: dict[str, Any] = {
            ":last": to_item(last.model_dump(mode="json")),
            ":upd": utcnow().isoformat(),
        }
        expression = "SET #last = :last, #upd = :upd"
        condition = None
        if synced and run.period == dossier.pending_period:
            advanced = dossier.model_copy(update={"pending_period": str(dossier.pending.next())})
            names.update({"#pending": "pending_period", "#synced": "last_synced_period"})
            values.update(
                {":pending": advanced.pending_period, ":synced": run.period, ":run_period": run.period}
            )
            expression += ", #pending = :pending, #synced = :synced"
            if dossier.auto_pull:
                names["#due"] = "next_due"
                values[":due"] = advanced.next_due.isoformat()
                expression += ", #due = :due"
            condition = "#pending = :run_period"
        kwargs: dict[str, Any] = {
            "Key": {"pk": f"DOSSIER#{dossier.dossier_id}"},
            "UpdateExpression": expression,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
        if condition:
            kwargs["ConditionExpression"] = condition
        try:
            self._table.update_item(**kwargs)
        except ClientError as error:
            if not _conditional_failed(error):
                raise
            # Another run already advanced the dossier: still keep this run as the last one.
            kwargs.pop("ConditionExpression")
            kwargs["UpdateExpression"] = "SET #last = :last, #upd = :upd"
            kwargs["ExpressionAttributeNames"] = {"#last": "last_run", "#upd": "updated_at"}
            kwargs["ExpressionAttributeValues"] = {":last": values[":last"], ":upd": values[":upd"]}
            self._table.update_item(**kwargs)

    def record_secret_expiry(
        self, level: Literal["firm", "dossier"], owner_id: str, expires_at: datetime
    ) -> None:
        """Store the expiry date Silae announced for a credential set (if that set still exists)."""
        field = "payroll" if level == "firm" else "payroll_override"
        key = f"{'FIRM' if level == 'firm' else 'DOSSIER'}#{owner_id}"
        try:
            self._table.update_item(
                Key={"pk": key},
                UpdateExpression="SET #f.secret_expires_at = :at",
                ConditionExpression="attribute_exists(#f.client_id_masked)",
                ExpressionAttributeNames={"#f": field},
                ExpressionAttributeValues={":at": expires_at.isoformat()},
            )
        except ClientError as error:
            if not _conditional_failed(error):
                raise


class RunRepository:
    def __init__(self, table_name: str, retention_days: int = 400) -> None:
        self._table: Table = dynamodb().Table(table_name)
        self._retention = timedelta(days=retention_days)

    def _item(self, run: Run) -> dict[str, Any]:
        item = run.model_dump(mode="json")
        item["expires_at"] = int((run.created_at + self._retention).timestamp())
        return {k: v for k, v in to_item(item).items() if v is not None}

    def create(self, run: Run) -> bool:
        """Create the run unless one with that id exists. True when created."""
        try:
            self._table.put_item(Item=self._item(run), ConditionExpression=Attr("run_id").not_exists())
        except ClientError as error:
            if _conditional_failed(error):
                return False
            raise
        return True

    def get(self, run_id: str) -> Run | None:
        item = self._table.get_item(Key={"run_id": run_id}, ConsistentRead=True).get("Item")
        return Run.model_validate(_plain(item)) if item else None

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
        except ClientError as error:
            if _conditional_failed(error):
                return None
            raise
        return Run.model_validate(_plain(item))

    def list_for_dossier(self, dossier_id: str, limit: int = 20) -> list[Run]:
        page = self._table.query(
            IndexName="DossierIndex",
            KeyConditionExpression=Key("dossier_id").eq(dossier_id),
            ScanIndexForward=False,
            Limit=limit,
        )
        return [Run.model_validate(_plain(i)) for i in page["Items"]]


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
        plain = _plain(item)
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
            if _conditional_failed(error):
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
            if not _conditional_failed(error):
                raise
