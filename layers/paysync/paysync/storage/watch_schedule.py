"""Which synced periods are watched, and when each is next due: items ``WATCH#<dossier>#<period>``
in ConfigTable.

They share the sparse ``DueIndex`` with the dossiers under a partition of their own (``WATCH``):
the planner reads the watches due tonight with one query, as it reads the dossiers due. A watch
past its end loses its index attributes and is never read again.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from paysync.aws.conditions import Key
from paysync.aws.services import dynamodb

if TYPE_CHECKING:
    from paysync.aws.dynamodb import Table

WATCH_PARTITION = "WATCH"


@dataclass(frozen=True)
class WatchedPeriod:
    """A synced period under watch (its ``WATCH#`` item): the next night it is due, and its last."""

    dossier_id: str
    period: str
    watched_until: date  # the last night it is watched
    next_watch: date | None

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> WatchedPeriod:
        return cls(
            dossier_id=str(item["dossier_id"]),
            period=str(item["period"]),
            watched_until=date.fromisoformat(str(item["watched_until"])),
            next_watch=date.fromisoformat(str(item["next_due"])) if item.get("next_due") else None,
        )


def watch_key(dossier_id: str, period: str) -> str:
    return f"WATCH#{dossier_id}#{period}"


class WatchSchedule:
    def __init__(self, table_name: str) -> None:
        self._table: Table = dynamodb().Table(table_name)

    def start(self, dossier_id: str, period: str, *, first: date, until: date) -> None:
        """Watch the period from ``first`` to ``until`` (a sync again restarts it: the period's
        books changed)."""
        self._table.update_item(
            Key={"pk": watch_key(dossier_id, period)},
            UpdateExpression="SET entity = :e, dossier_id = :d, #p = :p, watched_until = :u, "
            "due_partition = :w, next_due = :n",
            ExpressionAttributeNames={"#p": "period"},
            ExpressionAttributeValues={
                ":e": "watch",
                ":d": dossier_id,
                ":p": period,
                ":u": until.isoformat(),
                ":w": WATCH_PARTITION,
                ":n": first.isoformat(),
            },
        )

    def due(self, night: date) -> Iterator[WatchedPeriod]:
        query: dict[str, Any] = {
            "IndexName": "DueIndex",
            "KeyConditionExpression": Key("due_partition").eq(WATCH_PARTITION)
            & Key("next_due").lte(night.isoformat()),
        }
        while True:
            page = self._table.query(**query)
            for item in page.get("Items", []):
                yield WatchedPeriod.from_item(dict(item))
            if "LastEvaluatedKey" not in page:
                return
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def get(self, dossier_id: str, period: str) -> WatchedPeriod | None:
        item = self._table.get_item(Key={"pk": watch_key(dossier_id, period)}).get("Item")
        return WatchedPeriod.from_item(dict(item)) if item else None

    def next_at(self, watched: WatchedPeriod, next_watch: date | None) -> None:
        """The next night it is watched; None (or past its end): no longer watched."""
        key = {"pk": watch_key(watched.dossier_id, watched.period)}
        if next_watch is None or next_watch > watched.watched_until:
            self._table.update_item(Key=key, UpdateExpression="REMOVE due_partition, next_due")
            return
        self._table.update_item(
            Key=key,
            UpdateExpression="SET next_due = :n",
            ExpressionAttributeValues={":n": next_watch.isoformat()},
        )
