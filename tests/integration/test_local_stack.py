"""The embedded AWS side: provisioned from template.yaml, and Lambda's SQS event source mapping."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local.cfn import load_template
from local.lambda_runner import DrainReport, drain, fake_context
from local.stack import DEFAULT_TEMPLATE, LocalResources, LocalStack, MotoServer, provision

REGION = "eu-west-3"
TEMPLATE = load_template(DEFAULT_TEMPLATE)
FUNCTIONS = [
    lid for lid, spec in TEMPLATE["Resources"].items() if spec["Type"] == "AWS::Serverless::Function"
]
MAX_RECEIVE_COUNT = int(TEMPLATE["Mappings"]["Sync"]["Queue"]["MaxReceiveCount"])


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def moto_server() -> Iterator[MotoServer]:
    server = MotoServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(params=["moto_server", "in_process"])
def stack(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalResources]:
    """The template provisioned on a fresh moto, either behind a server or in-process."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    if request.param == "moto_server":
        server: MotoServer = request.getfixturevalue("moto_server")
        server.reset()
        yield provision(endpoint_url=server.endpoint_url)
    else:
        with mock_aws():
            yield provision(endpoint_url=None)


def client(resources: LocalResources, service: str) -> Any:
    return boto3.client(service, endpoint_url=resources.endpoint_url, region_name=REGION)  # type: ignore[call-overload]


# ------------------------------------------------------------------ provisioning


def test_tables_are_created_as_the_template_declares(stack: LocalResources) -> None:
    dynamodb = client(stack, "dynamodb")
    declared = {
        lid: spec["Properties"]
        for lid, spec in TEMPLATE["Resources"].items()
        if spec["Type"] == "AWS::DynamoDB::Table"
    }
    assert set(stack.of_type("AWS::DynamoDB::Table")) == set(declared)
    for logical_id, properties in declared.items():
        name = stack.name(logical_id)
        assert name == f"paysync-local-{logical_id}"
        table = dynamodb.describe_table(TableName=name)["Table"]
        assert table["KeySchema"] == properties["KeySchema"]
        assert sorted(table["AttributeDefinitions"], key=str) == sorted(
            properties["AttributeDefinitions"], key=str
        )
        assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
        assert table["SSEDescription"]["Status"] == "ENABLED"
        indexes = {i["IndexName"]: i for i in table.get("GlobalSecondaryIndexes", [])}
        assert set(indexes) == {i["IndexName"] for i in properties.get("GlobalSecondaryIndexes", [])}
        for index in properties.get("GlobalSecondaryIndexes", []):
            assert indexes[index["IndexName"]]["KeySchema"] == index["KeySchema"]
            assert indexes[index["IndexName"]]["Projection"] == index["Projection"]
        backups = dynamodb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
        assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
        assert stack.arn(logical_id) == table["TableArn"]
    ttl = dynamodb.describe_time_to_live(TableName=stack.name("RunsTable"))["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}
    assert "DueIndex" in {
        i["IndexName"]
        for i in dynamodb.describe_table(TableName=stack.name("ConfigTable"))["Table"][
            "GlobalSecondaryIndexes"
        ]
    }


def test_queues_are_fifo_with_the_redrive_policy(stack: LocalResources) -> None:
    sqs = client(stack, "sqs")
    queue = sqs.get_queue_attributes(QueueUrl=stack.queue_url("SyncQueue"), AttributeNames=["All"])[
        "Attributes"
    ]
    dlq = sqs.get_queue_attributes(QueueUrl=stack.queue_url("SyncDeadLetterQueue"), AttributeNames=["All"])[
        "Attributes"
    ]
    assert stack.name("SyncQueue").endswith(".fifo")
    assert queue["FifoQueue"] == "true"
    assert queue["ContentBasedDeduplication"] == "false"
    assert queue["VisibilityTimeout"] == str(
        TEMPLATE["Mappings"]["Sync"]["Queue"]["VisibilityTimeoutSeconds"]
    )
    redrive = json.loads(queue["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"] == dlq["QueueArn"] == stack.arn("SyncDeadLetterQueue")
    assert int(redrive["maxReceiveCount"]) == MAX_RECEIVE_COUNT
    assert dlq["FifoQueue"] == "true"
    assert dlq["MessageRetentionPeriod"] == "1209600"


def test_partner_secret_is_created_with_its_template_name(stack: LocalResources) -> None:
    secrets = client(stack, "secretsmanager")
    assert stack.name("PartnerSecret") == "paysync/myunisoft/partner"
    value = json.loads(secrets.get_secret_value(SecretId="paysync/myunisoft/partner")["SecretString"])
    assert set(value) == {"third_party_secret"}
    assert value["third_party_secret"]
    assert secrets.describe_secret(SecretId=stack.arn("PartnerSecret"))["Name"] == "paysync/myunisoft/partner"


@pytest.mark.parametrize("function", FUNCTIONS)
def test_function_environment_resolves_every_variable(stack: LocalResources, function: str) -> None:
    environment = stack.function_environment(function)
    declared = set(TEMPLATE["Globals"]["Function"]["Environment"]["Variables"])
    own = TEMPLATE["Resources"][function]["Properties"].get("Environment", {}).get("Variables", {})
    assert set(environment) == declared | set(own)
    # Optional settings (a parameter whose default is "") may be empty; nothing else may.
    optional = {
        name
        for name, value in own.items()
        if isinstance(value, dict)
        and TEMPLATE["Parameters"].get(value.get("Ref", ""), {}).get("Default", None) == ""
    }
    for name, value in environment.items():
        assert isinstance(value, str), name
        assert value or name in optional, name
        assert "${" not in value and "{'" not in value, (name, value)
    assert environment["CONFIG_TABLE"] == stack.name("ConfigTable")
    assert environment["RUNS_TABLE"] == stack.name("RunsTable")
    assert environment["LEDGER_TABLE"] == stack.name("LedgerTable")
    assert environment["SYNC_QUEUE_URL"] == stack.queue_url("SyncQueue")
    assert environment["PARTNER_SECRET_NAME"] == stack.name("PartnerSecret")
    assert environment["SYNC_MAX_RECEIVE_COUNT"] == str(MAX_RECEIVE_COUNT)
    assert environment["SILAE_AUTH_URL"] == "https://payroll-api-auth.silae.fr/oauth2/v2.0/token"
    assert environment["PAYSYNC_TIMEZONE"] == "Europe/Paris"


def test_parameter_overrides_reach_resources_and_environment(moto_server: MotoServer) -> None:
    moto_server.reset()
    resources = provision(
        endpoint_url=moto_server.endpoint_url,
        parameter_overrides={
            "SecretsPrefix": "acme",
            "MyUnisoftApiUrl": "http://127.0.0.1:9/api/v1",
            "LogLevel": "DEBUG",
        },
        name_prefix="acme-test",
    )
    environment = resources.function_environment("SyncWorkerFunction")
    assert resources.name("PartnerSecret") == "acme/myunisoft/partner"
    assert environment["PARTNER_SECRET_NAME"] == "acme/myunisoft/partner"
    assert environment["SECRETS_PREFIX"] == "acme"
    assert environment["MYUNISOFT_API_URL"] == "http://127.0.0.1:9/api/v1"
    assert environment["POWERTOOLS_LOG_LEVEL"] == environment["LOG_LEVEL"] == "DEBUG"
    assert environment["CONFIG_TABLE"] == "acme-test-ConfigTable"


def test_provisioning_twice_reuses_the_resources(moto_server: MotoServer) -> None:
    moto_server.reset()
    first = provision(endpoint_url=moto_server.endpoint_url)
    second = provision(endpoint_url=moto_server.endpoint_url)
    assert {lid: r.ref for lid, r in first.resources.items()} == {
        lid: r.ref for lid, r in second.resources.items()
    }


def test_provision_refuses_to_reach_real_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with pytest.raises(RuntimeError, match="in-process moto"):
        provision(endpoint_url=None)


def test_local_stack_points_boto3_at_the_server_and_restores_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "someone-real")
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", "https://dynamodb.example.invalid")
    before = dict(os.environ)
    stack = LocalStack(env=os.environ)
    try:
        resources = stack.start()
        assert os.environ["AWS_ENDPOINT_URL"] == stack.endpoint_url
        assert os.environ["AWS_DEFAULT_REGION"] == os.environ["AWS_REGION"] == REGION
        assert "AWS_PROFILE" not in os.environ
        assert "AWS_ENDPOINT_URL_DYNAMODB" not in os.environ
        # No endpoint given: boto3 (and so the handlers) find the local stack by themselves.
        tables = boto3.client("dynamodb").list_tables()["TableNames"]
        assert set(tables) >= {
            resources.name("ConfigTable"),
            resources.name("RunsTable"),
            resources.name("LedgerTable"),
        }
    finally:
        stack.stop()
    assert dict(os.environ) == before


def test_local_stack_with_its_own_env_mapping() -> None:
    env: dict[str, str] = {"AWS_SESSION_TOKEN": "real-token"}
    with LocalStack(env=env) as resources:
        assert env["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
        assert env["AWS_ACCESS_KEY_ID"] == "testing"
        assert "AWS_SESSION_TOKEN" not in env
        assert resources.endpoint_url == env["AWS_ENDPOINT_URL"]
    assert env == {"AWS_SESSION_TOKEN": "real-token"}


# ------------------------------------------------------------------ drain


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


def run(resources: LocalResources, handler: Any, **kwargs: Any) -> DrainReport:
    return drain(
        resources.queue_url("SyncQueue"),
        handler,
        endpoint_url=resources.endpoint_url,
        region=REGION,
        **kwargs,
    )


def test_drain_delivers_the_exact_lambda_sqs_event(stack: LocalResources) -> None:
    from aws_lambda_powertools.utilities.parser.models import SqsModel

    groups = {
        "firm-1": [f"f1-{i}" for i in range(12)],
        "firm-2": [f"f2-{i}" for i in range(8)],
        "dossier-9": ["d9"],
    }
    send(stack, groups, MessageAttributes={"trigger": {"DataType": "String", "StringValue": "nightly"}})
    events: list[dict[str, Any]] = []
    contexts: list[Any] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        events.append(event)
        contexts.append(context)
        return {"batchItemFailures": []}

    report = run(stack, handler)

    assert report.received == report.successes == 21
    assert report.failures == report.handler_errors == 0
    assert report.invocations == len(events) >= 3
    assert all(1 <= len(event["Records"]) <= 10 for event in events)
    records = [record for event in events for record in event["Records"]]
    for group, bodies in groups.items():  # FIFO: each group in send order
        assert [r["body"] for r in records if r["attributes"]["MessageGroupId"] == group] == bodies
    record = records[0]
    assert set(record) == {
        "messageId",
        "receiptHandle",
        "body",
        "attributes",
        "messageAttributes",
        "md5OfBody",
        "md5OfMessageAttributes",
        "eventSource",
        "eventSourceARN",
        "awsRegion",
    }
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == stack.arn("SyncQueue")
    assert record["awsRegion"] == REGION
    assert record["md5OfBody"] == hashlib.md5(record["body"].encode()).hexdigest()  # noqa: S324 - SQS's checksum
    assert set(record["attributes"]) >= {
        "ApproximateReceiveCount",
        "SentTimestamp",
        "SequenceNumber",
        "MessageGroupId",
        "MessageDeduplicationId",
        "ApproximateFirstReceiveTimestamp",
        "SenderId",
    }
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["messageAttributes"] == {
        "trigger": {
            "stringValue": "nightly",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "String",
        }
    }
    for event in events:
        SqsModel.model_validate(event)  # what Powertools' parser and batch processor expect
    assert len({c.aws_request_id for c in contexts}) == len(contexts)
    context = contexts[0]
    assert context.function_name == "paysync-local-SyncWorkerFunction"
    assert context.invoked_function_arn.endswith(":function:paysync-local-SyncWorkerFunction")
    assert context.memory_limit_in_mb > 0
    assert 0 < context.get_remaining_time_in_millis() <= 300_000
    assert queue_depth(stack, "SyncQueue") == 0


def test_drain_redelivers_partial_batch_failures(stack: LocalResources) -> None:
    send(stack, {"firm-1": ["a", "b", "c"], "firm-2": ["x", "y"]})
    deliveries: list[tuple[str, str]] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        failures = []
        for record in event["Records"]:
            deliveries.append((record["body"], record["attributes"]["ApproximateReceiveCount"]))
            if record["body"] == "y" and record["attributes"]["ApproximateReceiveCount"] == "1":
                failures.append({"itemIdentifier": record["messageId"]})
        return {"batchItemFailures": failures}

    report = run(stack, handler)

    assert report.successes == 5
    assert report.failures == 1
    assert report.received == 6
    assert ("y", "1") in deliveries and ("y", "2") in deliveries
    assert sorted(body for body, _ in deliveries) == ["a", "b", "c", "x", "y", "y"]
    assert queue_depth(stack, "SyncQueue") == 0
    assert queue_depth(stack, "SyncDeadLetterQueue") == 0


def test_poison_messages_reach_the_dlq_after_max_receive_count(stack: LocalResources) -> None:
    send(stack, {"firm-1": ["ok-1", "poison", "ok-2"], "firm-2": ["ok-3"]})
    attempts: list[str] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        failures = []
        for record in event["Records"]:
            if record["body"] == "poison":
                attempts.append(record["attributes"]["ApproximateReceiveCount"])
                failures.append({"itemIdentifier": record["messageId"]})
        return {"batchItemFailures": failures}

    report = run(stack, handler)

    assert attempts == [str(n) for n in range(1, MAX_RECEIVE_COUNT + 1)]
    assert report.failures == MAX_RECEIVE_COUNT
    assert report.successes == 3
    assert queue_depth(stack, "SyncQueue") == 0
    dead = client(stack, "sqs").receive_message(
        QueueUrl=stack.queue_url("SyncDeadLetterQueue"), MaxNumberOfMessages=10, AttributeNames=["All"]
    )["Messages"]
    assert [m["Body"] for m in dead] == ["poison"]
    assert dead[0]["Attributes"]["MessageGroupId"] == "firm-1"


def test_a_raising_handler_fails_the_whole_batch(stack: LocalResources) -> None:
    send(stack, {"firm-1": ["a", "b"]})
    calls: list[list[str]] = []

    def handler(event: dict[str, Any], context: Any) -> None:
        calls.append([r["body"] for r in event["Records"]])
        if len(calls) == 1:
            raise RuntimeError("boom")

    report = run(stack, handler)

    assert report.handler_errors == 1
    assert [str(e) for e in report.errors] == ["boom"]
    assert report.failures == 2
    assert report.successes == 2
    assert calls == [["a", "b"], ["a", "b"]]
    assert queue_depth(stack, "SyncQueue") == 0


@pytest.mark.parametrize(
    "response",
    [
        {"batchItemFailures": [{"itemIdentifier": "not-in-the-batch"}]},
        {"batchItemFailures": [{"itemIdentifier": ""}]},
        {"batchItemFailures": [{"wrongKey": "x"}]},
        "not an object",
    ],
)
def test_invalid_responses_fail_the_whole_batch(stack: LocalResources, response: Any) -> None:
    send(stack, {"firm-1": ["a", "b"]})
    report = run(stack, lambda event, context: response, max_batches=1)
    assert report.invocations == 1
    assert report.failures == 2
    assert report.successes == 0
    assert queue_depth(stack, "SyncQueue") == 2


@pytest.mark.parametrize("skip_group_on_error", [False, True])
def test_drain_works_with_powertools_fifo_batch_processor(
    stack: LocalResources, skip_group_on_error: bool
) -> None:
    from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response

    send(stack, {"firm-1": ["1", "2", "fail-once", "4"], "firm-2": ["5"]})
    seen: list[str] = []
    failed_once: set[str] = set()

    def record_handler(record: Any) -> None:
        seen.append(record.body)
        if record.body == "fail-once" and record.body not in failed_once:
            failed_once.add(record.body)
            raise ValueError("transient")

    def handler(event: dict[str, Any], context: Any) -> Any:
        processor = SqsFifoPartialProcessor(skip_group_on_error=skip_group_on_error)
        return process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )

    report = run(stack, handler)

    # The FIFO processor fails what follows a failure (in its group, or in the whole batch) without
    # processing it, so the group's order holds: "4" only after "fail-once" succeeded.
    assert [body for body in seen if body != "5"] == ["1", "2", "fail-once", "fail-once", "4"]
    assert seen.count("5") == 1
    assert report.failures == (2 if skip_group_on_error else 3)
    assert queue_depth(stack, "SyncQueue") == 0
    assert queue_depth(stack, "SyncDeadLetterQueue") == 0


def test_max_batches_and_custom_context(stack: LocalResources) -> None:
    send(stack, {f"group-{n}": [f"m{n}"] for n in range(15)})
    names: list[str] = []

    def handler(event: dict[str, Any], context: Any) -> None:
        names.append(context.function_name)

    report = run(
        stack,
        handler,
        batch_size=5,
        max_batches=2,
        context_factory=lambda: fake_context("custom", timeout_seconds=3),
    )
    assert report.invocations == 2
    assert report.successes == 10
    assert names == ["custom", "custom"]
    assert queue_depth(stack, "SyncQueue") == 5


def test_batch_size_is_bounded_like_sqs(stack: LocalResources) -> None:
    with pytest.raises(ValueError, match="1 to 10"):
        run(stack, lambda event, context: None, batch_size=11)
