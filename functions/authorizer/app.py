"""API Gateway Lambda authorizer (TOKEN): an API credential in, a policy and the caller's scope out."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from paysync.config import get_settings
from paysync.observability import logger

# A missing or wrong variable fails the cold start, naming it, not the first invocation.
get_settings()


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # Imported at the first call: the decision and the key store only, not the API's resolvers.
    from paysync.api.authorizer import lambda_authorizer

    return lambda_authorizer(event)
