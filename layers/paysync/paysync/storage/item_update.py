"""One DynamoDB UpdateItem built from an item's values: the attributes to set (removed when the item
has none), conditions on stored values, always the item's existence. Names and values are bound as
placeholders, so no attribute name or value ever needs quoting."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from paysync.storage.dynamo import to_item


class ItemUpdate:
    def __init__(self, item: dict[str, Any], names: Iterable[str]) -> None:
        self.values: dict[str, Any] = {}
        self.removed: set[str] = set()
        self._conditions: list[str] = ["attribute_exists(pk)"]
        self._names: dict[str, str] = {}
        self._bound: dict[str, Any] = {}
        self.take(item, names)

    def take(self, item: dict[str, Any], names: Iterable[str]) -> None:
        """Set ``names`` to their values in ``item``; those it lacks are removed."""
        for name in names:
            if item.get(name) is None:
                self.removed.add(name)
            else:
                self.values[name] = item[name]

    def remove(self, name: str) -> None:
        self.removed.add(name)

    def expect(self, name: str, value: Any) -> None:
        """Only while the stored ``name`` is still ``value`` (None: while it has none)."""
        if value is None:
            self._conditions.append(f"attribute_not_exists({self._name(name)})")
        else:
            self._conditions.append(f"{self._name(name)} = {self._value(value)}")

    def expect_before(self, name: str, limit: Any) -> None:
        """Only while the stored ``name`` is absent or lower than ``limit``."""
        ref = self._name(name)
        self._conditions.append(f"(attribute_not_exists({ref}) OR {ref} < {self._value(limit)})")

    def arguments(self) -> dict[str, Any]:
        """The UpdateExpression, ConditionExpression and their placeholders, for ``update_item``."""
        clauses = []
        if self.values:
            sets = ", ".join(f"{self._name(k)} = {self._value(v)}" for k, v in self.values.items())
            clauses.append(f"SET {sets}")
        removed = sorted(self.removed - set(self.values))
        if removed:
            clauses.append("REMOVE " + ", ".join(self._name(k) for k in removed))
        arguments: dict[str, Any] = {
            "UpdateExpression": " ".join(clauses),
            "ConditionExpression": " AND ".join(self._conditions),
            "ExpressionAttributeNames": dict(self._names),
        }
        if self._bound:
            arguments["ExpressionAttributeValues"] = dict(self._bound)
        return arguments

    def _name(self, attribute: str) -> str:
        for key, known in self._names.items():
            if known == attribute:
                return key
        key = f"#n{len(self._names)}"
        self._names[key] = attribute
        return key

    def _value(self, value: Any) -> str:
        key = f":v{len(self._bound)}"
        self._bound[key] = to_item(value)
        return key
