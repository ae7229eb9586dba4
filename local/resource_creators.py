"""One creator per resource type the local stack provisions: the boto3 calls that build a table, a
queue or a secret from its AWS::* properties in template.yaml (intrinsics already resolved), and
the :class:`LocalResource` that ``!Ref`` and ``!GetAtt`` then return for it."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

TABLE = "AWS::DynamoDB::Table"
QUEUE = "AWS::SQS::Queue"
SECRET = "AWS::SecretsManager::Secret"

# CloudFormation AWS::SQS::Queue properties that are SQS queue attributes of the same name.
_QUEUE_ATTRIBUTES = (
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "DelaySeconds",
    "FifoQueue",
    "FifoThroughputLimit",
    "KmsDataKeyReusePeriodSeconds",
    "KmsMasterKeyId",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "RedriveAllowPolicy",
    "RedrivePolicy",
    "SqsManagedSseEnabled",
    "VisibilityTimeout",
)
# GenerateSecretString fields that are GetRandomPassword parameters of the same name.
_RANDOM_PASSWORD_FIELDS = (
    "ExcludeCharacters",
    "ExcludeLowercase",
    "ExcludeNumbers",
    "ExcludePunctuation",
    "ExcludeUppercase",
    "IncludeSpace",
    "PasswordLength",
    "RequireEachIncludedType",
)


@dataclass(frozen=True)
class LocalResource:
    """One created (or named) resource: what ``!Ref`` and ``!GetAtt`` return for it."""

    logical_id: str
    type: str
    name: str
    ref: str
    attributes: Mapping[str, str] = field(default_factory=dict)

    @property
    def arn(self) -> str:
        return self.attributes.get("Arn") or self.ref


def physical_name(name_prefix: str, logical_id: str) -> str:
    return f"{name_prefix}-{logical_id}"


def create_table(dynamodb: Any, logical_id: str, props: Mapping[str, Any], name_prefix: str) -> LocalResource:
    name = props.get("TableName") or physical_name(name_prefix, logical_id)
    try:
        dynamodb.create_table(**_create_table_request(name, props))
    except ClientError as error:
        if error.response["Error"]["Code"] != "ResourceInUseException":
            raise
    else:
        dynamodb.get_waiter("table_exists").wait(
            TableName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 100}
        )
        ttl = props.get("TimeToLiveSpecification")
        if ttl and _bool(ttl.get("Enabled", False)):
            dynamodb.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]},
            )
        pitr = props.get("PointInTimeRecoverySpecification")
        if pitr and _bool(pitr.get("PointInTimeRecoveryEnabled", False)):
            dynamodb.update_continuous_backups(
                TableName=name,
                PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
            )
    table = dynamodb.describe_table(TableName=name)["Table"]
    attributes = {"Arn": table["TableArn"]}
    if "LatestStreamArn" in table:
        attributes["StreamArn"] = table["LatestStreamArn"]
    return LocalResource(logical_id, TABLE, name, name, attributes)


def _throughput(source: Mapping[str, Any]) -> dict[str, int]:
    given = source.get("ProvisionedThroughput") or {}
    return {
        "ReadCapacityUnits": int(given.get("ReadCapacityUnits", 1)),
        "WriteCapacityUnits": int(given.get("WriteCapacityUnits", 1)),
    }


def _create_table_request(name: str, props: Mapping[str, Any]) -> dict[str, Any]:
    """CreateTable's request from AWS::DynamoDB::Table's properties (TTL and PITR come after)."""
    billing_mode = props.get("BillingMode", "PROVISIONED")
    provisioned = billing_mode == "PROVISIONED"
    request: dict[str, Any] = {
        "TableName": name,
        "KeySchema": props["KeySchema"],
        "AttributeDefinitions": props["AttributeDefinitions"],
        "BillingMode": billing_mode,
    }
    if provisioned:
        request["ProvisionedThroughput"] = _throughput(props)
    index_keys = ("IndexName", "KeySchema", "Projection")
    if props.get("GlobalSecondaryIndexes"):
        request["GlobalSecondaryIndexes"] = [
            {key: index[key] for key in index_keys}
            | ({"ProvisionedThroughput": _throughput(index)} if provisioned else {})
            for index in props["GlobalSecondaryIndexes"]
        ]
    if props.get("LocalSecondaryIndexes"):
        request["LocalSecondaryIndexes"] = [
            {key: index[key] for key in index_keys} for index in props["LocalSecondaryIndexes"]
        ]
    if stream := props.get("StreamSpecification"):
        request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
    if sse := props.get("SSESpecification"):
        request["SSESpecification"] = {"Enabled": _bool(sse.get("SSEEnabled", False))} | {
            key: sse[key] for key in ("SSEType", "KMSMasterKeyId") if key in sse
        }
    if "DeletionProtectionEnabled" in props:
        request["DeletionProtectionEnabled"] = _bool(props["DeletionProtectionEnabled"])
    if props.get("Tags"):
        request["Tags"] = props["Tags"]
    return request


def create_queue(sqs: Any, logical_id: str, props: Mapping[str, Any], name_prefix: str) -> LocalResource:
    fifo = _bool(props.get("FifoQueue", False))
    name = props.get("QueueName") or physical_name(name_prefix, logical_id) + (".fifo" if fifo else "")
    attributes: dict[str, str] = {}
    for key in _QUEUE_ATTRIBUTES:
        if key not in props:
            continue
        value = props[key]
        attributes[key] = json.dumps(value) if isinstance(value, dict) else _attribute(value)
    request: dict[str, Any] = {"QueueName": name, "Attributes": attributes}
    if props.get("Tags"):
        request["tags"] = {tag["Key"]: tag["Value"] for tag in props["Tags"]}
    url = sqs.create_queue(**request)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return LocalResource(logical_id, QUEUE, name, url, {"Arn": arn, "QueueName": name, "QueueUrl": url})


def create_secret(
    secretsmanager: Any, logical_id: str, props: Mapping[str, Any], name_prefix: str
) -> LocalResource:
    name = props.get("Name") or physical_name(name_prefix, logical_id)
    request: dict[str, Any] = {"Name": name, "SecretString": _secret_string(secretsmanager, props)}
    if props.get("Description"):
        request["Description"] = props["Description"]
    if props.get("KmsKeyId"):
        request["KmsKeyId"] = props["KmsKeyId"]
    if props.get("Tags"):
        request["Tags"] = props["Tags"]
    try:
        arn = secretsmanager.create_secret(**request)["ARN"]
    except ClientError as error:
        if error.response["Error"]["Code"] != "ResourceExistsException":
            raise
        arn = secretsmanager.describe_secret(SecretId=name)["ARN"]
    return LocalResource(logical_id, SECRET, name, arn, {"Id": arn})


def _secret_string(secretsmanager: Any, props: Mapping[str, Any]) -> str:
    if "SecretString" in props:
        return str(props["SecretString"])
    generate = props.get("GenerateSecretString")
    if generate is None:
        return ""
    options = {key: generate[key] for key in _RANDOM_PASSWORD_FIELDS if key in generate}
    if "PasswordLength" in options:
        options["PasswordLength"] = int(options["PasswordLength"])
    for key in set(options) - {"PasswordLength", "ExcludeCharacters"}:
        options[key] = _bool(options[key])
    password = str(secretsmanager.get_random_password(**options)["RandomPassword"])
    if "SecretStringTemplate" in generate and "GenerateStringKey" in generate:
        document = json.loads(generate["SecretStringTemplate"])
        document[generate["GenerateStringKey"]] = password
        return json.dumps(document)
    return password


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def _attribute(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# A creator: (the service's client, logical id, resolved properties, name prefix) -> the resource.
Creator = Callable[[Any, str, Mapping[str, Any], str], LocalResource]
# The provisioned types: the boto3 service that creates each, and its creator.
CREATORS: dict[str, tuple[str, Creator]] = {
    TABLE: ("dynamodb", create_table),
    QUEUE: ("sqs", create_queue),
    SECRET: ("secretsmanager", create_secret),
}
