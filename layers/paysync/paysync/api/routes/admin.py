"""API credentials: issued, listed and revoked by operators."""

from __future__ import annotations

from typing import Annotated

from paysync.api.common import KeyIdPath, answer, caller, responses, services
from paysync.api.models.common import ID_PATTERN
from paysync.api.models.inputs import ApiKeyIn
from paysync.api.models.views import ApiKeyList, ApiKeyView, IssuedApiKey
from paysync.api.routing import Body, Query, Response, Router
from paysync.storage.apikeys import ApiKeyRepository
from paysync.usecases import api_keys

router = Router()


def _keys() -> ApiKeyRepository:
    return ApiKeyRepository(services().settings.config_table)


@router.post(
    "/admin/api-keys",
    summary="Issue an API credential (operators)",
    description="A firm credential reaches that firm and its dossiers only; an admin credential manages "
    "firms. The credential is in the answer this once: only its SHA-256 is kept.",
    tags=["admin"],
    responses=responses({201: "The credential, shown once."}, body=True),
)
def issue(body: Annotated[ApiKeyIn, Body()]) -> Response[IssuedApiKey]:
    svc = services()
    record, key = api_keys.issue_for(
        caller(router),
        _keys(),
        svc.config,
        scope=body.scope,
        firm_id=body.firm_id,
        label=body.label,
        now=svc.clock(),
    )
    return answer(201, IssuedApiKey.of(record, key.plaintext))


@router.get(
    "/admin/api-keys",
    summary="List API credentials (operators)",
    tags=["admin"],
    responses=responses({200: "A firm's credentials, or the operators' without `firm_id`."}),
)
def list_keys(
    firm_id: Annotated[
        str | None,
        Query(pattern=ID_PATTERN, description="Whose credentials."),
    ] = None,
) -> ApiKeyList:
    keys = api_keys.list_keys(caller(router), _keys(), firm_id)
    return ApiKeyList(keys=[ApiKeyView.model_validate(k) for k in keys])


@router.delete(
    "/admin/api-keys/<key_id>",
    summary="Revoke an API credential (operators)",
    description="The last active operator credential cannot be revoked (409): issue another one first.",
    tags=["admin"],
    responses=responses({204: {"description": "Revoked.", "content": {}}}, extra=(409,)),
)
def revoke(key_id: KeyIdPath) -> Response[None]:
    api_keys.revoke(caller(router), _keys(), key_id, services().clock())
    return Response(status_code=204, content_type=None, body=None)
