"""What every DynamoDB table module needs: item conversion both ways, paginated queries, and the
error codes of conditional writes and transactions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from paysync.aws.dynamodb import Table
    from paysync.aws.errors import AwsServiceError


def to_item(data: Any) -> Any:
    """JSON-able data to DynamoDB values: floats become Decimal, empty strings in sets are dropped."""
    return json.loads(json.dumps(data), parse_float=Decimal)


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    """DynamoDB Decimals back to int/float for pydantic."""

    def convert(value: Any) -> Any:
        if isinstance(value, Decimal):
            return int(value) if value == value.to_integral_value() else float(value)
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        if isinstance(value, list):
            return [convert(v) for v in value]
        return value

    return {k: convert(v) for k, v in item.items()}


def query_pages(table: Table, **query: Any) -> Iterator[dict[str, Any]]:
    """Every page of a query, following ``LastEvaluatedKey``."""
    while True:
        page = table.query(**query)
        yield page
        if "LastEvaluatedKey" not in page:
            return
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def query_items(table: Table, **query: Any) -> Iterator[dict[str, Any]]:
    """Every item a query matches, page after page."""
    for page in query_pages(table, **query):
        yield from page["Items"]


def conditional_check_failed(error: AwsServiceError) -> bool:
    """A conditional write was refused: the item is not in the state the write expected."""
    return error.code == "ConditionalCheckFailedException"


def transaction_canceled(error: AwsServiceError) -> bool:
    """A transaction was refused as a whole (one of its conditions failed)."""
    return error.code == "TransactionCanceledException"
