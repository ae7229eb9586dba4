"""Every store the API writes, as data, for before/after comparisons; and a failure injected into
the N-th write a request makes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest

from paysync.aws.errors import AwsServiceError
from paysync.aws.wire import AwsService, Request

WRITES = frozenset(
    {
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "TransactWriteItems",
        "BatchWriteItem",
        "CreateSecret",
        "PutSecretValue",
        "DeleteSecret",
        "UpdateSecretVersionStage",
        "SendMessage",
    }
)


def snapshot(*, versions: bool = True) -> dict[str, Any]:
    """Every item of every DynamoDB table, and every secret: its current value and (``versions``)
    which version carries which label. Nothing written since: equal snapshots."""
    dynamodb = boto3.client("dynamodb")
    tables: dict[str, list[str]] = {}
    for name in dynamodb.list_tables()["TableNames"]:
        items = [
            item
            for page in dynamodb.get_paginator("scan").paginate(TableName=name, ConsistentRead=True)
            for item in page["Items"]
        ]
        tables[name] = sorted(json.dumps(item, sort_keys=True) for item in items)
    manager = boto3.client("secretsmanager")
    secrets: dict[str, Any] = {}
    for page in manager.get_paginator("list_secrets").paginate():
        for entry in page["SecretList"]:
            name = entry["Name"]
            value = manager.get_secret_value(SecretId=name)["SecretString"]
            described = manager.describe_secret(SecretId=name)
            stages = {v: sorted(s) for v, s in described.get("VersionIdsToStages", {}).items()}
            secrets[name] = {"value": value, **({"versions": stages} if versions else {})}
    return {"tables": tables, "secrets": secrets}


class Failing:
    """Counts the writes to AWS and fails the ``at``-th one (once: undoing must still work)."""

    def __init__(self) -> None:
        self.at: int | None = None
        self.count = 0
        self.failed = False

    def arm(self, at: int) -> None:
        self.at, self.count, self.failed = at, 0, False


@contextmanager
def failing_writes(monkeypatch: pytest.MonkeyPatch) -> Iterator[Failing]:
    failing = Failing()
    original = AwsService.send

    def send(service: AwsService, request: Request) -> dict[str, Any]:
        if request.operation in WRITES and failing.at is not None and not failing.failed:
            failing.count += 1
            if failing.count == failing.at:
                failing.failed = True
                raise AwsServiceError(
                    service.spec.name,
                    request.operation,
                    status=500,
                    code="InternalServerError",
                    message="injected",
                    body={},
                )
        return original(service, request)

    monkeypatch.setattr(AwsService, "send", send)
    yield failing
