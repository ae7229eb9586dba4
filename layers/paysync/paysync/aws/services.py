"""The AWS services paysync calls, each built once per container and only when first needed."""

from __future__ import annotations

import base64
import json
from functools import cache
from typing import Any

from paysync.aws.dynamodb import DynamoDB
from paysync.aws.wire import AwsService, Request, ServiceSpec

SECRETS_MANAGER = ServiceSpec("secretsmanager", "SECRETS_MANAGER", "secretsmanager", "secretsmanager", 3, 1.0)
SQS = ServiceSpec("sqs", "SQS", "sqs", "sqs", 3, 1.0)
SESV2 = ServiceSpec("sesv2", "SESV2", "email", "ses", 3, 1.0)


class JsonApi:
    """A service of the AWS JSON protocol: ``call("GetSecretValue", {...})``."""

    def __init__(self, spec: ServiceSpec, target: str, version: str) -> None:
        self.service = AwsService(spec)
        self._target = target
        self._version = version

    def call(self, operation: str, payload: dict[str, Any]) -> dict[str, Any]:
        return self.service.json_call(operation, payload, target=self._target, version=self._version)


class Ses:
    """SES v2, a REST service: only ``SendEmail`` with raw MIME content."""

    def __init__(self) -> None:
        self.service = AwsService(SESV2)

    def send_raw_email(
        self, *, sender: str, to: list[str], mime: bytes, configuration_set: str | None = None
    ) -> str:
        body: dict[str, Any] = {
            "FromEmailAddress": sender,
            "Destination": {"ToAddresses": to},
            "Content": {"Raw": {"Data": base64.b64encode(mime).decode()}},
        }
        if configuration_set:
            body["ConfigurationSetName"] = configuration_set
        request = Request(
            "POST",
            "/v2/email/outbound-emails",
            {"Content-Type": "application/json"},
            json.dumps(body).encode(),
            "SendEmail",
        )
        return str(self.service.send(request)["MessageId"])


@cache
def dynamodb() -> DynamoDB:
    return DynamoDB()


@cache
def secretsmanager() -> JsonApi:
    return JsonApi(SECRETS_MANAGER, "secretsmanager", "1.1")


@cache
def sqs() -> JsonApi:
    return JsonApi(SQS, "AmazonSQS", "1.0")


@cache
def sesv2() -> Ses:
    return Ses()


def reset_clients() -> None:
    """Forget built clients (tests switch endpoints between stacks)."""
    for factory in (dynamodb, secretsmanager, sqs, sesv2):
        factory.cache_clear()
