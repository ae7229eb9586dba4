"""Benchmark 4: how many DynamoDB items ``nightly_pull`` reads, per due dossier.

10 000 configured dossiers (written with batch writes), a few hundred of them due tonight; the same
due dossiers among 2 000 show that the cost does not grow with the total. Items are counted where
paysync's DynamoDB client receives them, for every read of the invocation: a Query or Scan counts its
``ScannedCount`` (what DynamoDB bills: items evaluated, before any filter), a GetItem 1 when it
finds the item, a BatchGetItem the items it returns.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from typing import Any

from benchmarks.common import Result, say, verdict
from benchmarks.stack import TimeScale, scaled_stack
from benchmarks.world import seed_planning
from paysync.aws.wire import Request, Response, Transport

NIGHT = date(2026, 11, 21)


class ReadCounter:
    """Counts DynamoDB items read through paysync's DynamoDB client, by operation: it stands between
    the client and its transport."""

    def __init__(self, transport: Transport) -> None:
        self.items: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        self._transport = transport

    def send(self, url: str, request: Request) -> Response:
        answer = self._transport.send(url, request)
        if answer.status < 300:
            self.count(request.operation, json.loads(answer.body or b"{}"))
        return answer

    def count(self, operation: str, parsed: dict[str, Any]) -> None:
        self.calls[operation] += 1
        if operation in ("Query", "Scan"):
            self.items[operation] += int(parsed.get("ScannedCount", parsed.get("Count", 0)))
        elif operation == "GetItem":
            self.items[operation] += 1 if parsed.get("Item") else 0
        elif operation == "BatchGetItem":
            self.items[operation] += sum(len(v) for v in (parsed.get("Responses") or {}).values())

    @property
    def total(self) -> int:
        return sum(self.items.values())


def measure(total: int, due: int) -> dict[str, Any]:
    with scaled_stack(TimeScale(1), latency=False) as stack:
        indexed = seed_planning(stack.resources.name("ConfigTable"), NIGHT, total=total, due=due)
        from functions.nightly_pull import app
        from local.lambda_runtime import fake_context
        from paysync.aws.services import dynamodb

        service = dynamodb().service
        transport = service.transport
        service.transport = counter = ReadCounter(transport)
        try:
            plan = app.handler({"kind": "nightly", "night": NIGHT.isoformat()}, fake_context("NightlyPull"))
        finally:
            service.transport = transport
        return {
            "configured": total,
            "with_automatic_retrieval": indexed,
            "due": plan["due"],
            "queued": plan["created"],
            "items_read": counter.total,
            "items_read_by_operation": dict(counter.items),
            "calls_by_operation": dict(counter.calls),
            "reads_per_due": counter.total / max(plan["due"], 1),
        }


def run_planning(total: int = 10_000, smaller: int = 2_000, due: int = 300) -> list[Result]:
    say(f"  planning: {total} dossiers, {due} due")
    large = measure(total, due)
    say(f"  planning: {smaller} dossiers, {due} due")
    small = measure(smaller, due)
    ok = (
        large["due"] == due
        and small["due"] == due
        and large["queued"] == due
        and large["reads_per_due"] <= small["reads_per_due"] * 1.05
    )
    return [
        Result(
            name=f"4. nightly planning: items read / due ({total} dossiers)",
            value=round(large["reads_per_due"], 3),
            unit="items",
            goal=f"not above the {smaller}-dossier run",
            compared_with=f"same, {smaller} dossiers",
            bound=round(small["reads_per_due"], 3),
            verdict=verdict(ok),
            details={"large": large, "small": small},
        )
    ]
