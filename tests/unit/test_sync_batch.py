"""The worker's SQS batch: every record tried, only the failed ones handed back, and a batch whose
every record failed fails as a whole (SQS then gives it back, and counts a receive for each)."""

from __future__ import annotations

from typing import Any

import pytest

from paysync import entrypoints
from paysync.entrypoints import BatchFailedError, sync_batch


def _record(message_id: str, body: str, receives: int = 1) -> dict[str, Any]:
    return {
        "messageId": message_id,
        "body": body,
        "attributes": {"ApproximateReceiveCount": str(receives), "MessageGroupId": "firm-a"},
    }


@pytest.fixture
def synced(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    calls: list[tuple[str, int]] = []

    def sync_message(body: str, receive_count: int) -> None:
        calls.append((body, receive_count))
        if body.startswith("bad"):
            raise RuntimeError(f"{body} refused")

    monkeypatch.setattr(entrypoints, "sync_message", sync_message)
    return calls


def test_every_record_is_tried_and_only_the_failed_ones_go_back(synced: list[tuple[str, int]]) -> None:
    event = {"Records": [_record("m1", "bad-1", 3), _record("m2", "good-2"), _record("m3", "bad-3")]}
    assert sync_batch(event) == {"batchItemFailures": [{"itemIdentifier": "m1"}, {"itemIdentifier": "m3"}]}
    assert synced == [("bad-1", 3), ("good-2", 1), ("bad-3", 1)]


def test_a_batch_that_succeeds_hands_nothing_back(synced: list[tuple[str, int]]) -> None:
    assert sync_batch({"Records": [_record("m1", "good-1")]}) == {"batchItemFailures": []}
    assert sync_batch({"Records": []}) == {"batchItemFailures": []}


def test_a_batch_whose_every_record_failed_fails(synced: list[tuple[str, int]]) -> None:
    with pytest.raises(BatchFailedError, match=r"^All 2 records failed processing: RuntimeError: bad-1"):
        sync_batch({"Records": [_record("m1", "bad-1"), _record("m2", "bad-2")]})
    assert [body for body, _ in synced] == ["bad-1", "bad-2"]


def test_a_record_without_its_attributes_is_a_failed_record(synced: list[tuple[str, int]]) -> None:
    event = {"Records": [{"messageId": "m1", "body": "good-1"}, _record("m2", "good-2")]}
    assert sync_batch(event) == {"batchItemFailures": [{"itemIdentifier": "m1"}]}


def test_an_event_without_records_is_refused(synced: list[tuple[str, int]]) -> None:
    with pytest.raises(ValueError, match="not an SQS event"):
        sync_batch({"kind": "nightly"})
