"""API Gateway Lambda authorizer (TOKEN): an API credential in, a policy and the caller's scope out."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from paysync.coldstart import resume_after_first_invocation  # first: it pauses the GC
from paysync.config import get_settings
from paysync.observability import logger

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

# A missing or wrong variable fails the cold start, naming it, not the first invocation.
get_settings()


@resume_after_first_invocation
@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # Imported at the first call: the decision and the key store only, not the API's resolvers.
    from paysync.api.authorizer import lambda_authorizer

    return lambda_authorizer(event)
