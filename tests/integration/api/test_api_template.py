"""template.yaml's API: one REST API, an authorizer on every route but the documentation, throttling
on the stage, and least-privilege policies for the API functions."""

from __future__ import annotations

from typing import Any

import pytest

from local.cfn import Resolver, load_template, parameter_values
from tests.contracts import REPO_ROOT

SECRETS = "arn:aws:secretsmanager:eu-west-3:123456789012:secret:paysync"


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template(REPO_ROOT / "template.yaml")


def _arn(logical_id: str) -> str:
    return f"arn:test:{logical_id}"


def _grants(template: dict[str, Any], logical_id: str) -> set[tuple[str, str]]:
    resolver = Resolver(
        template,
        parameters=parameter_values(template),
        pseudo={"AWS::Partition": "aws", "AWS::Region": "eu-west-3", "AWS::AccountId": "123456789012"},
        refs=lambda name: f"ref:{name}",
        attributes=lambda name, attribute: _arn(name),
    )
    grants: set[tuple[str, str]] = set()
    for policy in template["Resources"][logical_id]["Properties"]["Policies"]:
        if "AWSSecretsManagerGetSecretValuePolicy" in policy:
            arn = resolver.resolve(policy["AWSSecretsManagerGetSecretValuePolicy"]["SecretArn"])
            grants.add(("secretsmanager:GetSecretValue", arn))
            continue
        for statement in resolver.resolve(policy["Statement"]):
            assert statement["Effect"] == "Allow"
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources = (
                statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            )
            grants |= {(a, r) for a in actions for r in resources}
    return grants


def test_one_rest_api_with_the_authorizer_by_default_and_stage_throttling(template: dict[str, Any]) -> None:
    api = template["Resources"]["PaysyncApi"]
    assert api["Type"] == "AWS::Serverless::Api"
    properties = api["Properties"]
    auth = properties["Auth"]
    assert auth["DefaultAuthorizer"] == "ApiKeyAuthorizer"
    authorizer = auth["Authorizers"]["ApiKeyAuthorizer"]
    assert authorizer["FunctionArn"] == {"Fn::GetAtt": ["AuthorizerFunction", "Arn"]}
    assert authorizer["Identity"]["Header"] == "Authorization"
    (throttling,) = properties["MethodSettings"]
    assert throttling["ResourcePath"] == "/*" and throttling["HttpMethod"] == "*"
    assert throttling["ThrottlingRateLimit"] == {"Ref": "ApiThrottlingRateLimit"}
    assert throttling["ThrottlingBurstLimit"] == {"Ref": "ApiThrottlingBurstLimit"}
    assert {"UNAUTHORIZED", "ACCESS_DENIED", "THROTTLED", "DEFAULT_4XX", "DEFAULT_5XX"} <= set(
        properties["GatewayResponses"]
    )
    # Only the documentation skips the authorizer; every API event is on this API.
    open_routes = set()
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        for event in (resource["Properties"].get("Events") or {}).values():
            if event["Type"] != "Api":
                continue
            assert event["Properties"]["RestApiId"] == {"Ref": "PaysyncApi"}
            if (event["Properties"].get("Auth") or {}).get("Authorizer") == "NONE":
                open_routes.add((logical_id, event["Properties"]["Path"]))
    assert open_routes == {("SettingsApiFunction", "/openapi.json"), ("SettingsApiFunction", "/swagger")}


def test_api_functions_are_least_privilege(template: dict[str, Any]) -> None:
    config, runs = _arn("ConfigTable"), _arn("RunsTable")
    assert _grants(template, "AuthorizerFunction") == {("dynamodb:GetItem", config)}
    assert _grants(template, "SettingsApiFunction") == {
        ("dynamodb:GetItem", config),
        ("dynamodb:PutItem", config),
        ("dynamodb:UpdateItem", config),
        ("dynamodb:DeleteItem", config),  # a creation given up drops its claim
        ("dynamodb:ConditionCheckItem", config),  # the last operator credential stays
        ("dynamodb:Query", f"{config}/index/FirmIndex"),
        ("dynamodb:GetItem", runs),
        ("dynamodb:Query", f"{runs}/index/DossierIndex"),
        *{
            (f"secretsmanager:{verb}", f"{SECRETS}/{kind}/*")
            # Describe and UpdateSecretVersionStage: undoing a write; still never GetSecretValue.
            for verb in (
                "CreateSecret",
                "PutSecretValue",
                "DeleteSecret",
                "DescribeSecret",
                "UpdateSecretVersionStage",
            )
            for kind in ("firms", "dossiers")
        },
    }
    assert _grants(template, "OnDemandSyncFunction") == {
        ("dynamodb:GetItem", config),
        ("dynamodb:UpdateItem", config),
        ("dynamodb:GetItem", runs),
        ("dynamodb:PutItem", runs),
        ("dynamodb:Query", f"{runs}/index/DossierIndex"),
        ("dynamodb:Query", _arn("AccountLinksTable")),
        ("dynamodb:GetItem", _arn("SocietyFactsTable")),
        ("dynamodb:UpdateItem", _arn("SocietyFactsTable")),  # facts a dry run had to fetch
        ("sqs:SendMessage", _arn("SyncQueue")),
        ("dynamodb:GetItem", _arn("LedgerTable")),  # the period view: what was posted
        ("secretsmanager:GetSecretValue", f"{SECRETS}/*"),
    }
    assert _grants(template, "TestConnectionFunction") == {
        ("dynamodb:GetItem", config),
        ("dynamodb:UpdateItem", config),
        ("dynamodb:Query", f"{config}/index/FirmIndex"),  # discovery: the firm's configured pairs
        ("dynamodb:Query", _arn("AccountLinksTable")),  # the account list
        ("dynamodb:PutItem", _arn("AccountLinksTable")),  # a manual link
        ("secretsmanager:GetSecretValue", f"{SECRETS}/*"),
    }


def test_synchronous_functions_answer_within_api_gateway_s_29_seconds(template: dict[str, Any]) -> None:
    for logical_id in ("SettingsApiFunction", "OnDemandSyncFunction", "TestConnectionFunction"):
        assert template["Resources"][logical_id]["Properties"]["Timeout"] <= 29, logical_id
    variables = template["Resources"]["OnDemandSyncFunction"]["Properties"]["Environment"]["Variables"]
    # A dry run's calls: six at most, one attempt each, short timeouts.
    assert float(variables["HTTP_TIMEOUT_SECONDS"]) * 6 < 29 and variables["SILAE_MAX_ATTEMPTS"] == "1"
    from paysync.usecases.connection_check import BUDGET_SECONDS, CHECK_TIMEOUT_SECONDS

    assert BUDGET_SECONDS + CHECK_TIMEOUT_SECONDS < 25
