"""paysync's SigV4 signer gives the signature botocore's gives, for every shape of request it sends."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotocoreCredentials

from paysync.aws.signing import Credentials, sign

NOW = datetime(2026, 12, 2, 8, 30, 15, tzinfo=UTC)


def _botocore(
    monkeypatch: pytest.MonkeyPatch,
    url: str,
    headers: dict[str, str],
    *,
    body: bytes,
    creds: Credentials,
    service: str,
) -> dict[str, str]:
    monkeypatch.setattr("botocore.auth.get_current_datetime", lambda **_: NOW.replace(tzinfo=None))
    request = AWSRequest(method="POST", url=url, data=body, headers=dict(headers))
    SigV4Auth(
        BotocoreCredentials(creds.access_key, creds.secret_key, creds.token), service, "eu-west-3"
    ).add_auth(request)
    return {name: str(value) for name, value in request.headers.items()}


@pytest.mark.parametrize("token", [None, "session-token/with+odd=chars"])
@pytest.mark.parametrize(
    "case",
    [
        (
            "https://dynamodb.eu-west-3.amazonaws.com/",
            "dynamodb.eu-west-3.amazonaws.com",
            "/",
            {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.PutItem"},
            "dynamodb",
        ),
        (
            "http://127.0.0.1:5123/v2/email/outbound-emails",
            "127.0.0.1:5123",
            "/v2/email/outbound-emails",
            {"Content-Type": "application/json"},
            "ses",
        ),
    ],
)
def test_same_signature_as_botocore(
    monkeypatch: pytest.MonkeyPatch, token: str | None, case: tuple[str, str, str, dict[str, str], str]
) -> None:
    url, host, path, headers, service = case
    creds = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token)
    body = b'{"TableName": "t", "Item": {"pk": {"S": "\xc3\xa9t\xc3\xa9"}}}'
    ours = sign(
        method="POST",
        host=host,
        path=path,
        headers=headers,
        body=body,
        credentials=creds,
        region="eu-west-3",
        service=service,
        now=NOW,
    )
    theirs = _botocore(monkeypatch, url, headers, body=body, creds=creds, service=service)
    assert ours["Authorization"] == theirs["Authorization"]
    assert ours["X-Amz-Date"] == theirs["X-Amz-Date"] == "20261202T083015Z"
    assert ours.get("X-Amz-Security-Token") == theirs.get("X-Amz-Security-Token") == token


def test_the_secret_key_never_shows() -> None:
    creds = Credentials("AKIDEXAMPLE", "very-secret", "very-secret-token")
    assert "very-secret" not in repr(creds)
    signed = sign(
        method="POST",
        host="h",
        path="/",
        headers={},
        body=b"",
        credentials=creds,
        region="r",
        service="s",
        now=NOW,
    )
    assert "very-secret" not in signed["Authorization"]
