"""paysync's DynamoDB, Secrets Manager and SQS calls against moto over HTTP: what paysync writes,
boto3 reads back the same, and the other way round; refusals read as boto3 would report them."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import boto3
import pytest

from paysync.aws.conditions import Attr, Key
from paysync.aws.dynamodb import Table
from paysync.aws.errors import AwsServiceError
from paysync.aws.services import dynamodb, reset_clients, secretsmanager, sqs
from paysync.storage.dynamo import query_items
from tests.aws_endpoint import fresh_aws


@pytest.fixture
def table(monkeypatch: pytest.MonkeyPatch) -> Iterator[Table]:
    fresh_aws(monkeypatch)
    reset_clients()
    boto3.client("dynamodb").create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    yield dynamodb().Table("t")
    reset_clients()


ITEM = {
    "pk": "dossier#1",
    "sk": 3,
    "label": "Paie — été",
    "amount": Decimal("1234.56"),
    "flags": {"a", "b"},
    "lines": [{"account": "421000", "debit": Decimal("10.5")}, None, True],
    "chart": b"\x78\x9c\x00",
}


def test_what_paysync_writes_boto3_reads_and_back(table: Table) -> None:
    table.put_item(Item=ITEM)
    theirs = boto3.resource("dynamodb").Table("t")
    read = theirs.get_item(Key={"pk": "dossier#1", "sk": 3}, ConsistentRead=True)["Item"]
    assert {**read, "chart": bytes(read["chart"].value)} == ITEM  # boto3 wraps bytes in Binary
    theirs.put_item(Item={**ITEM, "sk": 4, "chart": ITEM["chart"]})
    assert table.get_item(Key={"pk": "dossier#1", "sk": 4}, ConsistentRead=True)["Item"] == {**ITEM, "sk": 4}


def test_conditions_updates_and_the_record_in_the_way(table: Table) -> None:
    table.put_item(Item={"pk": "p", "sk": 1, "status": "claimed", "run_id": "r1"})
    with pytest.raises(AwsServiceError) as refused:
        table.put_item(
            Item={"pk": "p", "sk": 1, "status": "claimed", "run_id": "r2"},
            ConditionExpression=Attr("pk").not_exists()
            | (Attr("status").eq("claimed") & Attr("run_id").eq("r2")),
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    assert refused.value.code == "ConditionalCheckFailedException"
    assert refused.value.response["Item"]["run_id"] == {"S": "r1"}  # typed, as on the wire
    answer = table.update_item(
        Key={"pk": "p", "sk": 1},
        UpdateExpression="SET #s = :posted, entry_id = :id",
        ConditionExpression=Attr("status").eq("claimed") & Attr("run_id").eq("r1"),
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":posted": "posted", ":id": 42},
        ReturnValues="ALL_NEW",
    )
    assert answer["Attributes"]["status"] == "posted" and answer["Attributes"]["entry_id"] == Decimal(42)
    table.delete_item(Key={"pk": "p", "sk": 1}, ConditionExpression=Attr("status").is_in(["posted", "seen"]))
    assert "Item" not in table.get_item(Key={"pk": "p", "sk": 1}, ConsistentRead=True)


def test_queries_follow_every_page(table: Table) -> None:
    for sk in range(25):
        table.put_item(Item={"pk": "q", "sk": sk})
    table.put_item(Item={"pk": "other", "sk": 1})
    found = list(query_items(table, KeyConditionExpression=Key("pk").eq("q") & Key("sk").gte(5), Limit=4))
    assert [int(item["sk"]) for item in found] == list(range(5, 25))


def test_a_refused_transaction_changes_nothing_and_says_why(table: Table) -> None:
    table.put_item(Item={"pk": "lock", "sk": 0, "holder": "r1"})
    with pytest.raises(AwsServiceError) as refused:
        table.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "t", "Item": {"pk": "run", "sk": 2}}},
                {
                    "Put": {
                        "TableName": "t",
                        "Item": {"pk": "lock", "sk": 0, "holder": "r2"},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )
    assert refused.value.code == "TransactionCanceledException"
    assert "Item" not in table.get_item(Key={"pk": "run", "sk": 2}, ConsistentRead=True)


def test_secrets_and_queue(table: Table) -> None:
    manager = secretsmanager()
    created = manager.call(
        "CreateSecret", {"Name": "paysync/firms/f/payroll", "SecretString": '{"client_id": "c"}'}
    )
    assert (
        boto3.client("secretsmanager").get_secret_value(SecretId="paysync/firms/f/payroll")["VersionId"]
        == (created["VersionId"])
    )
    with pytest.raises(AwsServiceError) as missing:
        manager.call("GetSecretValue", {"SecretId": "paysync/firms/nobody/payroll"})
    assert missing.value.code == "ResourceNotFoundException"
    url = boto3.client("sqs").create_queue(
        QueueName="runs.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "false"}
    )["QueueUrl"]
    entries = [
        {"Id": "0", "MessageBody": '{"run_id": "r"}', "MessageGroupId": "g", "MessageDeduplicationId": "r"}
    ]
    assert sqs().call("SendMessageBatch", {"QueueUrl": url, "Entries": entries})["Successful"][0]["Id"] == "0"
    received = boto3.client("sqs").receive_message(QueueUrl=url, AttributeNames=["MessageGroupId"])[
        "Messages"
    ]
    assert received[0]["Body"] == '{"run_id": "r"}' and received[0]["Attributes"]["MessageGroupId"] == "g"
