"""Where in-process moto's cost grows with the size of a table or a queue, put right (process-wide,
idempotent), answers unchanged: what the 2 000-dossier night of ``make bench`` needs.

- **Query**: moto sorts every item of the table (comparing ``DynamoType`` values, each a cast) and
  then filters them, for every query, so a query per dossier on a table that grows with the night
  is quadratic. Its results are sorted again once filtered, so the first sort is dropped, and a
  query on the table's own key reads its partition only, as DynamoDB does.
- **TransactWriteItems**: moto backs up every table a transaction touches with a deep copy, to
  restore it if the transaction is cancelled: one transaction per planned run copied the whole
  runs table. Here only the items the transaction names are copied, and put back on cancellation.
- **SendMessage, ReceiveMessage**: to read the queue's deduplication setting for each message sent,
  and its retention period for each message received, moto computes every attribute of the queue,
  three of which count the queue's messages. Here sending skips the counts (it never answers
  them) and receiving reads the retention period alone.

Each patch keeps moto's own code for the work and changes only what it reads or copies; the tests
of ``tests/unit/test_moto_speed.py`` hold the answers to moto's unpatched ones.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator, Mapping
from typing import Any

_lock = threading.Lock()
_installed = False
# The query being answered in this thread: (table, partition key or None for every partition).
_scope = threading.local()


def install() -> None:
    global _installed  # noqa: PLW0603 - once per process
    with _lock:
        if _installed:
            return
        from moto.dynamodb.models import DynamoDBBackend
        from moto.dynamodb.models.table import Table
        from moto.sqs.models import Queue, SQSBackend

        _patch_query(Table)
        _patch_transactions(DynamoDBBackend)
        _patch_retention(SQSBackend)
        _patch_sending(SQSBackend, Queue)
        _installed = True


# ------------------------------------------------------------------ query


def _patch_query(table_class: Any) -> None:
    query, all_items = table_class.query, table_class.all_items

    def scoped_query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        # moto's signature: (hash_key, range_comparison, range_objs, limit, exclusive_start_key,
        # scan_index_forward, projection_expressions, index_name=None, ...)
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        own_key = index_name is None and hash_key is not None
        _scope.query = (self, hash_key if own_key else None)
        try:
            return query(self, hash_key, *args, **kwargs)
        finally:
            _scope.query = None

    def items_for_query(self: Any) -> list[Any]:
        scope = getattr(_scope, "query", None)
        if scope is None or scope[0] is not self:
            return list(all_items(self))  # a scan, or moto's own use: sorted, as moto does
        partition = scope[1]
        if partition is None:
            return list(_items(self, self.items.values()))
        found = self.items.get(partition)  # .get: never add a key to moto's defaultdict
        return [] if found is None else list(_items(self, [found]))

    table_class.query = scoped_query
    table_class.all_items = items_for_query


def _items(table: Any, partitions: Any) -> Iterator[Any]:
    for partition in partitions:
        if table.range_key_attr:
            yield from partition.values()
        else:
            yield partition


# ------------------------------------------------------------------ transactions


# In this thread, moto is backing up a transaction's tables: its "copy" is the table itself, the
# items the transaction names being saved apart.
_backing_up = threading.local()


def _patch_transactions(backend_class: Any) -> None:
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    transact = backend_class.transact_write_items

    def table_deepcopy(self: Any, memo: dict[int, Any]) -> Any:
        if getattr(_backing_up, "on", False):
            return self  # moto's backup: the items it may need are saved by the caller below
        # Any other deep copy: Python's own, as without this method.
        return copy._reconstruct(self, memo, *self.__reduce_ex__(4))  # type: ignore[attr-defined]

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> Any:
        saved: list[tuple[Any, Any, Any, Any]] = []  # (table, hash, range, item copy or None)
        for entry in transact_items:
            op = next(iter(entry.values()), None)
            if not isinstance(op, Mapping) or op.get("TableName") not in self.tables:
                continue
            table = self.tables[op["TableName"]]
            key = op.get("Item") if "Item" in op else op.get("Key")
            if not isinstance(key, Mapping) or table.hash_key_attr not in key:
                continue
            try:
                hash_key = DynamoType(key[table.hash_key_attr])
                range_key = None
                if table.range_key_attr is not None:
                    range_key = DynamoType(key[table.range_key_attr])
                current = _current(table, hash_key, range_key)
            except (KeyError, TypeError):  # not a key moto accepts: it refuses the transaction
                continue
            saved.append((table, hash_key, range_key, copy.deepcopy(current)))
        _backing_up.on = True
        try:
            return transact(self, transact_items)
        except BaseException:
            for table, hash_key, range_key, item in reversed(saved):
                _restore(table, hash_key, range_key, item)
            raise
        finally:
            _backing_up.on = False

    Table.__deepcopy__ = table_deepcopy  # type: ignore[attr-defined]
    backend_class.transact_write_items = transact_write_items


def _current(table: Any, hash_key: Any, range_key: Any) -> Any:
    found = table.items.get(hash_key)
    if range_key is None or found is None:
        return found
    return found.get(range_key)


def _restore(table: Any, hash_key: Any, range_key: Any, item: Any) -> None:
    if range_key is None:
        if item is None:
            table.items.pop(hash_key, None)
        else:
            table.items[hash_key] = item
        return
    partition = table.items.get(hash_key)
    if item is None:
        if partition is not None:
            partition.pop(range_key, None)
            if not partition:
                table.items.pop(hash_key, None)
    else:
        table.items[hash_key][range_key] = item


# ------------------------------------------------------------------ SQS retention


def _patch_retention(backend_class: Any) -> None:
    from moto.core.utils import unix_time

    def is_message_valid_based_on_retention_period(self: Any, queue_name: str, message: Any) -> bool:
        retention = int(self.get_queue(queue_name).message_retention_period)
        return bool(retention + message.sent_timestamp / 1000 > unix_time())

    backend_class.is_message_valid_based_on_retention_period = is_message_valid_based_on_retention_period


_sending = threading.local()
_COUNTS = (
    "approximate_number_of_messages",
    "approximate_number_of_messages_delayed",
    "approximate_number_of_messages_not_visible",
)


def _patch_sending(backend_class: Any, queue_class: Any) -> None:
    def sending(send: Any) -> Any:
        def uncounted_send(self: Any, *args: Any, **kwargs: Any) -> Any:
            already = getattr(_sending, "on", False)
            _sending.on = True
            try:
                return send(self, *args, **kwargs)
            finally:
                _sending.on = already

        return uncounted_send

    def uncounted(count: Any) -> property:
        def read(self: Any) -> Any:
            return 0 if getattr(_sending, "on", False) else count(self)

        return property(read)

    for name in _COUNTS:
        setattr(queue_class, name, uncounted(getattr(queue_class, name).fget))
    backend_class.send_message = sending(backend_class.send_message)
    backend_class.send_message_batch = sending(backend_class.send_message_batch)
