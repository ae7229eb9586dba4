"""boto3 resources and clients, created once per container and only when first needed.

Endpoints come from the standard ``AWS_ENDPOINT_URL`` variables, so the same code reaches AWS,
moto server, or in-process moto.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import DynamoDBServiceResource
    from mypy_boto3_secretsmanager.client import SecretsManagerClient
    from mypy_boto3_sesv2.client import SESV2Client
    from mypy_boto3_sqs.client import SQSClient


@cache
def dynamodb() -> DynamoDBServiceResource:
    import boto3

    return boto3.resource("dynamodb")


@cache
def sqs() -> SQSClient:
    import boto3

    return boto3.client("sqs")


@cache
def secretsmanager() -> SecretsManagerClient:
    import boto3

    return boto3.client("secretsmanager")


@cache
def sesv2() -> SESV2Client:
    import boto3

    return boto3.client("sesv2")


def reset_clients() -> None:
    """Forget cached clients (tests switch endpoints between stacks)."""
    for factory in (dynamodb, sqs, secretsmanager, sesv2):
        factory.cache_clear()
