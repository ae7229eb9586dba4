"""Firms and dossiers in ConfigTable (hash ``pk``: ``FIRM#<id>`` and ``DOSSIER#<id>`` items).

``DueIndex`` is sparse: only dossiers with automatic retrieval on carry ``due_partition``; its range
key ``next_due`` is the night their pending period becomes due, so planning reads only due dossiers.
``ExpiryIndex`` is sparse too: firms with payroll credentials and dossiers with their own carry
``expiry_partition`` and ``secret_expires_on`` (the UTC day the secret expires), so the reminders
read only the credentials expiring soon. (API credentials share the table: ``storage/apikeys.py``.)
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Literal

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from paysync.domain.models import Dossier, Firm, LastRun, PayrollCredentialsInfo, Run, utcnow
from paysync.storage.aws import dynamodb
from paysync.storage.dynamo import conditional_check_failed, from_item, query_items, query_pages, to_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

DUE_PARTITION = "AUTO"
EXPIRY_PARTITION = "PAYROLL"


def _expiry_attributes(info: PayrollCredentialsInfo | None) -> dict[str, str]:
    """ExpiryIndex keys for a credential set (none without one: the index stays sparse)."""
    if info is None:
        return {}
    return {
        "expiry_partition": EXPIRY_PARTITION,
        "secret_expires_on": info.expires_at.astimezone(UTC).date().isoformat(),
    }


class ConfigRepository:
    """Firms and dossiers."""

    def __init__(self, table_name: str) -> None:
        self._table: Table = dynamodb().Table(table_name)
        self.items_read = 0  # consumed by planning benchmarks

    # -- firms ---------------------------------------------------------------------------------
    def get_firm(self, firm_id: str) -> Firm | None:
        item = self._table.get_item(Key={"pk": f"FIRM#{firm_id}"}, ConsistentRead=True).get("Item")
        return Firm.model_validate(from_item(item)) if item else None

    def put_firm(self, firm: Firm) -> None:
        item = {"pk": f"FIRM#{firm.firm_id}", "entity": "firm", **firm.model_dump(mode="json")}
        item.update(_expiry_attributes(firm.payroll))
        self._table.put_item(Item=to_item(item))

    # -- dossiers ------------------------------------------------------------------------------
    def get_dossier(self, dossier_id: str) -> Dossier | None:
        item = self._table.get_item(Key={"pk": f"DOSSIER#{dossier_id}"}, ConsistentRead=True).get("Item")
        return Dossier.model_validate(from_item(item)) if item else None

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
            if conditional_check_failed(error):
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
        items = query_items(
            self._table,
            IndexName="FirmIndex",
            KeyConditionExpression=Key("firm_id").eq(firm_id) & Key("pk").begins_with("DOSSIER#"),
        )
        return [Dossier.model_validate(from_item(i)) for i in items]

    def due_dossiers(self, today: date) -> Iterator[Dossier]:
        """Dossiers whose pending period is due on or before ``today``: a query, never a scan."""
        pages = query_pages(
            self._table,
            IndexName="DueIndex",
            KeyConditionExpression=Key("due_partition").eq(DUE_PARTITION)
            & Key("next_due").lte(today.isoformat()),
        )
        for page in pages:
            self.items_read += page.get("ScannedCount", len(page["Items"]))
            for item in page["Items"]:
                yield Dossier.model_validate(from_item(item))

    def expiring_credentials(self, since: date, until: date) -> Iterator[Firm | Dossier]:
        """Firms and dossiers whose payroll secret expires between ``since`` and ``until`` (UTC days)."""
        items = query_items(
            self._table,
            IndexName="ExpiryIndex",
            KeyConditionExpression=Key("expiry_partition").eq(EXPIRY_PARTITION)
            & Key("secret_expires_on").between(since.isoformat(), until.isoformat()),
        )
        for item in items:
            plain = from_item(item)
            if plain.get("entity") == "firm":
                yield Firm.model_validate(plain)
            else:
                yield Dossier.model_validate(plain)

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
            if not conditional_check_failed(error):
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
            if not conditional_check_failed(error):
                raise
