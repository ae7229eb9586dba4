"""Settings, status and API credentials over HTTP; also serves /openapi.json and /swagger."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.logging import correlation_paths

from paysync.coldstart import resume_after_first_invocation  # first: it pauses the GC
from paysync.config import get_settings
from paysync.observability import logger, tracer

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

# A missing or wrong variable fails the cold start, naming it, not the first invocation.
get_settings()


@resume_after_first_invocation
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # Imported by the first request, which needs them: the resolver, its routes and their models.
    from paysync.api.app import handle

    return handle("settings_api", event, context)
