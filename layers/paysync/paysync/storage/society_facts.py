"""What paysync knows of a MyUnisoft society between runs: its OD PAIE journal, its fiscal years and
its chart of accounts, each with the time it was fetched.

Table SocietyFactsTable: hash ``society_id`` (a number), one item per society. Each fact is its own
pair of attributes (``<fact>``, ``<fact>_fetched_at``), written alone with ``UpdateItem``, so
refreshing one never touches the others. A write never replaces a fact fetched later than itself
(two runs refreshing at once keep the newer). ``forget`` removes facts that are in doubt; a run
then fetches them again.

The chart is stored as zlib-compressed JSON (a 5 000-account chart is about 60 KB): DynamoDB items
stop at 400 KB. A chart still too large after compression is not kept (and any older one is
removed), so such a society has its chart read on every run, as before the cache.

When a fact is too old (``SOCIETY_FACTS_MAX_AGE_DAYS``) or contradicted is the caller's to decide:
:meth:`Fact.is_fresh` only tells its age against a maximum.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Generic, Literal, NamedTuple, TypeVar

from paysync.aws.errors import AwsServiceError
from paysync.aws.services import dynamodb
from paysync.domain.accounts import ChartAccount
from paysync.observability import logger
from paysync.storage.dynamo import conditional_check_failed, from_item

if TYPE_CHECKING:
    from paysync.aws.dynamodb import Table

FactName = Literal["journal", "fiscal_years", "chart"]
FACTS: tuple[FactName, ...] = ("journal", "fiscal_years", "chart")
# Below DynamoDB's 400 KB per item, with room for the journal and the fiscal years.
CHART_MAX_BYTES = 350_000
# Clocks of two containers may disagree a little: a fetch "from the future" by less is fresh.
CLOCK_SKEW = timedelta(minutes=5)

T = TypeVar("T")


class PayrollJournal(NamedTuple):  # not a dataclass: cheaper to define at a cold start
    """The society's OD PAIE journal (``GET /diary``, ``diary_type_code`` ``OD_PAIE``)."""

    diary_id: int
    code: str


class FiscalYear(NamedTuple):  # not a dataclass: cheaper to define at a cold start
    """A fiscal year (``GET /society/exercice``)."""

    exercice_id: int
    start: date
    end: date
    closed: bool

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True)
class Fact(Generic[T]):
    """One fact known of a society and when it was fetched, so that its age can be judged."""

    value: T
    fetched_at: datetime

    def age(self, now: datetime) -> timedelta:
        return now - self.fetched_at

    def is_fresh(self, now: datetime, max_age: timedelta) -> bool:
        """Fetched at most ``max_age`` ago (a zero ``max_age`` makes every fact stale)."""
        return max_age > timedelta(0) and -CLOCK_SKEW <= self.age(now) <= max_age


class SocietyFacts(NamedTuple):  # not a dataclass: cheaper to define at a cold start
    """A society's known facts; each None when never fetched (or forgotten)."""

    society_id: int
    journal: Fact[PayrollJournal] | None = None
    fiscal_years: Fact[tuple[FiscalYear, ...]] | None = None
    chart: Fact[tuple[ChartAccount, ...]] | None = None


def _timestamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("a fetch time must be timezone-aware")
    # One format, in UTC: the conditional writes compare these texts.
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def encode_chart(chart: tuple[ChartAccount, ...] | list[ChartAccount]) -> bytes:
    rows = [[a.account_id, a.number, a.label] for a in chart]
    return zlib.compress(json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def decode_chart(data: bytes) -> tuple[ChartAccount, ...]:
    rows = json.loads(zlib.decompress(data).decode("utf-8"))
    return tuple(ChartAccount(int(row[0]), str(row[1]), str(row[2])) for row in rows)


class SocietyFactsRepository:
    def __init__(self, table_name: str) -> None:
        self._table: Table = dynamodb().Table(table_name)

    def get(self, society_id: int) -> SocietyFacts:
        item = self._table.get_item(Key={"society_id": society_id}, ConsistentRead=True).get("Item")
        if item is None:
            return SocietyFacts(society_id)
        chart = item.get("chart")
        data = from_item({k: v for k, v in item.items() if k != "chart"})
        return SocietyFacts(
            society_id=society_id,
            journal=self._fact(
                data,
                "journal",
                lambda j: PayrollJournal(int(j["diary_id"]), str(j["code"])),
            ),
            fiscal_years=self._fact(
                data,
                "fiscal_years",
                lambda years: tuple(
                    FiscalYear(
                        int(y["exercice_id"]),
                        date.fromisoformat(y["start"]),
                        date.fromisoformat(y["end"]),
                        bool(y["closed"]),
                    )
                    for y in years
                ),
            ),
            chart=self._fact({**data, "chart": chart}, "chart", lambda c: decode_chart(bytes(c))),
        )

    @staticmethod
    def _fact(data: dict[str, Any], name: FactName, read: Callable[[Any], T]) -> Fact[T] | None:
        if name not in data or f"{name}_fetched_at" not in data:
            return None
        return Fact(read(data[name]), datetime.fromisoformat(data[f"{name}_fetched_at"]))

    def save_journal(self, society_id: int, journal: PayrollJournal, fetched_at: datetime) -> bool:
        value = {"diary_id": journal.diary_id, "code": journal.code}
        return self._save(society_id, "journal", value, fetched_at)

    def save_fiscal_years(
        self, society_id: int, years: tuple[FiscalYear, ...] | list[FiscalYear], fetched_at: datetime
    ) -> bool:
        value = [
            {
                "exercice_id": y.exercice_id,
                "start": y.start.isoformat(),
                "end": y.end.isoformat(),
                "closed": y.closed,
            }
            for y in years
        ]
        return self._save(society_id, "fiscal_years", value, fetched_at)

    def save_chart(
        self, society_id: int, chart: tuple[ChartAccount, ...] | list[ChartAccount], fetched_at: datetime
    ) -> bool:
        """Keep the chart; False when a later fetch is already kept, or when it is too large (then
        no chart is kept for the society)."""
        data = encode_chart(chart)
        if len(data) > CHART_MAX_BYTES:
            logger.warning(
                "chart of accounts too large to keep between runs",
                extra={"society_id": society_id, "accounts": len(chart), "compressed_bytes": len(data)},
            )
            self.forget(society_id, "chart")
            return False
        return self._save(society_id, "chart", data, fetched_at)

    def _save(self, society_id: int, name: FactName, value: Any, fetched_at: datetime) -> bool:
        stamp = _timestamp(fetched_at)
        try:
            self._table.update_item(
                Key={"society_id": society_id},
                UpdateExpression="SET #fact = :value, #at = :at",
                ConditionExpression="attribute_not_exists(#at) OR #at <= :at",
                ExpressionAttributeNames={"#fact": name, "#at": f"{name}_fetched_at"},
                ExpressionAttributeValues={":value": value, ":at": stamp},
            )
        except AwsServiceError as error:
            if conditional_check_failed(error):
                return False  # a later fetch is kept already
            raise
        return True

    def forget(self, society_id: int, *names: FactName) -> None:
        """Remove facts in doubt (all three when none is named): the next run fetches them."""
        names = names or FACTS
        removed = ", ".join(f"#f{n}, #a{n}" for n in range(len(names)))
        attributes: dict[str, str] = {f"#f{n}": name for n, name in enumerate(names)}
        attributes |= {f"#a{n}": f"{name}_fetched_at" for n, name in enumerate(names)}
        try:
            self._table.update_item(
                Key={"society_id": society_id},
                UpdateExpression=f"REMOVE {removed}",
                ConditionExpression="attribute_exists(society_id)",  # never creates an empty item
                ExpressionAttributeNames=attributes,
            )
        except AwsServiceError as error:
            if not conditional_check_failed(error):
                raise
