"""The API Gateway Lambda authorizer (TOKEN) and the principal it hands to the functions.

The decision is pure: a presented ``Authorization: Bearer psk_…`` is looked up by its key id and
compared by SHA-256; a well-formed, active, matching credential gets an ``Allow`` for the whole API
(API Gateway caches the answer per token, so it must hold for every route) with the context
``{scope, firm_id, key_id}``; anything else raises ``Unauthorized``, which API Gateway answers 401.
What a credential may touch is decided by the functions, route by route (404 for what it does
not reach, 403 for what is for operators only).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from paysync.domain.access import ApiKeyRecord, Principal, bearer_credential, key_id_of, verify


class Unauthorized(Exception):  # noqa: N818 - API Gateway requires exactly this message
    def __init__(self) -> None:
        super().__init__("Unauthorized")


def api_wide_resource(method_arn: str) -> str:
    """``arn:…:execute-api:region:account:api/stage/VERB/path`` → ``…:api/stage/*/*``."""
    prefix, _, path = method_arn.partition(":execute-api:")
    parts = path.split("/")
    if not prefix.startswith("arn:") or len(parts) < 2 or not all(parts[:2]) or parts[0].count(":") != 2:
        raise Unauthorized
    return f"{prefix}:execute-api:{parts[0]}/{parts[1]}/*/*"


def authorize(event: Mapping[str, Any], lookup: Callable[[str], ApiKeyRecord | None]) -> dict[str, Any]:
    """The authorizer's answer for a TOKEN (or REQUEST) event; raises Unauthorized."""
    header = event.get("authorizationToken")
    if header is None:  # a REQUEST authorizer gets the headers instead
        headers = {str(k).lower(): v for k, v in (event.get("headers") or {}).items()}
        header = headers.get("authorization")
    credential = bearer_credential(header if isinstance(header, str) else None)
    key_id = key_id_of(credential) if credential else None
    principal = verify(credential, lookup(key_id)) if credential and key_id else None
    if principal is None:
        raise Unauthorized
    resource = api_wide_resource(str(event.get("methodArn", "")))
    return {
        "principalId": principal.key_id,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": resource}],
        },
        "context": {"scope": principal.scope, "firm_id": principal.firm_id or "", "key_id": principal.key_id},
    }


def lambda_authorizer(event: Mapping[str, Any]) -> dict[str, Any]:
    """What the authorizer function answers: credentials looked up in ConfigTable by key id.

    Only the key store is loaded: neither the API's resolvers (Powertools' event handler and its
    OpenAPI models) nor the other functions' services, which would weigh on the authorizer's cold
    start for nothing it uses.
    """
    from paysync.config import get_settings
    from paysync.storage.apikeys import ApiKeyRepository

    return authorize(event, ApiKeyRepository(get_settings().config_table).get)


def principal_of(event: Mapping[str, Any]) -> Principal | None:
    """The principal the authorizer put into ``requestContext.authorizer`` (None without one)."""
    context = (event.get("requestContext") or {}).get("authorizer") or {}
    scope, key_id, firm_id = context.get("scope"), context.get("key_id"), context.get("firm_id") or None
    if not isinstance(key_id, str) or not key_id:
        return None
    if scope == "admin":
        return Principal(scope="admin", key_id=key_id)
    if scope == "firm" and isinstance(firm_id, str):
        return Principal(scope="firm", key_id=key_id, firm_id=firm_id)
    return None
