"""Which periods paysync has attempted to post, per MyUnisoft society and payroll dossier: the
witness that lets a run skip the existence checks where nothing can exist yet.

One item per (society, payroll dossier number) in RunsTable, ``run_id`` =
``ATTEMPTS#<society_id>#<payroll number>`` (no ``dossier_id``: outside DossierIndex; no
``expires_at``: TTL never removes it), holding ``periods``: a map of each attempted period to the
start of its latest attempt. Keyed like the entries' partner ids (society and payroll number, not
the paysync dossier id), so a dossier deleted and set up again keeps its history.

Why here and not in the ledger: the witness must survive what it guards against, a ledger lost or
wiped (a restored backup, a table recreated). Why not the runs themselves: finding a dossier's
earlier runs of a period takes a DossierIndex query, eventually consistent (a run that has just
posted may not show yet) and bounded by the runs' retention; this item is read and written in
one strongly consistent, atomic update.

``begin`` records an attempt *before* its first POST and says, atomically, what was known before
it: of two runs beginning one period at once, exactly one learns "never attempted".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from paysync.aws.errors import AwsServiceError
from paysync.aws.services import dynamodb
from paysync.storage.dynamo import conditional_check_failed

if TYPE_CHECKING:
    from paysync.aws.dynamodb import Table

PREFIX = "ATTEMPTS#"


@dataclass(frozen=True)
class PriorAttempts:
    """What the witness knew of a period before this attempt.

    ``history``: False when nothing was recorded for the dossier at all (a dossier never synced
    since the witness exists, or whose history was lost): then nothing proves the period is new.
    ``last``: the start of the period's latest earlier attempt, None when there was none.
    """

    history: bool
    last: datetime | None = None

    @property
    def never_attempted(self) -> bool:
        return self.history and self.last is None


class PeriodAttempts:
    def __init__(self, table_name: str) -> None:
        self._table: Table = dynamodb().Table(table_name)

    @staticmethod
    def key(society_id: int, payroll_number: str) -> str:
        return f"{PREFIX}{society_id}#{payroll_number}"

    def begin(self, society_id: int, payroll_number: str, period: str, now: datetime) -> PriorAttempts:
        """Record an attempt of ``period`` starting ``now``; what was known before it."""
        key = {"run_id": self.key(society_id, payroll_number)}
        known = self._record(key, period, now)
        if known is not None:
            return known
        # No history yet: start it with this attempt. Nothing says the period is new.
        try:
            self._table.put_item(
                Item={**key, "periods": {period: now.isoformat()}, "since": now.isoformat()},
                ConditionExpression="attribute_not_exists(run_id)",
            )
        except AwsServiceError as error:
            if not conditional_check_failed(error):
                raise
            # Started meanwhile by another run: this attempt goes in it, but the history began
            # after it was asked for, so it still proves nothing.
            self._record(key, period, now)
        return PriorAttempts(history=False)

    def _record(self, key: dict[str, str], period: str, now: datetime) -> PriorAttempts | None:
        """Set the period's latest attempt in an existing history; None when there is none."""
        try:
            answer = self._table.update_item(
                Key=key,
                UpdateExpression="SET periods.#p = :now",
                ConditionExpression="attribute_exists(periods)",
                ExpressionAttributeNames={"#p": period},
                ExpressionAttributeValues={":now": now.isoformat()},
                ReturnValues="ALL_OLD",
            )
        except AwsServiceError as error:
            if conditional_check_failed(error):
                return None
            raise
        periods: Any = answer.get("Attributes", {}).get("periods") or {}
        last = periods.get(period)
        return PriorAttempts(history=True, last=datetime.fromisoformat(last) if last else None)

    def forget(self, society_id: int, payroll_number: str) -> None:
        """Drop the history (tests: the witness lost)."""
        self._table.delete_item(Key={"run_id": self.key(society_id, payroll_number)})
