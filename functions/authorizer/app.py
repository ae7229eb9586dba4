"""API Gateway Lambda authorizer (TOKEN): an API credential in, a policy and the caller's scope out."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from paysync.observability import logger


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # Imported at the first call, as in the other API functions.
    from paysync.api.app import authorize

    return authorize(event)
