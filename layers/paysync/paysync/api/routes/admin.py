"""API credentials: issued, listed and revoked by operators."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from paysync.api.common import KeyIdPath, answer, caller, responses, services
from paysync.api.models import ID_PATTERN, ApiKeyIn, ApiKeyList, ApiKeyView, IssuedApiKey
from paysync.storage.apikeys import ApiKeyRepository
from paysync.usecases import api_keys


def _keys() -> ApiKeyRepository:
    return ApiKeyRepository(services().settings.config_table)


def router() -> Router:
    r = Router()  # type: ignore[no-untyped-call]

    @r.post(
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
            caller(r),
            _keys(),
            svc.config,
            scope=body.scope,
            firm_id=body.firm_id,
            label=body.label,
            now=svc.clock(),
        )
        view = ApiKeyView.of(record)
        return answer(201, IssuedApiKey(**view.model_dump(), api_key=key.plaintext))

    @r.get(
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
        return ApiKeyList(keys=[ApiKeyView.of(k) for k in api_keys.list_keys(caller(r), _keys(), firm_id)])

    @r.delete(
        "/admin/api-keys/<key_id>",
        summary="Revoke an API credential (operators)",
        tags=["admin"],
        responses=responses({204: {"description": "Revoked.", "content": {}}}),
    )
    def revoke(key_id: KeyIdPath) -> Response[None]:
        api_keys.revoke(caller(r), _keys(), key_id, services().clock())
        return Response(status_code=204, content_type=None, body=None)

    return r
