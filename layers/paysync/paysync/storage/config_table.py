"""Firms and dossiers in ConfigTable (hash ``pk``: ``FIRM#<id>`` and ``DOSSIER#<id>`` items).

``DueIndex`` is sparse: only dossiers with automatic retrieval on carry ``due_partition``; its range
key ``next_due`` is the night their pending period becomes due, so planning reads only due dossiers.
``ExpiryIndex`` is sparse too: firms with payroll credentials and dossiers with their own carry
``expiry_partition`` and ``secret_expires_on`` (the UTC day the secret expires), so the reminders
read only the credentials expiring soon. (API credentials share the table: ``storage/apikeys.py``.)

Settings writes never overwrite what the worker records: a creation is conditional (the id must be
free); an update sets the fields the request carries and nothing else (``last_run``,
``last_synced_period`` and a learned ``secret_expires_at`` stay as stored); and the due date, derived
from ``pending_period``, ``run_day`` and ``auto_pull``, is written only while those three are still
what was read, by the settings and by the worker alike.

A save that writes secrets *holds* its item meanwhile (a ``Lease``: ``saving`` and
``saving_until``): other saves of that item are refused (``Busy``) until it is done, so that a
secret and the metadata describing it always come from the same save. A creation holds the item it
creates, in no index until the save publishes it. A lease outlives no API call: past
``saving_until``, a save that died is taken over. The worker's own writes never wait for a lease.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from paysync.aws.conditions import Key
from paysync.aws.dynamodb import unmarshal
from paysync.aws.errors import AwsServiceError
from paysync.aws.services import dynamodb
from paysync.domain.models import Dossier, Firm, LastRun, PayrollCredentialsInfo, Run, utcnow
from paysync.storage.dynamo import conditional_check_failed, from_item, query_items, query_pages, to_item
from paysync.storage.item_update import ItemUpdate

if TYPE_CHECKING:
    from paysync.aws.dynamodb import Table

DUE_PARTITION = "AUTO"
EXPIRY_PARTITION = "PAYROLL"
# A save writing secrets holds its item meanwhile: the token of the save, and until when (epoch
# seconds: past it, a save that died is taken over).
LEASE, LEASE_UNTIL = "saving", "saving_until"
LEASE_SECONDS = 60  # longer than any API function may run (29 s)
DUE_INPUTS = ("auto_pull", "run_day", "pending_period")
_DUE_ATTRIBUTES = ("due_partition", "next_due")
_EXPIRY_ATTRIBUTES = ("expiry_partition", "secret_expires_on")


class Busy(Exception):  # noqa: N818 - a state, like the errors of the use cases
    """Another save holds the item (it is writing its secrets)."""


class Lease(NamedTuple):  # not a dataclass: cheaper to define at a cold start
    """A save's hold on an item while it writes its secrets; a save that died loses it past ``until``."""

    token: str
    until: int

    @classmethod
    def taken(cls, now: datetime) -> Lease:
        return cls(uuid.uuid4().hex, _epoch(now) + LEASE_SECONDS)


def _epoch(when: datetime) -> int:
    return int(when.timestamp())


def _expiry_attributes(info: PayrollCredentialsInfo | None) -> dict[str, str]:
    """ExpiryIndex keys for a credential set (none without one: the index stays sparse)."""
    if info is None:
        return {}
    return {
        "expiry_partition": EXPIRY_PARTITION,
        "secret_expires_on": info.expires_at.astimezone(UTC).date().isoformat(),
    }


def _firm_item(firm: Firm, *, indexed: bool = True) -> dict[str, Any]:
    item: dict[str, Any] = {"pk": f"FIRM#{firm.firm_id}", "entity": "firm", **firm.model_dump(mode="json")}
    if indexed:
        item.update(_expiry_attributes(firm.payroll))
    return {k: v for k, v in item.items() if v is not None}


def _dossier_item(dossier: Dossier, *, indexed: bool = True) -> dict[str, Any]:
    item: dict[str, Any] = {"pk": f"DOSSIER#{dossier.dossier_id}", "entity": "dossier"}
    item.update(dossier.model_dump(mode="json"))
    if indexed:
        if dossier.auto_pull:
            item["due_partition"] = DUE_PARTITION
            item["next_due"] = dossier.next_due.isoformat()
        item.update(_expiry_attributes(dossier.payroll_override))
    return {k: v for k, v in item.items() if v is not None}


class ConfigRepository:
    """Firms and dossiers."""

    def __init__(self, table_name: str) -> None:
        self._table: Table = dynamodb().Table(table_name)
        self.items_read = 0  # consumed by planning benchmarks

    # The item layout of a dossier (keys, sparse index attributes): benchmarks batch-write it.
    _dossier_item = staticmethod(_dossier_item)

    # -- firms ---------------------------------------------------------------------------------
    def get_firm(self, firm_id: str) -> Firm | None:
        item = self._table.get_item(Key={"pk": f"FIRM#{firm_id}"}, ConsistentRead=True).get("Item")
        return Firm.model_validate(from_item(item)) if item else None

    def put_firm(self, firm: Firm) -> None:
        """Write a firm whole (seeding; the API goes through create_firm and update_firm)."""
        self._table.put_item(Item=to_item(_firm_item(firm)))

    def create_firm(self, firm: Firm, *, lease: Lease | None = None) -> bool:
        """Write a new firm; False when the id is taken. With ``lease``, the firm is held (and in
        no index) until ``update_firm(..., lease=lease)`` publishes it or ``release`` drops it."""
        return self._create(_firm_item(firm, indexed=lease is None), lease)

    def update_firm(
        self, after: Firm, fields: Iterable[str], *, now: datetime, lease: Lease | None = None
    ) -> Firm | None:
        """Set ``fields`` (and ``updated_at``) to ``after``'s values and nothing else: the firm as
        stored after the write, or None when there is none. Raises Busy while another save holds it;
        with ``lease``, only while this one does, and lets it go."""
        fields = {*fields, "updated_at"}
        item = _firm_item(after)
        write = ItemUpdate(item, fields)
        if "payroll" in fields:
            write.take(item, _EXPIRY_ATTRIBUTES)
        stored = self._update(f"FIRM#{after.firm_id}", write, lease, now)
        return Firm.model_validate(from_item(stored)) if stored is not None else None

    # -- dossiers ------------------------------------------------------------------------------
    def get_dossier(self, dossier_id: str) -> Dossier | None:
        item = self._table.get_item(Key={"pk": f"DOSSIER#{dossier_id}"}, ConsistentRead=True).get("Item")
        return Dossier.model_validate(from_item(item)) if item else None

    def put_dossier(self, dossier: Dossier) -> None:
        """Write a dossier whole (seeding; the API goes through create_dossier and update_dossier)."""
        self._table.put_item(Item=to_item(_dossier_item(dossier)))

    def create_dossier(self, dossier: Dossier, *, lease: Lease | None = None) -> bool:
        """Write a new dossier; False when the id is taken. ``lease``: as for create_firm."""
        return self._create(_dossier_item(dossier, indexed=lease is None), lease)

    def update_dossier(
        self,
        before: Dossier,
        after: Dossier,
        fields: Iterable[str],
        *,
        now: datetime,
        lease: Lease | None = None,
        keep_lease: bool = False,
        expect: dict[str, Any] | None = None,
    ) -> Dossier | None:
        """Set ``fields`` (and ``updated_at``) to ``after``'s values and nothing else: the dossier as
        stored after the write. None when there is none, when a field named in ``expect`` no longer
        has that value (None: has none), or when a field the due date derives from is no longer
        what ``before`` read: read it again and retry. Busy and ``lease``: as for update_firm; with
        ``keep_lease``, the save goes on holding the item."""
        fields = {*fields, "updated_at"}
        item = _dossier_item(after)
        write = ItemUpdate(item, fields)
        if "payroll_override" in fields:
            write.take(item, _EXPIRY_ATTRIBUTES)
        if fields & set(DUE_INPUTS):
            write.take(item, _DUE_ATTRIBUTES)
            read = _dossier_item(before)
            for name in DUE_INPUTS:
                write.expect(name, read[name])
        for name, value in (expect or {}).items():
            write.expect(name, value)
        stored = self._update(f"DOSSIER#{after.dossier_id}", write, lease, now, keep_lease=keep_lease)
        return Dossier.model_validate(from_item(stored)) if stored is not None else None

    # -- holding an item while secrets are written -------------------------------------------
    def take_lease(
        self, kind: Literal["firm", "dossier"], owner_id: str, lease: Lease, now: datetime
    ) -> bool:
        """Hold an existing item for one save; False when it is missing. Busy while another holds it."""
        write = ItemUpdate({LEASE: lease.token, LEASE_UNTIL: lease.until}, (LEASE, LEASE_UNTIL))
        write.expect_before(LEASE_UNTIL, _epoch(now))
        return self._write(f"{kind.upper()}#{owner_id}", write, lease, now) is not None

    def release(
        self, kind: Literal["firm", "dossier"], owner_id: str, lease: Lease, *, created: bool
    ) -> None:
        """Give up a lease: an item it created goes, another one is only let go."""
        key = {"pk": f"{kind.upper()}#{owner_id}"}
        try:
            if created:
                self._table.delete_item(
                    Key=key,
                    ConditionExpression="#lease = :token",
                    ExpressionAttributeNames={"#lease": LEASE},
                    ExpressionAttributeValues={":token": lease.token},
                )
            else:
                write = ItemUpdate({}, ())
                write.remove(LEASE)
                write.remove(LEASE_UNTIL)
                write.expect(LEASE, lease.token)
                self._table.update_item(Key=key, **write.arguments())
        except AwsServiceError as error:
            if not conditional_check_failed(error):  # not ours any more: nothing to give up
                raise

    def _create(self, item: dict[str, Any], lease: Lease | None) -> bool:
        if lease is not None:
            item.update({LEASE: lease.token, LEASE_UNTIL: lease.until})
        try:
            self._table.put_item(Item=to_item(item), ConditionExpression="attribute_not_exists(pk)")
        except AwsServiceError as error:
            if conditional_check_failed(error):
                return False
            raise
        return True

    def _update(
        self, pk: str, write: ItemUpdate, lease: Lease | None, now: datetime, *, keep_lease: bool = False
    ) -> dict[str, Any] | None:
        if lease is None:
            write.expect_before(LEASE_UNTIL, _epoch(now))
        else:
            write.expect(LEASE, lease.token)
            if not keep_lease:
                write.remove(LEASE)
                write.remove(LEASE_UNTIL)
        return self._write(pk, write, lease, now)

    def _write(self, pk: str, write: ItemUpdate, lease: Lease | None, now: datetime) -> dict[str, Any] | None:
        """A settings write: the item after it; None when a condition failed, Busy when it failed
        because another save holds the item."""
        stored, refused = self._apply(pk, write)
        held = refused.get(LEASE) is not None and refused.get(LEASE) != (lease.token if lease else None)
        if held and int(refused.get(LEASE_UNTIL, 0)) >= _epoch(now):
            raise Busy
        return stored

    def _apply(self, pk: str, write: ItemUpdate) -> tuple[dict[str, Any] | None, dict[str, Any]]:
        """One conditional UpdateItem: (the item after it, {}), or (None, the item as the failed
        condition found it)."""
        try:
            answer = self._table.update_item(
                Key={"pk": pk},
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
                **write.arguments(),
            )
        except AwsServiceError as error:
            if not conditional_check_failed(error):
                raise
            # The wire's typed shape here ({"S": …}): error bodies are not converted.
            raw: dict[str, Any] = dict(error.response.get("Item") or {})
            return None, {name: unmarshal(value) for name, value in raw.items()}
        return dict(answer["Attributes"]), {}

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

        Moving on is conditional on the pending period still being the run's, so an older run
        finishing late never moves the dossier backwards, and on the run day and automatic
        retrieval being those the next due date is computed from (a settings save meanwhile: read
        again). A dossier that no longer exists is left alone.
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
        recorded = {"last_run": last.model_dump(mode="json"), "updated_at": utcnow().isoformat()}
        current: Dossier | None = dossier
        for _attempt in range(3):
            if current is None or not synced or run.period != current.pending_period:
                break
            advanced = current.model_copy(update={"pending_period": str(current.pending.next())})
            write = ItemUpdate(
                {**recorded, "last_synced_period": run.period}, [*recorded, "last_synced_period"]
            )
            write.take(
                _dossier_item(advanced), ["pending_period", *(("next_due",) if current.auto_pull else ())]
            )
            for name in DUE_INPUTS:
                write.expect(name, _dossier_item(current)[name])
            if self._apply(f"DOSSIER#{current.dossier_id}", write)[0] is not None:
                return
            current = self.get_dossier(current.dossier_id)
        # Not synced, or another run already moved the dossier on: still keep this run as the last one.
        self._apply(f"DOSSIER#{dossier.dossier_id}", ItemUpdate(recorded, recorded))

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
        except AwsServiceError as error:
            if not conditional_check_failed(error):
                raise
