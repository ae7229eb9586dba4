"""The embedded AWS side, provisioned from template.yaml: tables, queues, secrets, environments, and
the LocalStack that points boto3 at it."""

from __future__ import annotations

import json
import os

import boto3
import pytest

from local.moto_server import MotoServer
from local.provision import LocalResources, provision
from local.stack import LocalStack
from tests.integration.local_stack.support import FUNCTIONS, MAX_RECEIVE_COUNT, REGION, TEMPLATE, client

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
    assert environment["SOCIETY_FACTS_TABLE"] == stack.name("SocietyFactsTable")
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
