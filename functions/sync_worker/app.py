"""Sync worker: one SQS FIFO message per run; partial batch failures reported to SQS."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from paysync.coldstart import resume_after_first_invocation  # first: it pauses the GC
from paysync.config import get_settings
from paysync.entrypoints import sync_message
from paysync.observability import logger, metrics, tracer

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
    from aws_lambda_powertools.utilities.typing import LambdaContext

# A missing or wrong variable fails the cold start, naming it, not the first invocation.
get_settings()


def record_handler(record: SQSRecord) -> None:
    sync_message(record.body, int(record.attributes.approximate_receive_count))


@resume_after_first_invocation
@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    # Imported at the first call: the batch utilities weigh as much as the rest of the handler.
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    # Every record is tried and only the failed ones go back to the queue. Runs are independent:
    # the FIFO group only serialises one MyUnisoft token's calls. With FIFO's usual "stop at the
    # first failure", the runs after a poison message (or a failing dossier) in its group would be
    # received again and again without being tried, and parked in the DLQ with it.
    # One processor per invocation: it holds the batch's state.
    return process_partial_response(
        event=event,
        record_handler=record_handler,
        processor=BatchProcessor(event_type=EventType.SQS),
        context=context,
    )
