"""The posted-entry ledger in LedgerTable (hash ``partner_id``: the entry's ``entry_origin_partner_id``).

How posting uses it is ``paysync.usecases.posting``; this module is the table's side of it: a claim
is one conditional write, a posted record is final, and a claim is given back only by its run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from paysync.aws.conditions import Attr, Condition
from paysync.aws.dynamodb import unmarshal
from paysync.aws.errors import AwsServiceError
from paysync.aws.services import dynamodb
from paysync.domain.period_states import PostedVersion
from paysync.storage.dynamo import conditional_check_failed, from_item

if TYPE_CHECKING:
    from paysync.aws.dynamodb import Table


@dataclass(frozen=True)
class LedgerRecord:
    """A ledger item: an entry claimed by a run, or posted for good (then with its MyUnisoft entry id)."""

    partner_id: str
    status: Literal["claimed", "posted"]
    run_id: str
    claimed_at: datetime
    entry_id: int | None = None
    request_id: str | None = None
    version: int | None = None
    fingerprint: str | None = None

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> LedgerRecord:
        plain = from_item(item)
        return cls(
            partner_id=plain["partner_id"],
            status=plain["status"],
            run_id=plain["run_id"],
            claimed_at=datetime.fromisoformat(plain["claimed_at"]),
            entry_id=plain.get("entry_id"),
            request_id=plain.get("request_id"),
            version=int(plain["version"]) if plain.get("version") is not None else None,
            fingerprint=plain.get("fingerprint"),
        )


@dataclass(frozen=True)
class Claim:
    """What a claim got: ``granted``, or the record in the way (``posted``, or another run's live
    ``claimed`` one). A granted claim's ``record`` is the unconfirmed claim it took over, if any
    (``taken_over``: an attempt that may have posted the entry)."""

    granted: bool
    record: LedgerRecord | None = None

    @property
    def taken_over(self) -> bool:
        return self.granted and self.record is not None

    @property
    def posted(self) -> LedgerRecord | None:
        return self.record if self.record is not None and self.record.status == "posted" else None


GRANTED = Claim(granted=True)


class Ledger:
    """What paysync has posted, keyed by ``entry_origin_partner_id``.

    Posting goes claim → (MyUnisoft lookup) → POST → mark posted. The claim is a conditional
    write: two runs racing on one entry cannot both hold it, and a posted entry is never claimed
    again. A claim left by a crash is taken over by its own run at once and by another run after
    its lease; the MyUnisoft lookup then finds what the crashed attempt posted.
    """

    def __init__(self, table_name: str) -> None:
        self._table: Table = dynamodb().Table(table_name)

    def get(self, partner_id: str) -> LedgerRecord | None:
        item = self._table.get_item(Key={"partner_id": partner_id}, ConsistentRead=True).get("Item")
        return LedgerRecord.from_item(item) if item else None

    def claim(
        self, partner_id: str, *, run_id: str, dossier_id: str, period: str, now: datetime, lease: timedelta
    ) -> Claim:
        """Claim the right to post this entry, in one write: granted when no record exists, or when
        the claim is this run's or older than ``lease``; else the record in the way."""
        free = Attr("partner_id").not_exists()
        ours_or_stale = Attr("run_id").eq(run_id) | Attr("claimed_at").lt((now - lease).isoformat())
        try:
            answer = self._table.put_item(
                Item={
                    "partner_id": partner_id,
                    "status": "claimed",
                    "run_id": run_id,
                    "dossier_id": dossier_id,
                    "period": period,
                    "claimed_at": now.isoformat(),
                },
                ConditionExpression=free | (_still_claimed() & ours_or_stale),
                ReturnValues="ALL_OLD",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except AwsServiceError as error:
            if not conditional_check_failed(error):
                raise
            old: Any = error.response.get("Item")  # the record in the way (ALL_OLD)
            if isinstance(old, dict) and old:
                plain = {key: unmarshal(value) for key, value in old.items()}
                return Claim(granted=False, record=LedgerRecord.from_item(plain))
            return Claim(granted=False, record=self.get(partner_id))
        taken: Any = answer.get("Attributes")
        return Claim(granted=True, record=LedgerRecord.from_item(taken)) if taken else GRANTED

    def mark_posted(
        self,
        partner_id: str,
        *,
        run_id: str,
        entry_id: int,
        request_id: str | None,
        now: datetime,
        version: PostedVersion | None = None,
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
        if version is not None:
            values[":version"], values[":fingerprint"] = version.version, version.fingerprint
            expression += ", version = :version, fingerprint = :fingerprint"
        self._table.update_item(
            Key={"partner_id": partner_id},
            UpdateExpression=expression,
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues=values,
        )

    def release(self, partner_id: str, *, run_id: str) -> None:
        """Give a claim back (nothing was sent, or it was refused): another run may try at once."""
        try:
            self._table.delete_item(
                Key={"partner_id": partner_id},
                ConditionExpression=_still_claimed() & Attr("run_id").eq(run_id),
            )
        except AwsServiceError as error:
            if not conditional_check_failed(error):
                raise

    # -- the period's record: every version posted, for the watch (paysync.usecases.watch) ---------
    def record_version(self, dossier_id: str, period: str, posted: PostedVersion) -> None:
        """Add one posted step to the period's record (``PERIOD#<dossier>#<period>``): one attribute
        per partner id, so writing it again (a retried run) is harmless and runs never overwrite
        each other's steps."""
        self._table.update_item(
            Key={"partner_id": period_key(dossier_id, period)},
            UpdateExpression="SET #step = :step",
            ExpressionAttributeNames={"#step": _STEP_PREFIX + posted.partner_id},
            ExpressionAttributeValues={":step": json.dumps(posted.as_json(), ensure_ascii=False)},
        )

    def period_versions(self, dossier_id: str, period: str) -> list[PostedVersion]:
        """Every step posted for the dossier's period (one consistent read)."""
        item = self._table.get_item(
            Key={"partner_id": period_key(dossier_id, period)}, ConsistentRead=True
        ).get("Item")
        return [
            PostedVersion.from_json(json.loads(str(value)))
            for name, value in (item or {}).items()
            if name.startswith(_STEP_PREFIX)
        ]


_STEP_PREFIX = "step#"


def period_key(dossier_id: str, period: str) -> str:
    """The period record's key; no partner id starts with ``PERIOD#``."""
    return f"PERIOD#{dossier_id}#{period}"


def _still_claimed() -> Condition:
    """Not posted: a posted record is final, never claimed nor released again."""
    return Attr("status").eq("claimed")
