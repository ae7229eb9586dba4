"""local.moto_speed: moto answers as DynamoDB and SQS do, with the costs that grow with a table or a
queue taken out (queries read one partition, a transaction copies only the items it names)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError
from moto import mock_aws

from local import moto_speed


@pytest.fixture
def table() -> Iterator[Any]:
    moto_speed.install()
    with mock_aws():
        dynamodb = boto3.resource("dynamodb", region_name="eu-west-3")
        created = dynamodb.create_table(
            TableName="links",
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
                {"AttributeName": "due", "AttributeType": "S"},
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "DueIndex",
                    "KeySchema": [
                        {"AttributeName": "due", "KeyType": "HASH"},
                        {"AttributeName": "sk", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        with created.batch_writer() as batch:
            for p in range(5):
                for s in (3, 1, 2):
                    item = {"pk": f"p{p}", "sk": f"s{s}"}
                    if s != 2:
                        item["due"] = f"d{p % 2}"
                    batch.put_item(Item=item)
        yield created


def _keys(items: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(str(i["pk"]), str(i["sk"])) for i in items]


def test_a_query_on_the_table_s_key_answers_its_partition_in_order(table: Any) -> None:
    answer = table.query(KeyConditionExpression=Key("pk").eq("p3"))
    assert _keys(answer["Items"]) == [("p3", "s1"), ("p3", "s2"), ("p3", "s3")]
    backwards = table.query(KeyConditionExpression=Key("pk").eq("p3"), ScanIndexForward=False)
    assert _keys(backwards["Items"]) == [("p3", "s3"), ("p3", "s2"), ("p3", "s1")]
    ranged = table.query(KeyConditionExpression=Key("pk").eq("p3") & Key("sk").gt("s1"))
    assert _keys(ranged["Items"]) == [("p3", "s2"), ("p3", "s3")]
    assert table.query(KeyConditionExpression=Key("pk").eq("nobody"))["Items"] == []


def test_pages_of_a_partition_follow_one_another(table: Any) -> None:
    first = table.query(KeyConditionExpression=Key("pk").eq("p1"), Limit=2)
    assert _keys(first["Items"]) == [("p1", "s1"), ("p1", "s2")]
    rest = table.query(KeyConditionExpression=Key("pk").eq("p1"), ExclusiveStartKey=first["LastEvaluatedKey"])
    assert _keys(rest["Items"]) == [("p1", "s3")]


def test_an_index_query_still_reads_every_partition(table: Any) -> None:
    answer = table.query(IndexName="DueIndex", KeyConditionExpression=Key("due").eq("d0"))
    # p0, p2, p4 are due d0; only s1 and s3 carry the index's key; sorted by the index's range key.
    assert sorted(_keys(answer["Items"])) == [(f"p{p}", s) for p in (0, 2, 4) for s in ("s1", "s3")]
    assert [str(i["sk"]) for i in answer["Items"]] == ["s1"] * 3 + ["s3"] * 3


def test_a_scan_still_answers_every_item(table: Any) -> None:
    assert len(table.scan()["Items"]) == 15


def test_a_cancelled_transaction_leaves_every_item_as_it_was(table: Any) -> None:
    client = boto3.client("dynamodb", region_name="eu-west-3")  # the resource's would re-serialize
    with pytest.raises(ClientError) as refused:
        client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "links", "Item": {"pk": {"S": "new"}, "sk": {"S": "s1"}}}},
                {
                    "Update": {
                        "TableName": "links",
                        "Key": {"pk": {"S": "p0"}, "sk": {"S": "s1"}},
                        "UpdateExpression": "SET marked = :yes",
                        "ExpressionAttributeValues": {":yes": {"BOOL": True}},
                    }
                },
                {
                    "Delete": {
                        "TableName": "links",
                        "Key": {"pk": {"S": "p0"}, "sk": {"S": "s3"}},
                        "ConditionExpression": "attribute_not_exists(pk)",  # it exists: refused
                    }
                },
            ]
        )
    assert refused.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert "Item" not in table.get_item(Key={"pk": "new", "sk": "s1"})
    assert table.get_item(Key={"pk": "p0", "sk": "s1"})["Item"] == {"pk": "p0", "sk": "s1", "due": "d0"}
    assert "Item" in table.get_item(Key={"pk": "p0", "sk": "s3"})
    assert len(table.scan()["Items"]) == 15


def test_a_transaction_that_goes_through_writes_every_item(table: Any) -> None:
    boto3.client("dynamodb", region_name="eu-west-3").transact_write_items(
        TransactItems=[
            {"Put": {"TableName": "links", "Item": {"pk": {"S": "new"}, "sk": {"S": "s1"}}}},
            {"Delete": {"TableName": "links", "Key": {"pk": {"S": "p0"}, "sk": {"S": "s3"}}}},
        ]
    )
    assert "Item" in table.get_item(Key={"pk": "new", "sk": "s1"})
    assert "Item" not in table.get_item(Key={"pk": "p0", "sk": "s3"})


def test_a_table_deep_copied_outside_a_transaction_is_a_copy() -> None:
    import copy

    moto_speed.install()
    with mock_aws():
        from moto.dynamodb.models import dynamodb_backends

        boto3.client("dynamodb", region_name="eu-west-3").create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        original = dynamodb_backends["123456789012"]["eu-west-3"].tables["t"]
        clone = copy.deepcopy(original)
        assert clone is not original and clone.items is not original.items


def test_the_queue_still_counts_its_messages_and_delivers_them() -> None:
    moto_speed.install()
    with mock_aws():
        sqs = boto3.client("sqs", region_name="eu-west-3")
        url = sqs.create_queue(
            QueueName="q.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "false"}
        )["QueueUrl"]
        sqs.send_message_batch(
            QueueUrl=url,
            Entries=[
                {
                    "Id": str(n),
                    "MessageBody": f"m{n}",
                    "MessageGroupId": "g",
                    "MessageDeduplicationId": f"d{n}",
                }
                for n in range(3)
            ],
        )
        counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
        assert counts["Attributes"]["ApproximateNumberOfMessages"] == "3"
        with pytest.raises(ClientError):  # a FIFO message without its group is still refused
            sqs.send_message(QueueUrl=url, MessageBody="x", MessageDeduplicationId="x")
        received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        assert [m["Body"] for m in received] == ["m0", "m1", "m2"]
        after = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert after["ApproximateNumberOfMessages"] == "0"
        assert after["ApproximateNumberOfMessagesNotVisible"] == "3"
