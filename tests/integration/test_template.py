"""template.yaml: it validates (SAM + cfn-lint, offline) and keeps the invariants the code relies on.

One module on purpose (~490 lines): each test is one invariant of the one template the code relies on.
"""

from __future__ import annotations

import json
import os
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from local.cfn import Resolver, parameter_values
from tests import template_support

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = ROOT / "template.yaml"

EXPECTED_ENVIRONMENT = {
    "POWERTOOLS_SERVICE_NAME",
    "POWERTOOLS_METRICS_NAMESPACE",
    "POWERTOOLS_LOG_LEVEL",
    "LOG_LEVEL",
    "SILAE_AUTH_URL",
    "SILAE_API_URL",
    "SILAE_SCOPE",
    "MYUNISOFT_API_URL",
    "CONFIG_TABLE",
    "RUNS_TABLE",
    "LEDGER_TABLE",
    "SOCIETY_FACTS_TABLE",
    "SYNC_QUEUE_URL",
    "SECRETS_PREFIX",
    "PARTNER_SECRET_NAME",
    "PAYSYNC_TIMEZONE",
    "SYNC_MAX_RECEIVE_COUNT",
}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return template_support.template()


@pytest.fixture(scope="module")
def resolver(template: dict[str, Any]) -> Resolver:
    return template_support.symbolic_resolver(template)


def resources_of(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {lid: spec for lid, spec in template["Resources"].items() if spec["Type"] == resource_type}


def functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return resources_of(template, "AWS::Serverless::Function")


def global_function(template: dict[str, Any]) -> dict[str, Any]:
    return dict(template.get("Globals", {}).get("Function", {}))


def global_environment(template: dict[str, Any], resolver: Resolver) -> dict[str, str]:
    """Globals' variables as the functions receive them (parameter defaults, symbolic resources)."""
    variables = global_function(template)["Environment"]["Variables"]
    return {name: resolver.resolve_str(value) for name, value in variables.items()}


# ------------------------------------------------------------------ make validate


def _sam_cli_installed() -> tuple[bool, str]:
    """Install the SAM CLI venv through the Makefile; report why not if it cannot be."""
    result = subprocess.run(
        ["make", ".venv-sam/.installed"],  # noqa: S607 - make from PATH, as the README says
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        env={**os.environ, "SAM_CLI_TELEMETRY": "0"},
    )
    return result.returncode == 0, (result.stdout + result.stderr)[-2000:]


def test_make_validate_passes() -> None:
    installed, output = _sam_cli_installed()
    if not installed:
        pytest.skip(f"the SAM CLI could not be installed (`make .venv-sam/.installed` failed):\n{output}")
    result = subprocess.run(
        ["make", "validate"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        env={**os.environ, "SAM_CLI_TELEMETRY": "0"},
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "is a valid SAM Template" in output, output


# ------------------------------------------------------------------ parameters


def test_parameters_have_descriptions_and_defaults(template: dict[str, Any]) -> None:
    expected = {
        "SilaeAuthUrl": "https://payroll-api-auth.silae.fr/oauth2/v2.0/token",
        "SilaeApiUrl": "https://payroll-api.silae.fr/payroll",
        "SilaeScope": "https://silaecloudb2c.onmicrosoft.com/36658aca-9556-41b7-9e48-77e90b006f34/.default",
        "MyUnisoftApiUrl": "https://api.myunisoft.fr/api/v1",
        "SecretsPrefix": "paysync",
        "NightlySchedule": "cron(30 2 * * ? *)",
        "ScheduleTimezone": "Europe/Paris",
        "LogLevel": "INFO",
        "AlarmEmail": "",
    }
    parameters = template["Parameters"]
    assert set(expected) <= set(parameters)
    for name, default in expected.items():
        assert parameters[name]["Default"] == default, name
        assert parameters[name].get("Description"), name


def test_production_defaults_match_the_library(template: dict[str, Any], resolver: Resolver) -> None:
    """The template's defaults reach the settings, and where paysync.config keeps a default of its
    own (the scope, the time zone) it describes the same production system."""
    from paysync.config import Settings

    defaults = parameter_values(template)
    environment = global_environment(template, resolver)
    settings = Settings.from_environment(environment)
    assert settings.silae.auth_url == defaults["SilaeAuthUrl"]
    assert settings.silae.api_url == defaults["SilaeApiUrl"]
    assert settings.silae.scope == defaults["SilaeScope"]
    assert settings.myunisoft.api_url == defaults["MyUnisoftApiUrl"]
    assert settings.timezone == defaults["ScheduleTimezone"]
    own_defaults = Settings.from_environment(
        {k: v for k, v in environment.items() if k not in ("SILAE_SCOPE", "PAYSYNC_TIMEZONE")}
    )
    assert own_defaults.silae.scope == defaults["SilaeScope"]
    assert own_defaults.timezone == defaults["ScheduleTimezone"]


def test_the_closed_payroll_states_reach_the_discovery_with_the_library_s_default(
    template: dict[str, Any], resolver: Resolver
) -> None:
    """Undocumented by Silae, so a parameter: set on the one function that discovers, and its default
    is the library's own (a function without the variable behaves the same)."""
    from paysync.config import SilaeSettings

    function = template["Resources"]["TestConnectionFunction"]["Properties"]
    variables = resolver.resolve(function["Environment"]["Variables"])
    default = parameter_values(template)["SilaeClosedDossierStates"]
    assert variables["SILAE_CLOSED_DOSSIER_STATES"] == default
    urls = {"SILAE_AUTH_URL": "a", "SILAE_API_URL": "b"}
    configured = SilaeSettings.from_environment({**urls, "SILAE_CLOSED_DOSSIER_STATES": default})
    assert configured.closed_dossier_states == SilaeSettings.from_environment(urls).closed_dossier_states


def required_variables(model: type[BaseModel]) -> set[str]:
    """The variables a settings model cannot do without (those of its nested models included)."""
    required: set[str] = set()
    for field in model.model_fields.values():
        if not field.is_required():
            continue
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
            required |= required_variables(field.annotation)
        else:
            assert isinstance(field.validation_alias, str)
            required.add(field.validation_alias)
    return required


def test_every_function_has_the_variables_it_requires(template: dict[str, Any]) -> None:
    """A variable the settings require is set on every function (Globals), or on the only function
    that reads it: no deployed function fails its cold start for want of one."""
    from paysync.config import ReminderSettings, Settings

    required = required_variables(Settings)
    assert {"CONFIG_TABLE", "SYNC_QUEUE_URL", "PARTNER_SECRET_NAME", "SILAE_API_URL"} <= required
    assert required <= set(global_function(template)["Environment"]["Variables"])
    reminders = template["Resources"]["KeyExpiryRemindersFunction"]["Properties"]["Environment"]["Variables"]
    assert required_variables(ReminderSettings) == {"NOTIFICATIONS_TABLE", "SENDER_EMAIL"}
    assert required_variables(ReminderSettings) <= set(reminders)


# ------------------------------------------------------------------ layer and functions


def test_layer_is_built_by_sam_for_the_functions_architecture(template: dict[str, Any]) -> None:
    layer = template["Resources"]["PaysyncLayer"]
    assert layer["Type"] == "AWS::Serverless::LayerVersion"
    assert layer["Properties"]["ContentUri"] == "layers/paysync"
    assert layer["Properties"]["CompatibleRuntimes"] == ["python3.11"]
    assert layer["Metadata"]["BuildMethod"] == "python3.11"
    assert global_function(template)["Architectures"] == ["arm64"]
    # pydantic-core is compiled: the layer must be built for the functions' architecture.
    assert layer["Metadata"]["BuildArchitecture"] == "arm64"
    assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]
    # SAM copies the folder into python/: the package sits at its top, not under python/.
    assert (ROOT / "layers/paysync/paysync/__init__.py").is_file()
    assert (ROOT / "layers/paysync/requirements.txt").is_file()
    assert not (ROOT / "layers/paysync/python").exists()


def test_every_function_has_the_layer_and_the_runtime(template: dict[str, Any]) -> None:
    globals_ = global_function(template)
    assert globals_["Runtime"] == "python3.11"
    assert globals_["Tracing"] == "Active"
    assert functions(template)
    for logical_id, spec in functions(template).items():
        properties = spec["Properties"]
        # SAM appends a function's own Layers to the global ones.
        layers = list(globals_.get("Layers", [])) + list(properties.get("Layers", []))
        assert {"Ref": "PaysyncLayer"} in layers, logical_id
        assert properties.get("Runtime", globals_["Runtime"]) == "python3.11", logical_id
        assert properties["Handler"] == "app.handler", logical_id
        code = ROOT / properties["CodeUri"]
        assert code.is_dir(), logical_id


def test_function_environment_is_complete(template: dict[str, Any], resolver: Resolver) -> None:
    variables = global_function(template)["Environment"]["Variables"]
    assert set(variables) >= EXPECTED_ENVIRONMENT
    assert variables["CONFIG_TABLE"] == {"Ref": "ConfigTable"}
    assert variables["RUNS_TABLE"] == {"Ref": "RunsTable"}
    assert variables["LEDGER_TABLE"] == {"Ref": "LedgerTable"}
    assert variables["SOCIETY_FACTS_TABLE"] == {"Ref": "SocietyFactsTable"}
    assert variables["SYNC_QUEUE_URL"] == {"Ref": "SyncQueue"}
    assert resolver.resolve_str(variables["PARTNER_SECRET_NAME"]) == resolver.resolve_str(
        template["Resources"]["PartnerSecret"]["Properties"]["Name"]
    )
    assert resolver.resolve_str(variables["POWERTOOLS_LOG_LEVEL"]) == "INFO"
    assert resolver.resolve_str(variables["PAYSYNC_TIMEZONE"]) == "Europe/Paris"


# ------------------------------------------------------------------ queues


def test_the_runtime_is_not_deprecated_on_aws_s_schedule(template: dict[str, Any]) -> None:
    # cfn-lint's E2533 is ignored (.cfnlintrc): older releases carry an outdated date for
    # python3.11. This holds the template to the locked cfn-lint's copy of AWS's schedule instead.
    from importlib.resources import files

    schedule = json.loads((files("cfnlint.data.AdditionalSpecs") / "LmbdRuntimeLifecycle.json").read_text())
    runtime = global_function(template)["Runtime"]
    deprecated = date.fromisoformat(schedule[runtime]["deprecated"])
    assert date.today() < deprecated, (
        f"{runtime} deprecated on {deprecated}: move to {schedule[runtime]['successor']}"
    )


def test_sync_queue_is_fifo_with_a_fifo_dead_letter_queue(
    template: dict[str, Any], resolver: Resolver
) -> None:
    queue = resolver.resolve(template["Resources"]["SyncQueue"]["Properties"])
    dlq = resolver.resolve(template["Resources"]["SyncDeadLetterQueue"]["Properties"])
    assert queue["FifoQueue"] is True
    assert queue["ContentBasedDeduplication"] is False
    assert queue.get("SqsManagedSseEnabled") is True or "KmsMasterKeyId" in queue
    assert dlq.get("SqsManagedSseEnabled") is True or "KmsMasterKeyId" in dlq
    assert template["Resources"]["SyncQueue"]["Properties"]["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["SyncDeadLetterQueue", "Arn"]
    }
    assert int(queue["RedrivePolicy"]["maxReceiveCount"]) == 5
    assert dlq["FifoQueue"] is True
    assert int(dlq["MessageRetentionPeriod"]) == 14 * 24 * 3600


def test_max_receive_count_is_given_to_the_functions(template: dict[str, Any], resolver: Resolver) -> None:
    from paysync.config import Settings

    redrive = resolver.resolve(template["Resources"]["SyncQueue"]["Properties"]["RedrivePolicy"])
    environment = global_function(template)["Environment"]["Variables"]
    assert resolver.resolve_str(environment["SYNC_MAX_RECEIVE_COUNT"]) == str(redrive["maxReceiveCount"])
    # One place in the template, and the library's own default agrees with it.
    assert (
        environment["SYNC_MAX_RECEIVE_COUNT"]
        == template["Resources"]["SyncQueue"]["Properties"]["RedrivePolicy"]["maxReceiveCount"]
    )
    assert Settings.model_fields["max_receive_count"].default == int(redrive["maxReceiveCount"])


def test_visibility_timeout_is_six_times_the_worker_timeout(
    template: dict[str, Any], resolver: Resolver
) -> None:
    worker = template["Resources"]["SyncWorkerFunction"]["Properties"]
    timeout = int(resolver.resolve(worker.get("Timeout", global_function(template)["Timeout"])))
    visibility = int(resolver.resolve(template["Resources"]["SyncQueue"]["Properties"]["VisibilityTimeout"]))
    assert visibility == 6 * timeout


def test_worker_consumes_the_queue_with_partial_batch_failures(template: dict[str, Any]) -> None:
    events = template["Resources"]["SyncWorkerFunction"]["Properties"]["Events"]
    (event,) = events.values()
    assert event["Type"] == "SQS"
    assert event["Properties"]["Queue"] == {"Fn::GetAtt": ["SyncQueue", "Arn"]}
    assert event["Properties"]["BatchSize"] == 5  # chosen with `make bench`, reasons in the template
    # Concurrency is capped at the event source (2 is its minimum), not by a reservation.
    assert 2 <= event["Properties"]["ScalingConfig"]["MaximumConcurrency"] <= 1000
    assert "ReservedConcurrentExecutions" not in template["Resources"]["SyncWorkerFunction"]["Properties"]
    assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_a_night_that_did_not_finish_is_alarmed_after_retries_could_have_ended(
    template: dict[str, Any], resolver: Resolver
) -> None:
    alarm = resolver.resolve(template["Resources"]["SyncQueueStuckAlarm"]["Properties"])
    queue = resolver.resolve(template["Resources"]["SyncQueue"]["Properties"])
    retries = int(queue["VisibilityTimeout"]) * int(queue["RedrivePolicy"]["maxReceiveCount"])
    assert alarm["MetricName"] == "ApproximateAgeOfOldestMessage"
    assert retries < int(alarm["Threshold"]) <= 6 * 3600  # after any legitimate retry, before morning


# ------------------------------------------------------------------ tables


def test_tables_are_protected(template: dict[str, Any]) -> None:
    tables = resources_of(template, "AWS::DynamoDB::Table")
    assert set(tables) >= {
        "ConfigTable",
        "RunsTable",
        "LedgerTable",
        "AccountLinksTable",
        "SocietyFactsTable",
    }
    for logical_id, spec in tables.items():
        properties = spec["Properties"]
        assert spec["DeletionPolicy"] == "Retain", logical_id
        assert spec["UpdateReplacePolicy"] == "Retain", logical_id
        assert properties["BillingMode"] == "PAY_PER_REQUEST", logical_id
        assert properties["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
        assert properties["SSESpecification"]["SSEEnabled"] is True, logical_id
        assert "TableName" not in properties, logical_id


def _index(table: dict[str, Any], name: str) -> dict[str, Any]:
    (index,) = [i for i in table["Properties"].get("GlobalSecondaryIndexes", []) if i["IndexName"] == name]
    return dict(index)


def _keys(key_schema: list[dict[str, str]]) -> list[tuple[str, str]]:
    return [(key["AttributeName"], key["KeyType"]) for key in key_schema]


def test_table_keys_and_indexes(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    config, runs, ledger = resources["ConfigTable"], resources["RunsTable"], resources["LedgerTable"]
    assert _keys(config["Properties"]["KeySchema"]) == [("pk", "HASH")]
    due = _index(config, "DueIndex")
    assert _keys(due["KeySchema"]) == [("due_partition", "HASH"), ("next_due", "RANGE")]
    assert due["Projection"]["ProjectionType"] == "ALL"
    firm = _index(config, "FirmIndex")
    assert _keys(firm["KeySchema"]) == [("firm_id", "HASH"), ("pk", "RANGE")]
    assert _keys(runs["Properties"]["KeySchema"]) == [("run_id", "HASH")]
    dossier = _index(runs, "DossierIndex")
    assert _keys(dossier["KeySchema"]) == [("dossier_id", "HASH"), ("created_at", "RANGE")]
    assert runs["Properties"]["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert _keys(ledger["Properties"]["KeySchema"]) == [("partner_id", "HASH")]
    facts = resources["SocietyFactsTable"]
    assert _keys(facts["Properties"]["KeySchema"]) == [("society_id", "HASH")]
    assert facts["Properties"]["AttributeDefinitions"] == [
        {"AttributeName": "society_id", "AttributeType": "N"}
    ]
    # Every key attribute is declared, and only key attributes are (CloudFormation rejects others).
    for table in (config, runs, ledger, facts):
        declared = {d["AttributeName"] for d in table["Properties"]["AttributeDefinitions"]}
        used = {k["AttributeName"] for k in table["Properties"]["KeySchema"]}
        for index in table["Properties"].get("GlobalSecondaryIndexes", []):
            used |= {k["AttributeName"] for k in index["KeySchema"]}
        assert declared == used


# ------------------------------------------------------------------ schedule


def test_nightly_schedule_has_a_timezone(template: dict[str, Any], resolver: Resolver) -> None:
    events = template["Resources"]["NightlyPullFunction"]["Properties"]["Events"]
    (event,) = events.values()
    assert event["Type"] == "ScheduleV2"
    properties = event["Properties"]
    assert properties["ScheduleExpression"] == {"Ref": "NightlySchedule"}
    assert properties["ScheduleExpressionTimezone"] == {"Ref": "ScheduleTimezone"}
    assert resolver.resolve(properties["ScheduleExpressionTimezone"]) == "Europe/Paris"
    assert json.loads(properties["Input"]) == {"kind": "nightly"}
    assert properties["RetryPolicy"]["MaximumRetryAttempts"] >= 1


# ------------------------------------------------------------------ IAM


def _statements(resolver: Resolver, policies: list[Any]) -> list[dict[str, Any]]:
    """Every statement of a function's Policies, SAM policy templates expanded to their resource."""
    statements: list[dict[str, Any]] = []
    for policy in policies:
        assert isinstance(policy, dict), f"managed policies by name are too broad: {policy!r}"
        if "Statement" in policy:
            statements.extend(resolver.resolve(policy["Statement"]))
        elif "AWSSecretsManagerGetSecretValuePolicy" in policy:
            arn = resolver.resolve(policy["AWSSecretsManagerGetSecretValuePolicy"]["SecretArn"])
            statements.append(
                {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": arn}
            )
        else:
            raise AssertionError(f"unreviewed policy template: {sorted(policy)}")
    return statements


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_policies_are_least_privilege(template: dict[str, Any], resolver: Resolver) -> None:
    granted: dict[str, set[tuple[str, str]]] = {}
    for logical_id, spec in functions(template).items():
        pairs: set[tuple[str, str]] = set()
        for statement in _statements(resolver, spec["Properties"].get("Policies", [])):
            assert statement["Effect"] == "Allow"
            for resource in _as_list(statement["Resource"]):
                assert resource != "*", (logical_id, statement)
            for action in _as_list(statement["Action"]):
                assert "*" not in action, (logical_id, statement)
                pairs |= {(action, resource) for resource in _as_list(statement["Resource"])}
        granted[logical_id] = pairs

    def arn(logical_id: str) -> str:
        return f"arn:{logical_id}/Arn"

    assert granted["NightlyPullFunction"] == {
        ("dynamodb:Query", f"{arn('ConfigTable')}/index/DueIndex"),
        ("dynamodb:GetItem", arn("ConfigTable")),
        ("dynamodb:UpdateItem", arn("ConfigTable")),  # a watched period's next watch
        ("dynamodb:GetItem", arn("RunsTable")),
        ("dynamodb:PutItem", arn("RunsTable")),
        ("sqs:SendMessage", arn("SyncQueue")),
    }
    secrets = "arn:aws:secretsmanager:eu-west-3:123456789012:secret:paysync/*"
    assert granted["SyncWorkerFunction"] == {
        ("dynamodb:GetItem", arn("ConfigTable")),
        ("dynamodb:UpdateItem", arn("ConfigTable")),
        *{
            (f"dynamodb:{verb}", arn(table))
            for verb in ("GetItem", "PutItem", "UpdateItem")
            for table in ("RunsTable", "LedgerTable")
        },
        ("dynamodb:DeleteItem", arn("LedgerTable")),  # a refused POST gives its claim back
        *{(f"dynamodb:{verb}", arn("AccountLinksTable")) for verb in ("Query", "PutItem", "DeleteItem")},
        *{(f"dynamodb:{verb}", arn("SocietyFactsTable")) for verb in ("GetItem", "UpdateItem")},
        ("secretsmanager:GetSecretValue", secrets),
    }


# ------------------------------------------------------------------ alarms and outputs


def test_alarms_notify_the_topic(template: dict[str, Any]) -> None:
    alarms = resources_of(template, "AWS::CloudWatch::Alarm")
    watched = {}
    for logical_id, spec in alarms.items():
        properties = spec["Properties"]
        assert properties["TreatMissingData"] == "notBreaching", logical_id
        assert {"Ref": "AlarmTopic"} in properties["AlarmActions"], logical_id
        assert properties["ComparisonOperator"] == "GreaterThanOrEqualToThreshold", logical_id
        if logical_id != "SyncQueueStuckAlarm":  # a queue age in seconds, tested on its own
            assert properties["Threshold"] == 1, logical_id
        (dimension,) = properties["Dimensions"]
        watched[(properties["MetricName"], json.dumps(dimension["Value"]))] = logical_id
    assert (
        "ApproximateNumberOfMessagesVisible",
        json.dumps({"Fn::GetAtt": ["SyncDeadLetterQueue", "QueueName"]}),
    ) in watched
    assert ("Errors", json.dumps({"Ref": "SyncWorkerFunction"})) in watched
    assert (
        "ApproximateAgeOfOldestMessage",
        json.dumps({"Fn::GetAtt": ["SyncQueue", "QueueName"]}),
    ) in watched
    assert ("Errors", json.dumps({"Ref": "NightlyPullFunction"})) in watched
    subscriptions = resources_of(template, "AWS::SNS::Subscription")
    assert subscriptions
    for spec in subscriptions.values():
        assert spec["Condition"] == "HasAlarmEmail"
    assert template["Conditions"]["HasAlarmEmail"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]
    }


def test_outputs(template: dict[str, Any]) -> None:
    outputs = {name: spec["Value"] for name, spec in template["Outputs"].items()}
    for logical_id in (
        "ConfigTable",
        "RunsTable",
        "LedgerTable",
        "AccountLinksTable",
        "SocietyFactsTable",
        "SyncQueue",
        "SyncDeadLetterQueue",
        "NightlyPullFunction",
        "SyncWorkerFunction",
    ):
        assert {"Ref": logical_id} in outputs.values(), logical_id
