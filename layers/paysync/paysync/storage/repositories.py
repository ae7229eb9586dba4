"""DynamoDB repositories for firms, dossiers, runs and the posted-entry ledger.

Key design (see template.yaml):
- ConfigTable, hash ``pk``: ``FIRM#<id>`` and ``DOSSIER#<id>`` items. ``DueIndex`` is sparse: only
  dossiers with automatic retrieval on carry ``due_partition``; its range key ``next_due`` is the
  night their pending period becomes due, so planning reads only due dossiers.
  ``ExpiryIndex`` is sparse too: firms with payroll credentials and dossiers with their own carry
  ``expiry_partition`` and ``secret_expires_on`` (the UTC day the secret expires), so the reminders
  read only the credentials expiring soon.
- RunsTable, hash ``run_id``; ``DossierIndex`` (dossier_id, created_at) lists a dossier's runs;
  ``FailureIndex`` (sparse: ``failure_partition`` on failed runs only, range ``finished_at``).
- LedgerTable, hash ``partner_id`` (the entry's ``entry_origin_partner_id``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from paysync.domain.models import Dossier, Firm, LastRun, PayrollCredentialsInfo, Run, RunStatus, utcnow
from paysync.storage.aws import dynamodb, to_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

DUE_PARTITION = "AUTO"
EXPIRY_PARTITION = "PAYROLL"
FAILURE_PARTITION = "FAILED"


def _expiry_attributes(info: PayrollCredentialsInfo | None) -> dict[str, str]:
    """ExpiryIndex keys for a credential set (none without one: the index stays sparse)."""
    if info is None:
        return {}
    return {
        "expiry_partition": EXPIRY_PARTITION,
        "secret_expires_on": info.expires_at.astimezone(UTC).date().isoformat(),
    }


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
        item.update(_expiry_attributes(firm.payroll))
        self._table.put_item(Item=to_item(item))

    # -- dossiers ------------------------------------------------------------------------------
    def get_dossier(self, dossier_id: str) -> Dossier | None:
        item = self._table.get_item(Key={"pk": f"DOSSIER#{dossier_id}"}, ConsistentRead=True).get("Item")
        return Dossier.model_validate(_plain(item)) if item else None

    def put_dossier(self, dossier: Dossier) -> None:
        self._table.put_item(Item=to_item(self._dossier_item(dossier)))

    def update_dossier(self, before: Dossier, after: Dossier) -> bool:
        """Write only what changed between ``before`` (as read) and ``after`` (settings edits), so
        that a run finishing meanwhile keeps what it recorded. Conditional on the pending period
        still being the one read (the due date derives from it): False when it moved, read again."""
        old, new = to_item(self._dossier_item(before)), to_item(self._dossier_item(after))
        changed = {k: v for k, v in new.items() if k != "pk" and old.get(k) != v}
        removed = [k for k in old if k not in new]
        names: dict[str, str] = {"#pp": "pending_period"}
        values: dict[str, Any] = {":pp": before.pending_period}
        clauses: list[str] = []
        if changed:
            for i, (name, value) in enumerate(changed.items()):
                names[f"#s{i}"], values[f":s{i}"] = name, value
            clauses.append("SET " + ", ".join(f"#s{i} = :s{i}" for i in range(len(changed))))
        if removed:
            names.update({f"#r{i}": name for i, name in enumerate(removed)})
            clauses.append("REMOVE " + ", ".join(f"#r{i}" for i in range(len(removed))))
        if not clauses:
            return True
        try:
            self._table.update_item(
                Key={"pk": f"DOSSIER#{before.dossier_id}"},
                UpdateExpression=" ".join(clauses),
                ConditionExpression="attribute_exists(pk) AND #pp = :pp",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if _conditional_failed(error):
                return False
            raise
        return True

    @staticmethod
    def _dossier_item(dossier: Dossier) -> dict[str, Any]:
        item: dict[str, Any] = {"pk": f"DOSSIER#{dossier.dossier_id}", "entity": "dossier"}
        item.update(dossier.model_dump(mode="json"))
        if dossier.auto_pull:
            item["due_partition"] = DUE_PARTITION
            item["next_due"] = dossier.next_due.isoformat()
        item.update(_expiry_attributes(dossier.payroll_override))
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

    def expiring_credentials(self, since: date, until: date) -> Iterator[Firm | Dossier]:
        """Firms and dossiers whose payroll secret expires between ``since`` and ``until`` (UTC days)."""
        kwargs: dict[str, Any] = {
            "IndexName": "ExpiryIndex",
            "KeyConditionExpression": Key("expiry_partition").eq(EXPIRY_PARTITION)
            & Key("secret_expires_on").between(since.isoformat(), until.isoformat()),
        }
        while True:
            page = self._table.query(**kwargs)
            for item in page["Items"]:
                plain = _plain(item)
                if plain.get("entity") == "firm":
                    yield Firm.model_validate(plain)
                else:
                    yield Dossier.model_validate(plain)
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
        self,
        level: Literal["firm", "dossier"],
        owner_id: str,
        expires_at: datetime,
        *,
        generated_on: date | None = None,
    ) -> None:
        """Store the expiry date Silae announced for a credential set (if that set still exists).

        With ``generated_on``, only while the stored secret is still the one that date belongs to:
        a sync that read the old secret must not stamp its expiry on a secret saved meanwhile.
        """
        field = "payroll" if level == "firm" else "payroll_override"
        key = f"{'FIRM' if level == 'firm' else 'DOSSIER'}#{owner_id}"
        condition = "attribute_exists(#f.client_id_masked)"
        values: dict[str, Any] = {
            ":at": expires_at.isoformat(),
            # The announced date wins over generation + 1 year: the index follows it.
            ":part": EXPIRY_PARTITION,
            ":on": expires_at.astimezone(UTC).date().isoformat(),
        }
        if generated_on is not None:
            condition += " AND #f.secret_generated_on = :gen"
            values[":gen"] = generated_on.isoformat()
        try:
            self._table.update_item(
                Key={"pk": key},
                UpdateExpression="SET #f.secret_expires_at = :at, expiry_partition = :part, "
                "secret_expires_on = :on",
                ConditionExpression=condition,
                ExpressionAttributeNames={"#f": field},
                ExpressionAttributeValues=values,
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
        if run.status is RunStatus.FAILED and run.finished_at is not None:
            item["failure_partition"] = FAILURE_PARTITION  # FailureIndex: failed runs only
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
            self._table.meta.client.transact_write_items(TransactItems=[{"Put": lock_put}, {"Put": run_put}])  # type: ignore[typeddict-item]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "TransactionCanceledException":
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
            except ClientError as error:
                if not _conditional_failed(error):
                    raise
                continue  # a worker moved it meanwhile: read it again
            return again
        raise RuntimeError(f"run {run_id} kept changing while being requeued")

    def failed_since(self, since: date) -> Iterator[Run]:
        """Runs that ended ``failed`` on or after ``since`` (UTC day): a query on a sparse index."""
        kwargs: dict[str, Any] = {
            "IndexName": "FailureIndex",
            "KeyConditionExpression": Key("failure_partition").eq(FAILURE_PARTITION)
            & Key("finished_at").gte(since.isoformat()),
        }
        while True:
            page = self._table.query(**kwargs)
            for item in page["Items"]:
                yield Run.model_validate(_plain(item))
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

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
