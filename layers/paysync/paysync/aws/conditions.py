"""Condition and key-condition expressions built from Python, as boto3's ``Attr``/``Key`` build them.

``Attr("status").eq("claimed") & Attr("run_id").eq(run)`` renders to
``(#n0 = :v0 AND #n1 = :v1)`` with the names and values beside it, so no attribute name ever
collides with a DynamoDB reserved word and no value is written into the expression.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class Condition:
    def __and__(self, other: Condition) -> Condition:
        return _Join("AND", self, other)

    def __or__(self, other: Condition) -> Condition:
        return _Join("OR", self, other)

    def __invert__(self) -> Condition:
        return _Not(self)

    def render(self, names: dict[str, str], values: dict[str, Any]) -> str:
        raise NotImplementedError


def _name(path: str, names: dict[str, str]) -> str:
    parts = []
    for part in path.split("."):
        placeholder = next((k for k, v in names.items() if v == part and k.startswith("#n")), None)
        if placeholder is None:
            placeholder = f"#n{len(names)}"
            names[placeholder] = part
        parts.append(placeholder)
    return ".".join(parts)


def _value(value: Any, values: dict[str, Any]) -> str:
    placeholder = f":v{len(values)}"
    values[placeholder] = value
    return placeholder


@dataclass(frozen=True)
class _Compare(Condition):
    """A test of one attribute: a comparison, BETWEEN, IN, or a function such as ``begins_with``."""

    path: str
    operator: str
    operands: tuple[Any, ...] = ()

    def render(self, names: dict[str, str], values: dict[str, Any]) -> str:
        name = _name(self.path, names)
        if self.operator in ("attribute_exists", "attribute_not_exists"):
            return f"{self.operator}({name})"
        if self.operator == "begins_with":
            return f"begins_with({name}, {_value(self.operands[0], values)})"
        if self.operator == "BETWEEN":
            low, high = (_value(v, values) for v in self.operands)
            return f"{name} BETWEEN {low} AND {high}"
        if self.operator == "IN":
            return f"{name} IN ({', '.join(_value(v, values) for v in self.operands)})"
        return f"{name} {self.operator} {_value(self.operands[0], values)}"


@dataclass(frozen=True)
class _Join(Condition):
    """Two conditions joined by AND or OR."""

    operator: str
    left: Condition
    right: Condition

    def render(self, names: dict[str, str], values: dict[str, Any]) -> str:
        return f"({self.left.render(names, values)} {self.operator} {self.right.render(names, values)})"


@dataclass(frozen=True)
class _Not(Condition):
    """The negation of a condition."""

    inner: Condition

    def render(self, names: dict[str, str], values: dict[str, Any]) -> str:
        return f"(NOT {self.inner.render(names, values)})"


class Key:
    """A key attribute, for ``KeyConditionExpression``."""

    def __init__(self, name: str) -> None:
        self.name = name

    def eq(self, value: Any) -> Condition:
        return _Compare(self.name, "=", (value,))

    def lt(self, value: Any) -> Condition:
        return _Compare(self.name, "<", (value,))

    def lte(self, value: Any) -> Condition:
        return _Compare(self.name, "<=", (value,))

    def gt(self, value: Any) -> Condition:
        return _Compare(self.name, ">", (value,))

    def gte(self, value: Any) -> Condition:
        return _Compare(self.name, ">=", (value,))

    def between(self, low: Any, high: Any) -> Condition:
        return _Compare(self.name, "BETWEEN", (low, high))

    def begins_with(self, prefix: str) -> Condition:
        return _Compare(self.name, "begins_with", (prefix,))


class Attr(Key):
    """Any attribute, for ``ConditionExpression``/``FilterExpression``."""

    def ne(self, value: Any) -> Condition:
        return _Compare(self.name, "<>", (value,))

    def exists(self) -> Condition:
        return _Compare(self.name, "attribute_exists")

    def not_exists(self) -> Condition:
        return _Compare(self.name, "attribute_not_exists")

    def is_in(self, values: list[Any] | tuple[Any, ...]) -> Condition:
        return _Compare(self.name, "IN", tuple(values))
