"""One AWS call: where it goes, how it is signed, what is retried, how an error reads."""

from __future__ import annotations

import http.client
import json

import pytest

from paysync.aws.dynamodb import SPEC as DYNAMODB
from paysync.aws.errors import AwsServiceError, AwsUnreachableError
from paysync.aws.services import SECRETS_MANAGER, SESV2
from paysync.aws.wire import AwsService, Request, Response


class Script:
    """A transport answering from a list: a Response, or an exception to raise."""

    def __init__(self, *answers: Response | BaseException) -> None:
        self.answers = list(answers)
        self.sent: list[tuple[str, Request]] = []

    def send(self, url: str, request: Request) -> Response:
        self.sent.append((url, request))
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer


def _ok(body: object) -> Response:
    return Response(200, {}, json.dumps(body).encode())


def _error(status: int, body: object, headers: dict[str, str] | None = None) -> Response:
    return Response(status, headers or {}, json.dumps(body).encode())


@pytest.fixture(autouse=True)
def _aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_DYNAMODB",
        "AWS_ENDPOINT_URL_SESV2",
        "AWS_SESSION_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "the-secret-key")
    monkeypatch.setenv("AWS_REGION", "eu-west-3")


def _service(spec=DYNAMODB, *answers: Response | BaseException) -> tuple[AwsService, Script, list[float]]:  # type: ignore[no-untyped-def]
    script, slept = Script(*answers), []
    return AwsService(spec, transport=script, sleep=slept.append), script, slept


def test_regional_endpoint_signed_request(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SESSION_TOKEN", "the-token")
    service, script, _ = _service(DYNAMODB, _ok({"Item": {"pk": {"S": "a"}}}))
    answer = service.json_call("GetItem", {"TableName": "t"}, target="DynamoDB_20120810", version="1.0")
    assert answer == {"Item": {"pk": {"S": "a"}}}
    url, request = script.sent[0]
    assert url == "https://dynamodb.eu-west-3.amazonaws.com/"
    assert request.headers["X-Amz-Target"] == "DynamoDB_20120810.GetItem"
    assert request.headers["Content-Type"] == "application/x-amz-json-1.0"
    assert request.headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/eu-west-3/dynamodb/aws4_request" in request.headers["Authorization"]
    assert request.headers["X-Amz-Security-Token"] == "the-token"
    assert "the-secret-key" not in json.dumps(request.headers)


def test_endpoint_variables_as_botocore_reads_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5000/")
    assert AwsService(DYNAMODB).endpoint == "http://127.0.0.1:5000"
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:6000")
    assert AwsService(DYNAMODB).endpoint == "http://127.0.0.1:6000"
    assert AwsService(SECRETS_MANAGER).endpoint == "http://127.0.0.1:5000"
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    assert AwsService(SESV2).endpoint == "https://email.eu-west-3.amazonaws.com"


def test_throttling_and_5xx_are_retried_with_growing_backoff() -> None:
    throttled = _error(
        400, {"__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException"}
    )
    service, script, slept = _service(DYNAMODB, throttled, _error(500, {}), throttled, _ok({}))
    assert service.json_call("PutItem", {}, target="DynamoDB_20120810", version="1.0") == {}
    assert len(script.sent) == 4 and len(slept) == 3
    assert all(0 <= pause <= 0.05 * 2**i for i, pause in enumerate(slept))


def test_a_refusal_is_not_retried_and_keeps_its_body() -> None:
    refusal = _error(
        400,
        {
            "__type": "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",
            "message": "The conditional request failed",
            "Item": {"pk": {"S": "a"}},
        },
    )
    service, script, _ = _service(DYNAMODB, refusal)
    with pytest.raises(AwsServiceError) as caught:
        service.json_call("PutItem", {}, target="DynamoDB_20120810", version="1.0")
    error = caught.value
    assert (error.code, error.status, len(script.sent)) == ("ConditionalCheckFailedException", 400, 1)
    assert error.response["Item"] == {"pk": {"S": "a"}}
    assert error.response["Error"]["Code"] == "ConditionalCheckFailedException"


def test_retries_end() -> None:
    service, script, _ = _service(SECRETS_MANAGER, *[_error(503, {"__type": "ServiceUnavailable"})] * 3)
    with pytest.raises(AwsServiceError) as caught:
        service.json_call("GetSecretValue", {}, target="secretsmanager", version="1.1")
    assert caught.value.code == "ServiceUnavailable" and len(script.sent) == SECRETS_MANAGER.max_attempts


def test_no_answer_is_retried_then_said_without_detail() -> None:
    lost = [ConnectionResetError("reset"), http.client.RemoteDisconnected("gone"), TimeoutError("slow")]
    service, script, _ = _service(SECRETS_MANAGER, *lost)
    with pytest.raises(AwsUnreachableError, match="secretsmanager GetSecretValue: no answer"):
        service.json_call("GetSecretValue", {}, target="secretsmanager", version="1.1")
    assert len(script.sent) == 3
    service, script, _ = _service(SECRETS_MANAGER, ConnectionResetError("reset"), _ok({"Name": "n"}))
    assert service.json_call("GetSecretValue", {}, target="secretsmanager", version="1.1") == {"Name": "n"}


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        (
            _error(
                400,
                {"__type": "com.amazonaws.sqs#QueueDoesNotExist"},
                {"x-amzn-query-error": "AWS.SimpleQueueService.NonExistentQueue;Sender"},
            ),
            "AWS.SimpleQueueService.NonExistentQueue",
        ),
        (
            _error(
                400, {"message": "no"}, {"x-amzn-errortype": "MessageRejected:http://internal.amazon.com/"}
            ),
            "MessageRejected",
        ),
        (_error(404, {"__type": "ResourceNotFoundException", "Message": "no"}), "ResourceNotFoundException"),
        (Response(403, {}, b"<html>denied</html>"), "HTTP403"),
    ],
)
def test_error_codes_in_every_protocol(answer: Response, code: str) -> None:
    service, _, _ = _service(SESV2, answer)
    with pytest.raises(AwsServiceError) as caught:
        service.send(Request("POST", "/v2/email/outbound-emails", {}, b"{}", "SendEmail"))
    assert caught.value.code == code


def test_https_connections_to_every_service_share_the_containers_tls_context() -> None:
    from paysync.aws.wire import HttpTransport
    from paysync.tls import tls_context

    transport = HttpTransport()
    dynamodb = transport._connection("https", "dynamodb.eu-west-3.amazonaws.com")
    secrets = transport._connection("https", "secretsmanager.eu-west-3.amazonaws.com")
    # http.client would otherwise load the authorities again for each connection
    assert dynamodb._context is tls_context()  # type: ignore[attr-defined]
    assert secrets._context is tls_context()  # type: ignore[attr-defined]
