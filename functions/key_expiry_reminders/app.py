"""Key-expiry reminders and failure alerts: one email per firm per day (EventBridge Scheduler, morning)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from paysync.config import get_reminder_settings, get_settings
from paysync.entrypoints import key_expiry_reminders
from paysync.observability import logger, metrics, tracer

# A missing or wrong variable fails the cold start, naming it, not the first invocation.
get_settings()
get_reminder_settings()


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return key_expiry_reminders(event, context.aws_request_id)
