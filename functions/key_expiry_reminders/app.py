"""Key-expiry reminders and failure alerts: one email per firm per day (EventBridge Scheduler, morning)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from paysync.coldstart import resume_after_first_invocation  # first: it pauses the GC
from paysync.config import get_reminder_settings, get_settings
from paysync.entrypoints import key_expiry_reminders
from paysync.observability import logger, metrics, tracer

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

# A missing or wrong variable fails the cold start, naming it, not the first invocation.
get_settings()
get_reminder_settings()


@resume_after_first_invocation
@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return key_expiry_reminders(event, context.aws_request_id)
