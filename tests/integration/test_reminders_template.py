"""template.yaml for the reminders: function, schedule, send-once table, sparse indexes, least privilege."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from local.cfn import Resolver, parameter_values
from tests import template_support

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return template_support.template()


resolver = template_support.symbolic_resolver


def _index(table: dict[str, Any], name: str) -> dict[str, Any]:
    (index,) = [i for i in table["Properties"]["GlobalSecondaryIndexes"] if i["IndexName"] == name]
    return dict(index)


def _keys(index: dict[str, Any]) -> list[tuple[str, str]]:
    return [(k["AttributeName"], k["KeyType"]) for k in index["KeySchema"]]


def test_sparse_indexes_for_expiring_secrets_and_failed_runs(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    expiry = _index(resources["ConfigTable"], "ExpiryIndex")
    assert _keys(expiry) == [("expiry_partition", "HASH"), ("secret_expires_on", "RANGE")]
    failure = _index(resources["RunsTable"], "FailureIndex")
    assert _keys(failure) == [("failure_partition", "HASH"), ("finished_at", "RANGE")]
    assert expiry["Projection"]["ProjectionType"] == failure["Projection"]["ProjectionType"] == "ALL"


def test_notifications_table_is_protected_and_expires_its_records(template: dict[str, Any]) -> None:
    spec = template["Resources"]["NotificationsTable"]
    properties = spec["Properties"]
    assert spec["Type"] == "AWS::DynamoDB::Table"
    assert spec["DeletionPolicy"] == spec["UpdateReplacePolicy"] == "Retain"
    assert properties["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    assert properties["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert properties["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert properties["SSESpecification"]["SSEEnabled"] is True


def test_the_function_runs_every_morning_in_the_firms_time_zone(template: dict[str, Any]) -> None:
    function = template["Resources"]["KeyExpiryRemindersFunction"]["Properties"]
    assert function["CodeUri"] == "functions/key_expiry_reminders/" and function["Handler"] == "app.handler"
    (event,) = function["Events"].values()
    assert event["Type"] == "ScheduleV2"
    assert event["Properties"]["ScheduleExpression"] == {"Ref": "RemindersSchedule"}
    assert event["Properties"]["ScheduleExpressionTimezone"] == {"Ref": "ScheduleTimezone"}
    assert json.loads(event["Properties"]["Input"]) == {"kind": "key_expiry_reminders"}
    defaults = parameter_values(template)
    assert defaults["RemindersSchedule"] == "cron(0 8 * * ? *)"
    assert defaults["ScheduleTimezone"] == "Europe/Paris"
    sample = json.loads((ROOT / "events" / "key_expiry_reminders.json").read_text(encoding="utf-8"))
    assert sample == json.loads(event["Properties"]["Input"])


def test_environment_and_defaults_agree_with_the_library(template: dict[str, Any]) -> None:
    from paysync.config import ReminderSettings, Settings

    r = resolver(template)
    function = template["Resources"]["KeyExpiryRemindersFunction"]["Properties"]
    environment = {k: r.resolve_str(v) for k, v in function["Environment"]["Variables"].items()}
    assert environment == {
        "NOTIFICATIONS_TABLE": "ref:NotificationsTable",
        "SENDER_EMAIL": "paysync@example.com",
        "REPLY_TO_EMAIL": "",
        "SES_CONFIGURATION_SET": "",
        "NOTIFICATION_LEASE_SECONDS": "600",
    }
    reminders = ReminderSettings.from_environment(environment)
    assert reminders.sender_email == environment["SENDER_EMAIL"]
    assert reminders.notifications_table == "ref:NotificationsTable"
    assert reminders.reply_to_email is None and reminders.ses_configuration_set is None  # empty: unset
    globals_ = template["Globals"]["Function"]["Environment"]["Variables"]
    settings = Settings.from_environment(
        {**{k: r.resolve_str(v) for k, v in globals_.items()}, **environment}
    )
    assert settings.notification_lease_seconds == int(environment["NOTIFICATION_LEASE_SECONDS"])
    assert Settings.model_fields["notification_lease_seconds"].default == settings.notification_lease_seconds
    # A claim must outlive the invocation that holds it (storage/notifications.py).
    timeout = int(r.resolve(function["Timeout"]))
    assert settings.notification_lease_seconds > timeout


def _grants(r: Resolver, template: dict[str, Any]) -> set[tuple[str, str]]:
    pairs: set[tuple[str, str]] = set()
    for policy in template["Resources"]["KeyExpiryRemindersFunction"]["Properties"]["Policies"]:
        for statement in r.resolve(policy["Statement"]):
            assert statement["Effect"] == "Allow"
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources = (
                statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            )
            pairs |= {(a, res) for a in actions for res in resources}
    return pairs


def test_least_privilege_and_ses_limited_to_the_sender_identity(template: dict[str, Any]) -> None:
    dynamodb = {
        ("dynamodb:Query", "arn:ConfigTable/Arn/index/ExpiryIndex"),
        ("dynamodb:GetItem", "arn:ConfigTable/Arn"),
        ("dynamodb:Query", "arn:RunsTable/Arn/index/FailureIndex"),
        ("dynamodb:GetItem", "arn:NotificationsTable/Arn"),
        ("dynamodb:PutItem", "arn:NotificationsTable/Arn"),
        ("dynamodb:UpdateItem", "arn:NotificationsTable/Arn"),
    }
    identity = "arn:aws:ses:eu-west-3:123456789012:identity"
    assert _grants(resolver(template, SenderEmail="noreply@cabinet-x.fr"), template) == dynamodb | {
        ("ses:SendEmail", f"{identity}/noreply@cabinet-x.fr"),
        ("ses:SendEmail", f"{identity}/cabinet-x.fr"),
    }
    with_set = resolver(template, SenderEmail="noreply@cabinet-x.fr", SesConfigurationSet="paysync-events")
    assert _grants(with_set, template) == dynamodb | {
        ("ses:SendEmail", f"{identity}/noreply@cabinet-x.fr"),
        ("ses:SendEmail", f"{identity}/cabinet-x.fr"),
        ("ses:SendEmail", "arn:aws:ses:eu-west-3:123456789012:configuration-set/paysync-events"),
    }


def test_errors_raise_an_alarm(template: dict[str, Any]) -> None:
    alarms = [
        spec["Properties"]
        for spec in template["Resources"].values()
        if spec["Type"] == "AWS::CloudWatch::Alarm"
        and spec["Properties"]["Dimensions"][0]["Value"] == {"Ref": "KeyExpiryRemindersFunction"}
    ]
    (alarm,) = alarms
    assert alarm["MetricName"] == "Errors" and {"Ref": "AlarmTopic"} in alarm["AlarmActions"]
    # A firm nobody can be emailed about is an operator's problem, not a silent one.
    missing = template["Resources"]["ReminderRecipientsMissingAlarm"]["Properties"]
    namespace = template["Globals"]["Function"]["Environment"]["Variables"]["POWERTOOLS_METRICS_NAMESPACE"]
    assert missing["Namespace"] == namespace
    assert missing["Dimensions"] == [{"Name": "service", "Value": "paysync"}]
    source = (ROOT / "layers/paysync/paysync/usecases/reminders.py").read_text(encoding="utf-8")
    assert f'name="{missing["MetricName"]}"' in source


def test_sender_parameters_are_validated(template: dict[str, Any]) -> None:
    from local.cfn import CfnError

    with pytest.raises(CfnError):
        parameter_values(template, {"SenderEmail": "not-an-address"})
    with pytest.raises(CfnError):
        parameter_values(template, {"ReplyToEmail": "two words@x.fr"})
    assert parameter_values(template, {"ReplyToEmail": "support@cabinet.fr"})["ReplyToEmail"]
