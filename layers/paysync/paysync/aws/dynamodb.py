"""DynamoDB tables over the JSON protocol, used like boto3's ``Table`` resource.

A :class:`Table` takes and gives plain Python values (numbers as ``Decimal``, as boto3 gives them),
and accepts :mod:`paysync.aws.conditions` objects where boto3 accepts its own; the storage modules
call it with the same keyword arguments as boto3's resource, so each reads as DynamoDB's own API.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from decimal import Clamped, Context, Decimal, Inexact, Overflow, Rounded, Underflow
from typing import Any

from paysync.aws.conditions import Condition
from paysync.aws.wire import AwsService, ServiceSpec

SPEC = ServiceSpec("dynamodb", "DYNAMODB", "dynamodb", "dynamodb", max_attempts=10, backoff_base=0.05)
_TARGET = "DynamoDB_20120810"
# DynamoDB's numbers: 38 digits, exponent within [-130, 125]; boto3 refuses what would be rounded.
_NUMBERS = Context(Emin=-128, Emax=126, prec=38, traps=[Clamped, Overflow, Inexact, Rounded, Underflow])
_EXPRESSIONS = ("ConditionExpression", "KeyConditionExpression", "FilterExpression")


def marshal(value: Any) -> dict[str, Any]:
    """One Python value as a DynamoDB attribute value (``{"S": ...}``, ``{"N": ...}``, ...)."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | Decimal):
        return {"N": _number(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, bytes | bytearray):
        return {"B": base64.b64encode(value).decode()}
    if isinstance(value, set | frozenset):
        if not value:
            raise ValueError("DynamoDB has no empty sets")
        if all(isinstance(v, str) for v in value):
            return {"SS": sorted(value)}
        if all(isinstance(v, int | Decimal) and not isinstance(v, bool) for v in value):
            return {"NS": sorted(_number(v) for v in value)}
        if all(isinstance(v, bytes) for v in value):
            return {"BS": sorted(base64.b64encode(v).decode() for v in value)}
        raise TypeError("a DynamoDB set holds strings, numbers or bytes, all of one kind")
    if isinstance(value, Mapping):
        return {"M": marshal_map(value)}
    if isinstance(value, list | tuple):
        return {"L": [marshal(v) for v in value]}
    raise TypeError(f"{type(value).__name__} is not a DynamoDB type (floats go as Decimal)")


def _number(value: int | Decimal) -> str:
    number = str(_NUMBERS.create_decimal(value))
    if number in ("Infinity", "-Infinity", "NaN", "sNaN"):
        raise TypeError(f"{number} is not a DynamoDB number")
    return number


def marshal_map(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: marshal(value) for name, value in item.items()}


def unmarshal(value: Mapping[str, Any]) -> Any:
    """One DynamoDB attribute value as Python (numbers as ``Decimal``, sets as ``set``)."""
    (kind, data), *_ = value.items()
    if kind == "S":
        return data
    if kind == "N":
        return _NUMBERS.create_decimal(data)
    if kind == "BOOL":
        return bool(data)
    if kind == "NULL":
        return None
    if kind == "M":
        return unmarshal_map(data)
    if kind == "L":
        return [unmarshal(v) for v in data]
    if kind == "SS":
        return set(data)
    if kind == "NS":
        return {_NUMBERS.create_decimal(v) for v in data}
    if kind == "B":
        return base64.b64decode(data)
    if kind == "BS":
        return {base64.b64decode(v) for v in data}
    raise ValueError(f"unknown DynamoDB type {kind}")


def unmarshal_map(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: unmarshal(value) for name, value in item.items()}


def _request(table: str | None, arguments: Mapping[str, Any]) -> dict[str, Any]:
    """boto3-resource-style arguments as the wire's: values typed, condition objects rendered."""
    request: dict[str, Any] = {"TableName": table} if table else {}
    names: dict[str, str] = dict(arguments.get("ExpressionAttributeNames") or {})
    values: dict[str, Any] = dict(arguments.get("ExpressionAttributeValues") or {})
    for name, value in arguments.items():
        if name in ("ExpressionAttributeNames", "ExpressionAttributeValues"):
            continue
        if name in _EXPRESSIONS and isinstance(value, Condition):
            request[name] = value.render(names, values)
        elif name in ("Item", "Key", "ExclusiveStartKey"):
            request[name] = marshal_map(value)
        else:
            request[name] = value
    if names:
        request["ExpressionAttributeNames"] = names
    if values:
        request["ExpressionAttributeValues"] = marshal_map(values)
    return request


def _answer(answer: dict[str, Any]) -> dict[str, Any]:
    for name in ("Item", "Attributes", "LastEvaluatedKey"):
        if name in answer:
            answer[name] = unmarshal_map(answer[name])
    if "Items" in answer:
        answer["Items"] = [unmarshal_map(item) for item in answer["Items"]]
    return answer


class DynamoDB:
    """The service: tables, and transactions across them."""

    def __init__(self, service: AwsService | None = None) -> None:
        self.service = service or AwsService(SPEC)

    def call(self, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        return _answer(self.service.json_call(operation, request, target=_TARGET, version="1.0"))

    def Table(self, name: str) -> Table:  # noqa: N802 - boto3's name, so call sites read the same
        return Table(self, name)

    def transact_write_items(self, *, TransactItems: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803
        actions = [{kind: _request(None, action) for kind, action in item.items()} for item in TransactItems]
        return self.call("TransactWriteItems", {"TransactItems": actions})


class Table:
    """One table, with boto3's ``Table`` methods and arguments (the subset paysync uses)."""

    def __init__(self, dynamodb: DynamoDB, name: str) -> None:
        self._dynamodb = dynamodb
        self.name = name

    def _call(self, operation: str, arguments: Mapping[str, Any]) -> dict[str, Any]:
        return self._dynamodb.call(operation, _request(self.name, arguments))

    def get_item(self, **arguments: Any) -> dict[str, Any]:
        return self._call("GetItem", arguments)

    def put_item(self, **arguments: Any) -> dict[str, Any]:
        return self._call("PutItem", arguments)

    def update_item(self, **arguments: Any) -> dict[str, Any]:
        return self._call("UpdateItem", arguments)

    def delete_item(self, **arguments: Any) -> dict[str, Any]:
        return self._call("DeleteItem", arguments)

    def query(self, **arguments: Any) -> dict[str, Any]:
        return self._call("Query", arguments)

    def scan(self, **arguments: Any) -> dict[str, Any]:
        return self._call("Scan", arguments)

    def transact_write_items(self, *, TransactItems: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803
        """Transactions name their tables in each action, as in boto3's ``meta.client``."""
        return self._dynamodb.transact_write_items(TransactItems=TransactItems)
