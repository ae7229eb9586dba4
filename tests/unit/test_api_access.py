"""API credentials and the authorizer's decision: pure, no I/O."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from paysync.api.authorizer import Unauthorized, api_wide_resource, authorize, principal_of
from paysync.domain.access import (
    ApiKeyRecord,
    Principal,
    bearer_credential,
    key_digest,
    key_id_of,
    new_key,
    verify,
)

ARN = "arn:aws:execute-api:eu-west-3:123456789012:abc123/v1/GET/dossiers/boulangerie-martin"
NOW = datetime(2026, 11, 21, tzinfo=UTC)


def _record(
    key: str, scope: str = "firm", firm_id: str | None = "cabinet-dupont", **kw: object
) -> ApiKeyRecord:
    return ApiKeyRecord.model_validate(
        {
            "key_id": key_id_of(key),
            "key_hash": key_digest(key),
            "scope": scope,
            "firm_id": firm_id,
            "created_at": NOW,
            **kw,
        }
    )


def test_a_new_key_is_random_well_formed_and_kept_only_as_its_hash() -> None:
    first, second = new_key(), new_key()
    assert first.plaintext != second.plaintext and first.key_id != second.key_id
    assert key_id_of(first.plaintext) == first.key_id
    assert first.digest == key_digest(first.plaintext) and first.plaintext not in first.digest
    # psk_<16 hex>_<43 url-safe chars: 256 random bits> (the random part may itself contain "_").
    assert len(first.plaintext.split("_", 2)[2]) == 43


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Bearer psk_x", "psk_x"),
        ("bearer   psk_x ", "psk_x"),
        ("psk_x", "psk_x"),
        ("", None),
        (None, None),
        ("Bearer ", "Bearer"),
    ],
)
def test_bearer_credential(header: str | None, expected: str | None) -> None:
    assert bearer_credential(header) == expected


def test_verify_refuses_unknown_revoked_and_mismatching_credentials() -> None:
    key = new_key().plaintext
    assert verify(key, _record(key)) == Principal(
        scope="firm", key_id=key_id_of(key) or "", firm_id="cabinet-dupont"
    )
    assert verify(key, None) is None
    assert verify(key, _record(key, revoked_at=NOW)) is None
    assert verify(key[:-1] + ("A" if key[-1] != "A" else "B"), _record(key)) is None
    assert verify(key, _record(key, firm_id=None)) is None  # a firm credential without its firm


def test_a_principal_reaches_its_firm_only_and_an_admin_every_firm() -> None:
    firm = Principal(scope="firm", key_id="k", firm_id="cabinet-dupont")
    assert firm.reaches("cabinet-dupont") and not firm.reaches("fiduciaire-lemoine") and not firm.is_admin
    admin = Principal(scope="admin", key_id="k")
    assert admin.reaches("cabinet-dupont") and admin.reaches("anything") and admin.is_admin


def test_the_authorizer_allows_the_whole_api_and_passes_the_scope() -> None:
    key = new_key().plaintext
    store = {key_id_of(key): _record(key)}
    answer = authorize({"type": "TOKEN", "authorizationToken": f"Bearer {key}", "methodArn": ARN}, store.get)
    assert answer["principalId"] == key_id_of(key)
    (statement,) = answer["policyDocument"]["Statement"]
    assert statement == {
        "Action": "execute-api:Invoke",
        "Effect": "Allow",
        "Resource": "arn:aws:execute-api:eu-west-3:123456789012:abc123/v1/*/*",
    }
    assert answer["context"] == {"scope": "firm", "firm_id": "cabinet-dupont", "key_id": key_id_of(key)}
    # The functions read the same context back.
    event = {"requestContext": {"authorizer": {**answer["context"], "principalId": answer["principalId"]}}}
    assert principal_of(event) == Principal(
        scope="firm", key_id=key_id_of(key) or "", firm_id="cabinet-dupont"
    )


def test_the_authorizer_answers_unauthorized_for_anything_else() -> None:
    key = new_key().plaintext
    looked_up: list[str] = []

    def lookup(key_id: str) -> ApiKeyRecord | None:
        looked_up.append(key_id)
        return _record(key) if key_id == key_id_of(key) else None

    for header in (None, "", "Bearer", "Bearer garbage", f"Bearer {new_key().plaintext}", f"Bearer {key}x"):
        with pytest.raises(Unauthorized, match=r"^Unauthorized$"):
            authorize({"authorizationToken": header, "methodArn": ARN}, lookup)
    # Garbage is never looked up; a well-formed unknown key is (and found absent).
    assert len(looked_up) == 1
    with pytest.raises(Unauthorized):
        authorize({"authorizationToken": f"Bearer {key}", "methodArn": "not-an-arn"}, lookup)
    # A REQUEST authorizer's event carries the headers instead.
    answer = authorize({"headers": {"authorization": f"Bearer {key}"}, "methodArn": ARN}, lookup)
    assert answer["context"]["scope"] == "firm"


def test_principal_of_refuses_an_event_without_a_complete_context() -> None:
    assert principal_of({}) is None
    assert principal_of({"requestContext": {"authorizer": {"scope": "admin"}}}) is None
    assert (
        principal_of({"requestContext": {"authorizer": {"scope": "firm", "key_id": "k", "firm_id": ""}}})
        is None
    )
    assert principal_of({"requestContext": {"authorizer": {"scope": "root", "key_id": "k"}}}) is None
    assert principal_of(
        {"requestContext": {"authorizer": {"scope": "admin", "key_id": "k", "firm_id": ""}}}
    ) == (Principal(scope="admin", key_id="k"))


def test_api_wide_resource() -> None:
    assert api_wide_resource(ARN) == "arn:aws:execute-api:eu-west-3:123456789012:abc123/v1/*/*"
    for wrong in ("", "arn:aws:s3:::bucket", "arn:aws:execute-api:eu-west-3:abc123/v1/GET/x"):
        with pytest.raises(Unauthorized):
            api_wide_resource(wrong)
