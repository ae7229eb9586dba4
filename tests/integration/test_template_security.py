"""template.yaml's security settings: what checkov checks in `make validate`, kept true between scans.

Each checkov check skipped inline must say why in one line; the ones that fit the stack are fixed
(encrypted queues and topic, API access logs, a DLQ and one-at-a-time for scheduled functions).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests import template_support

SCHEDULED_FUNCTIONS = ("NightlyPullFunction", "KeyExpiryRemindersFunction")


@pytest.fixture(scope="module")
def resources() -> dict[str, Any]:
    resources: dict[str, Any] = template_support.template()["Resources"]
    return resources


def of_type(resources: dict[str, Any], kind: str) -> dict[str, Any]:
    return {name: resource for name, resource in resources.items() if resource["Type"] == kind}


def test_every_inline_checkov_skip_gives_its_reason(resources: dict[str, Any]) -> None:
    skips = [
        (name, skip)
        for name, resource in resources.items()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]
    assert skips, "the template skips no check: then this test is stale"
    for name, skip in skips:
        assert skip["id"].startswith("CKV"), (name, skip)
        comment = skip.get("comment", "")
        assert len(comment) > 20 and "\n" not in comment.strip(), (name, skip)


def test_every_queue_and_topic_is_encrypted(resources: dict[str, Any]) -> None:
    for name, queue in of_type(resources, "AWS::SQS::Queue").items():
        assert "KmsMasterKeyId" in queue["Properties"], name
    for name, topic in of_type(resources, "AWS::SNS::Topic").items():
        assert topic["Properties"]["KmsMasterKeyId"] == {"Ref": "AlarmTopicKey"}, name
    key_policy = resources["AlarmTopicKey"]["Properties"]["KeyPolicy"]["Statement"]
    assert any(s["Principal"].get("Service") == "cloudwatch.amazonaws.com" for s in key_policy)


def test_scheduled_functions_keep_failed_invocations_and_run_one_at_a_time(resources: dict[str, Any]) -> None:
    for name in SCHEDULED_FUNCTIONS:
        properties = resources[name]["Properties"]
        assert properties["DeadLetterQueue"] == {
            "Type": "SQS",
            "TargetArn": {"Fn::GetAtt": ["ScheduledInvocationsDeadLetterQueue", "Arn"]},
        }, name
        assert properties["ReservedConcurrentExecutions"] == 1, name
    alarm = resources["ScheduledInvocationsDeadLetterQueueAlarm"]["Properties"]
    assert alarm["Dimensions"][0]["Value"] == {
        "Fn::GetAtt": ["ScheduledInvocationsDeadLetterQueue", "QueueName"]
    }


def test_api_access_logs_name_the_key_id_never_a_credential(resources: dict[str, Any]) -> None:
    api = resources["PaysyncApi"]
    assert api["DependsOn"] == "ApiGatewayAccount"
    setting = api["Properties"]["AccessLogSetting"]
    assert setting["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    assert "$context.authorizer.principalId" in setting["Format"]
    assert "Authorization" not in setting["Format"] and "$input" not in setting["Format"]
    assert resources["ApiAccessLogGroup"]["Properties"]["RetentionInDays"] == 365
