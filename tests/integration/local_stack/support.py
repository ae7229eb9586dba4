"""What the local stack's tests share: the template, and boto3 clients and queue helpers on a stack."""

from __future__ import annotations

import hashlib
from typing import Any

import boto3

from local.cfn import load_template
from local.provision import LocalResources

REGION = "eu-west-3"
TEMPLATE = load_template()
FUNCTIONS = [
    lid for lid, spec in TEMPLATE["Resources"].items() if spec["Type"] == "AWS::Serverless::Function"
]
MAX_RECEIVE_COUNT = int(TEMPLATE["Mappings"]["Sync"]["Queue"]["MaxReceiveCount"])


def client(resources: LocalResources, service: str) -> Any:
    return boto3.client(service, endpoint_url=resources.endpoint_url, region_name=REGION)  # type: ignore[call-overload]


def send(resources: LocalResources, bodies_by_group: dict[str, list[str]], **extra: Any) -> None:
    sqs = client(resources, "sqs")
    for group, bodies in bodies_by_group.items():
        for body in bodies:
            sqs.send_message(
                QueueUrl=resources.queue_url("SyncQueue"),
                MessageBody=body,
                MessageGroupId=group,
                MessageDeduplicationId=hashlib.sha256(f"{group}/{body}".encode()).hexdigest(),
                **extra,
            )


def queue_depth(resources: LocalResources, logical_id: str) -> int:
    attributes = client(resources, "sqs").get_queue_attributes(
        QueueUrl=resources.queue_url(logical_id),
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )
