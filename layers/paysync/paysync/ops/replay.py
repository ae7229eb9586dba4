"""Replay the sync dead-letter queue: ``python -m paysync.ops.replay`` (or ``make replay-dlq``).

A message lands in the DLQ after ``maxReceiveCount`` failed deliveries: a service down all night,
a worker killed on its last attempt, a poison message. Once the cause is gone, this command moves
each message back to the sync queue, in its FIFO group, and:

- a ``failed`` run is queued again (the worker only starts queued, retrying or running runs);
  every replay is recorded on the run (``replays``, ``replayed_at``);
- a run that finished otherwise (succeeded, partial...) has nothing left to do: its message is
  deleted from the DLQ;
- a message without a known run (unreadable body, unknown run id) is left in the DLQ and listed,
  unless ``--drop-poison`` deletes it. (A FIFO queue is read in order within a group: behind ten
  such messages at the head of a group, nothing more of that group is reached until they go.)

The message is sent before it is deleted from the DLQ, with a deduplication id derived from the DLQ
message: if the command stops in between, running it again sends nothing twice (within SQS's
five-minute deduplication window) and a duplicate delivery is harmless anyway (a finished run is
not started again). Nothing here posts to MyUnisoft: the worker does, exactly once.

Where: ``--stack NAME`` reads the queue URLs and the runs table from the stack's outputs;
otherwise ``SYNC_QUEUE_URL``, ``SYNC_DLQ_URL`` and ``RUNS_TABLE`` (or the options). AWS
credentials, region and endpoint come from the usual boto3 environment.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from paysync.domain.models import RunStatus, utcnow

if TYPE_CHECKING:
    from paysync.storage.runs import RunRepository

RECEIVE_VISIBILITY_SECONDS = 60


@dataclass
class ReplayReport:
    """What a replay did with the DLQ's messages (run ids, or the message ids of poison ones)."""

    replayed: list[str] = field(default_factory=list)  # run ids sent back to the sync queue
    requeued: list[str] = field(default_factory=list)  # of which failed runs set back to queued
    already_finished: list[str] = field(default_factory=list)  # deleted from the DLQ, nothing to do
    poison: list[str] = field(default_factory=list)  # DLQ message ids without a known run
    dropped: list[str] = field(default_factory=list)  # poison messages deleted (--drop-poison)

    def as_dict(self) -> dict[str, Any]:
        return {
            "replayed": len(self.replayed),
            "requeued_failed_runs": len(self.requeued),
            "already_finished": len(self.already_finished),
            "poison_left_in_dlq": len(self.poison) - len(self.dropped),
            "poison_dropped": len(self.dropped),
            "run_ids": self.replayed,
            "poison_message_ids": self.poison,
        }


def _run_id(body: str) -> str | None:
    try:
        data = json.loads(body)
    except ValueError:
        return None
    run_id = data.get("run_id") if isinstance(data, dict) else None
    return run_id if isinstance(run_id, str) and run_id else None


def replay(
    sqs: Any,
    runs: RunRepository,
    *,
    queue_url: str,
    dlq_url: str,
    dry_run: bool = False,
    drop_poison: bool = False,
    limit: int | None = None,
) -> ReplayReport:
    """Move the DLQ's messages back to the sync queue (see the module docstring).

    Passes until one moves nothing: a poison message stays in flight during a pass, so that the
    other groups come through; it is released at the end of the pass, and the next pass reaches
    the messages queued behind it in its FIFO group.
    """
    replayer = _Replayer(
        sqs, runs, queue_url=queue_url, dlq_url=dlq_url, dry_run=dry_run, drop_poison=drop_poison
    )
    report = replayer.report
    while True:
        progress = False
        held: list[dict[str, Any]] = []
        while limit is None or len(report.replayed) + len(report.already_finished) < limit:
            messages = sqs.receive_message(
                QueueUrl=dlq_url,
                MaxNumberOfMessages=10,
                AttributeNames=["All"],
                MessageSystemAttributeNames=["All"],
                VisibilityTimeout=RECEIVE_VISIBILITY_SECONDS,
                WaitTimeSeconds=0,
            ).get("Messages", [])
            if not messages:
                break
            for message in messages:
                if replayer.one(message):
                    progress = True
                else:
                    held.append(message)
        for message in held:  # back in the DLQ, visible again
            sqs.change_message_visibility(
                QueueUrl=dlq_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )
        if dry_run or not progress or not held:
            return report


class _Replayer:
    def __init__(
        self, sqs: Any, runs: RunRepository, *, queue_url: str, dlq_url: str, dry_run: bool, drop_poison: bool
    ) -> None:
        self.sqs, self.runs = sqs, runs
        self.queue_url, self.dlq_url = queue_url, dlq_url
        self.dry_run, self.drop_poison = dry_run, drop_poison
        self.report = ReplayReport()
        self._seen: set[str] = set()

    def one(self, message: dict[str, Any]) -> bool:
        """Deal with one DLQ message; False when it stays in the DLQ (held until the pass ends)."""
        report, message_id = self.report, message["MessageId"]
        run_id = _run_id(message.get("Body", ""))
        run = self.runs.get(run_id) if run_id else None
        if run is None:
            if message_id not in self._seen:
                self._seen.add(message_id)
                report.poison.append(message_id)
            if self.drop_poison and not self.dry_run:
                self._delete(message)
                report.dropped.append(message_id)
                return True
            return False
        done = run.status.finished and run.status is not RunStatus.FAILED
        if self.dry_run:
            (report.already_finished if done else report.replayed).append(run.run_id)
            return False
        if done:
            self._delete(message)
            report.already_finished.append(run.run_id)
            return True
        if self.runs.requeue(run.run_id, utcnow()) is None:  # deleted meanwhile
            return False
        group = (message.get("Attributes") or {}).get("MessageGroupId") or run.message_group
        self.sqs.send_message(
            QueueUrl=self.queue_url,
            MessageBody=message["Body"],
            MessageGroupId=group,
            MessageDeduplicationId=f"replay-{message_id}",
        )
        self._delete(message)
        report.replayed.append(run.run_id)
        if run.status is RunStatus.FAILED:
            report.requeued.append(run.run_id)
        return True

    def _delete(self, message: dict[str, Any]) -> None:
        self.sqs.delete_message(QueueUrl=self.dlq_url, ReceiptHandle=message["ReceiptHandle"])


# ------------------------------------------------------------------ command line


def stack_outputs(stack: str) -> dict[str, str]:
    import boto3

    described = boto3.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m paysync.ops.replay",
        description="Move the sync dead-letter queue back to the sync queue.",
    )
    parser.add_argument("--stack", help="read the queue URLs and the runs table from this stack's outputs")
    parser.add_argument("--queue-url", default=os.environ.get("SYNC_QUEUE_URL"))
    parser.add_argument("--dlq-url", default=os.environ.get("SYNC_DLQ_URL"))
    parser.add_argument("--runs-table", default=os.environ.get("RUNS_TABLE"))
    parser.add_argument("--dry-run", action="store_true", help="list what would be replayed, change nothing")
    parser.add_argument("--drop-poison", action="store_true", help="delete messages that name no known run")
    parser.add_argument("--limit", type=int, default=None, help="replay at most this many runs")
    args = parser.parse_args(argv)
    if args.stack:
        outputs = stack_outputs(args.stack)
        args.queue_url = args.queue_url or outputs.get("SyncQueueUrl")
        args.dlq_url = args.dlq_url or outputs.get("SyncDeadLetterQueueUrl")
        args.runs_table = args.runs_table or outputs.get("RunsTableName")
    missing = [n for n in ("queue_url", "dlq_url", "runs_table") if not getattr(args, n)]
    if missing:
        parser.error(
            f"missing {', '.join(missing)}: pass --stack, the options, or SYNC_QUEUE_URL / SYNC_DLQ_URL / RUNS_TABLE"
        )
    import boto3

    from paysync.storage.runs import RunRepository

    report = replay(
        boto3.client("sqs"),
        RunRepository(args.runs_table),
        queue_url=args.queue_url,
        dlq_url=args.dlq_url,
        dry_run=args.dry_run,
        drop_poison=args.drop_poison,
        limit=args.limit,
    )
    print(json.dumps({"dry_run": args.dry_run, **report.as_dict()}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
