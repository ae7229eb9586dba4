"""The FIFO queue between planning and work: one message per run."""

from __future__ import annotations

import json
from collections.abc import Sequence

from paysync.aws.services import sqs
from paysync.domain.models import Run


class RunQueue:
    def __init__(self, queue_url: str) -> None:
        self._url = queue_url

    def send(self, runs: Sequence[Run]) -> None:
        """Enqueue runs. The group is the MyUnisoft token's identity, so Lambda never runs two
        batches of one token at once; the deduplication id is the run id."""
        for start in range(0, len(runs), 10):
            chunk = runs[start : start + 10]
            answer = sqs().call(
                "SendMessageBatch",
                {
                    "QueueUrl": self._url,
                    "Entries": [
                        {
                            "Id": str(i),
                            "MessageBody": json.dumps({"run_id": run.run_id}),
                            "MessageGroupId": run.message_group,
                            "MessageDeduplicationId": run.run_id,
                        }
                        for i, run in enumerate(chunk)
                    ],
                },
            )
            if answer.get("Failed"):
                failed = ", ".join(f"{f['Id']}:{f.get('Code')}" for f in answer["Failed"])
                raise RuntimeError(f"could not enqueue runs ({failed})")
