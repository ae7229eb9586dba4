"""The AWS side of the embedded local stack, built from template.yaml's own resource definitions.

Tables, queues and secrets are created with boto3 from the template's properties (key schemas,
indexes, TTL, FIFO settings, redrive policy, secret names): there is no second copy of them here,
so the local stack cannot drift from what CloudFormation deploys.

- :func:`provision` creates them against an endpoint (moto server, or any compatible emulator), or
  against in-process moto when ``endpoint_url`` is ``None`` (inside ``moto.mock_aws()``).
- :class:`LocalResources` knows every physical name, URL and ARN and resolves a function's
  environment exactly as the template declares it (Globals + the function's own variables).
- :class:`MotoServer` runs moto's server in a thread on 127.0.0.1 and a free port.
- :class:`LocalStack` is both, plus the process environment (endpoint, region, dummy credentials)
  that makes every boto3 client, including those created by Powertools at import, talk to it.

Physical names are ``<name_prefix>-<LogicalId>`` (``.fifo`` appended for FIFO queues) unless the
template names the resource itself (e.g. the partner secret's ``Name``).
"""

from __future__ import annotations

import graphlib
import json
import logging
import os
import urllib.request
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import boto3
from botocore.exceptions import ClientError

from local.cfn import (
    Resolver,
    UnresolvableError,
    load_template,
    parameter_values,
    references,
)

__all__ = [
    "DEFAULT_REGION",
    "DEFAULT_TEMPLATE",
    "LocalResource",
    "LocalResources",
    "LocalStack",
    "MotoServer",
    "provision",
]

DEFAULT_TEMPLATE = Path(__file__).resolve().parent.parent / "template.yaml"
DEFAULT_REGION = "eu-west-3"
DEFAULT_ACCOUNT_ID = "123456789012"  # moto's default account
DUMMY_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}

TABLE = "AWS::DynamoDB::Table"
QUEUE = "AWS::SQS::Queue"
SECRET = "AWS::SecretsManager::Secret"
FUNCTION_TYPES = frozenset({"AWS::Serverless::Function", "AWS::Lambda::Function"})
PROVISIONED_TYPES = frozenset({TABLE, QUEUE, SECRET})

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


@dataclass
class LocalResources:
    """The physical side of the template's resources on the local stack."""

    template: dict[str, Any]
    parameters: dict[str, str]
    pseudo_parameters: dict[str, Any]
    resources: dict[str, LocalResource]
    endpoint_url: str | None
    region: str

    def __getitem__(self, logical_id: str) -> LocalResource:
        try:
            return self.resources[logical_id]
        except KeyError:
            raise KeyError(f"{logical_id} was not created by the local stack") from None

    def __contains__(self, logical_id: object) -> bool:
        return logical_id in self.resources

    def name(self, logical_id: str) -> str:
        """Physical name (table name, queue name, secret name, function name)."""
        return self[logical_id].name

    def queue_url(self, logical_id: str) -> str:
        return self[logical_id].attributes["QueueUrl"]

    def arn(self, logical_id: str) -> str:
        return self[logical_id].arn

    def of_type(self, resource_type: str) -> dict[str, LocalResource]:
        return {lid: res for lid, res in self.resources.items() if res.type == resource_type}

    def resolver(self) -> Resolver:
        """A resolver of the template's intrinsics against these resources."""
        return _resolver(self.template, self.parameters, self.pseudo_parameters, self.resources)

    def function_environment(self, logical_id: str) -> dict[str, str]:
        """The function's environment variables, resolved as CloudFormation would set them.

        Globals.Function's variables (for SAM functions), overridden by the function's own; Refs to
        parameters use the overrides then the defaults; Refs to tables give table names, to queues
        queue URLs, to secrets their ARNs (as CloudFormation's Ref does), to functions their names.
        """
        spec = self.template["Resources"].get(logical_id)
        if spec is None or spec.get("Type") not in FUNCTION_TYPES:
            raise KeyError(f"{logical_id} is not a function of the template")
        variables: dict[str, Any] = {}
        if spec["Type"] == "AWS::Serverless::Function":
            global_function = (self.template.get("Globals") or {}).get("Function") or {}
            variables.update(((global_function.get("Environment") or {}).get("Variables")) or {})
        own = (spec.get("Properties") or {}).get("Environment") or {}
        variables.update(own.get("Variables") or {})
        resolver = self.resolver()
        environment: dict[str, str] = {}
        for name, value in variables.items():
            resolved = resolver.resolve(value)
            if resolved is None:  # AWS::NoValue
                continue
            environment[name] = resolver.resolve_str(resolved)
        return environment

    def function_name(self, logical_id: str) -> str:
        return self.name(logical_id)


def _resolver(
    template: dict[str, Any],
    parameters: Mapping[str, str],
    pseudo: Mapping[str, Any],
    resources: Mapping[str, LocalResource],
) -> Resolver:
    declared = template.get("Resources") or {}

    def ref(logical_id: str) -> str:
        if logical_id in resources:
            return resources[logical_id].ref
        if logical_id in declared:
            raise UnresolvableError(
                f"!Ref {logical_id}: {declared[logical_id].get('Type')} is not emulated by the local stack"
            )
        raise KeyError(logical_id)

    def get_att(logical_id: str, attribute: str) -> str:
        if logical_id in resources and attribute in resources[logical_id].attributes:
            return resources[logical_id].attributes[attribute]
        if logical_id in declared:
            raise UnresolvableError(f"!GetAtt {logical_id}.{attribute} is not emulated by the local stack")
        raise KeyError(logical_id)

    return Resolver(template, parameters=parameters, pseudo=pseudo, refs=ref, attributes=get_att)


# ------------------------------------------------------------------ provisioning


def provision(
    template_path: str | Path = DEFAULT_TEMPLATE,
    *,
    endpoint_url: str | None,
    parameter_overrides: dict[str, str] | None = None,
    name_prefix: str = "paysync-local",
    region: str = DEFAULT_REGION,
) -> LocalResources:
    """Create every table, queue and secret of the template, in dependency order.

    ``endpoint_url=None`` means in-process moto: call it inside ``moto.mock_aws()`` (or with
    ``AWS_ENDPOINT_URL`` set); it refuses to run where it could reach real AWS. Creating a resource
    that already exists with the same name reuses it, so provisioning twice is harmless.
    """
    _refuse_real_aws(endpoint_url)
    template = load_template(template_path)
    parameters = parameter_values(template, parameter_overrides)
    # A local endpoint gets dummy credentials; in-process moto has its own.
    credentials = (
        DUMMY_CREDENTIALS if endpoint_url else {"aws_access_key_id": None, "aws_secret_access_key": None}
    )
    session = boto3.session.Session(region_name=region, **credentials)
    clients: dict[str, Any] = {}

    def client(service: str) -> Any:
        if service not in clients:
            clients[service] = session.client(service, endpoint_url=endpoint_url)  # type: ignore[call-overload]
        return clients[service]

    account_id = _account_id(client("sts"))
    pseudo: dict[str, Any] = {
        "AWS::AccountId": account_id,
        "AWS::NotificationARNs": [],
        "AWS::Partition": "aws",
        "AWS::Region": region,
        "AWS::StackId": f"arn:aws:cloudformation:{region}:{account_id}:stack/{name_prefix}/local",
        "AWS::StackName": name_prefix,
        "AWS::URLSuffix": "amazonaws.com",
    }
    resources: dict[str, LocalResource] = {}
    resolver = _resolver(template, parameters, pseudo, resources)
    declared: dict[str, Any] = template.get("Resources") or {}

    for logical_id in _creation_order(declared):
        spec = declared[logical_id]
        resource_type = spec.get("Type")
        if resource_type not in PROVISIONED_TYPES | FUNCTION_TYPES:
            continue
        if "Condition" in spec and not resolver.condition(spec["Condition"]):
            continue
        if resource_type in FUNCTION_TYPES:
            resources[logical_id] = _function(
                logical_id,
                spec,
                resolver=resolver,
                name_prefix=name_prefix,
                region=region,
                account_id=account_id,
            )
            continue
        properties = resolver.resolve(spec.get("Properties") or {})
        if resource_type == TABLE:
            resources[logical_id] = _create_table(client("dynamodb"), logical_id, properties, name_prefix)
        elif resource_type == QUEUE:
            resources[logical_id] = _create_queue(client("sqs"), logical_id, properties, name_prefix)
        else:
            resources[logical_id] = _create_secret(
                client("secretsmanager"), logical_id, properties, name_prefix
            )

    # SES identities are verified by the operator, outside CloudFormation: locally, the sender is.
    if parameters.get("SenderEmail"):
        client("sesv2").create_email_identity(EmailIdentity=parameters["SenderEmail"])

    return LocalResources(
        template=template,
        parameters=parameters,
        pseudo_parameters=pseudo,
        resources=resources,
        endpoint_url=endpoint_url,
        region=region,
    )


def _refuse_real_aws(endpoint_url: str | None) -> None:
    if endpoint_url or os.environ.get("AWS_ENDPOINT_URL"):
        return
    try:
        from moto.core.models import MockAWS
    except ImportError:  # pragma: no cover - moto is a dev dependency
        active = False
    else:
        active = MockAWS._nested_count > 0
    if not active:
        raise RuntimeError(
            "provision(endpoint_url=None) runs against in-process moto only: call it inside "
            "moto.mock_aws(), or pass the endpoint of a local server"
        )


def _account_id(sts: Any) -> str:
    try:
        return str(sts.get_caller_identity()["Account"])
    except ClientError:  # pragma: no cover - an emulator without STS
        return DEFAULT_ACCOUNT_ID


def _creation_order(declared: Mapping[str, Any]) -> list[str]:
    graph: dict[str, set[str]] = {}
    for logical_id, spec in declared.items():
        depends_on = spec.get("DependsOn") or []
        if isinstance(depends_on, str):
            depends_on = [depends_on]
        graph[logical_id] = (references(spec.get("Properties") or {}) | set(depends_on)) & set(declared)
    return list(graphlib.TopologicalSorter(graph).static_order())


def _physical_name(name_prefix: str, logical_id: str) -> str:
    return f"{name_prefix}-{logical_id}"


def _function(
    logical_id: str,
    spec: Mapping[str, Any],
    *,
    resolver: Resolver,
    name_prefix: str,
    region: str,
    account_id: str,
) -> LocalResource:
    """Functions are not emulated (handlers are called directly), but their names are known."""
    explicit = (spec.get("Properties") or {}).get("FunctionName")
    name = resolver.resolve_str(explicit) if explicit else _physical_name(name_prefix, logical_id)
    arn = f"arn:aws:lambda:{region}:{account_id}:function:{name}"
    return LocalResource(logical_id, spec["Type"], name, name, {"Arn": arn})


def _create_table(
    dynamodb: Any, logical_id: str, props: Mapping[str, Any], name_prefix: str
) -> LocalResource:
    name = props.get("TableName") or _physical_name(name_prefix, logical_id)
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


def _create_queue(sqs: Any, logical_id: str, props: Mapping[str, Any], name_prefix: str) -> LocalResource:
    fifo = _bool(props.get("FifoQueue", False))
    name = props.get("QueueName") or _physical_name(name_prefix, logical_id) + (".fifo" if fifo else "")
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


def _create_secret(
    secretsmanager: Any, logical_id: str, props: Mapping[str, Any], name_prefix: str
) -> LocalResource:
    name = props.get("Name") or _physical_name(name_prefix, logical_id)
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


# ------------------------------------------------------------------ moto server


class MotoServer:
    """moto's server in a background thread on ``host`` and a free port.

    moto keeps its state per process: ``start()`` resets it (unless ``reset=False``) so that a new
    server starts empty even if an earlier one in the same process left resources behind.
    """

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, *, reset: bool = True, quiet: bool = True
    ) -> None:
        self.host = host
        self._quiet = quiet
        self.port = port
        self._reset_on_start = reset
        self._server: Any = None
        self.endpoint_url: str | None = None

    def start(self) -> str:
        if self.endpoint_url is not None:
            return self.endpoint_url
        from moto.server import ThreadedMotoServer

        if self._quiet:
            # werkzeug logs one line per request to stderr; the local stack's callers log their own.
            logging.getLogger("werkzeug").setLevel(logging.WARNING)
        server = ThreadedMotoServer(ip_address=self.host, port=self.port, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        self._server = server
        self.endpoint_url = f"http://{host}:{port}"
        if self._reset_on_start:
            self.reset()
        return self.endpoint_url

    def reset(self) -> None:
        """Forget every resource of every service (moto's ``/moto-api/reset``)."""
        if self.endpoint_url is None:
            raise RuntimeError("the moto server is not running")
        request = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")  # noqa: S310
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our own local server
            response.read()

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
        self._server = None
        self.endpoint_url = None

    def __enter__(self) -> str:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


# ------------------------------------------------------------------ the whole AWS side


class LocalStack:
    """MotoServer + provision + the environment that points every boto3 client at it.

    ``start()`` sets ``AWS_ENDPOINT_URL``, the region (``AWS_DEFAULT_REGION``/``AWS_REGION``) and
    dummy credentials in ``env`` (default ``os.environ``), removes what could reach real AWS
    (``AWS_PROFILE``, ``AWS_SESSION_TOKEN``, per-service ``AWS_ENDPOINT_URL_*``), provisions the
    template and returns the :class:`LocalResources`. ``stop()`` restores ``env`` as it was.
    """

    def __init__(
        self,
        template_path: str | Path = DEFAULT_TEMPLATE,
        *,
        parameter_overrides: dict[str, str] | None = None,
        name_prefix: str = "paysync-local",
        region: str = DEFAULT_REGION,
        env: MutableMapping[str, str] | None = None,
        server: MotoServer | None = None,
    ) -> None:
        self.template_path = template_path
        self.parameter_overrides = parameter_overrides
        self.name_prefix = name_prefix
        self.region = region
        self.env: MutableMapping[str, str] = os.environ if env is None else env
        self.server = server or MotoServer()
        self.resources: LocalResources | None = None
        self._saved_env: dict[str, str | None] | None = None

    @property
    def endpoint_url(self) -> str | None:
        return self.server.endpoint_url

    def start(self) -> LocalResources:
        if self.resources is not None:
            return self.resources
        endpoint_url = self.server.start()
        try:
            self._apply_env(endpoint_url)
            self.resources = provision(
                self.template_path,
                endpoint_url=endpoint_url,
                parameter_overrides=self.parameter_overrides,
                name_prefix=self.name_prefix,
                region=self.region,
            )
        except BaseException:
            self.stop()
            raise
        return self.resources

    def stop(self) -> None:
        self._restore_env()
        self.server.stop()
        self.resources = None

    def _apply_env(self, endpoint_url: str) -> None:
        wanted: dict[str, str | None] = {
            "AWS_ENDPOINT_URL": endpoint_url,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
            "AWS_ACCESS_KEY_ID": DUMMY_CREDENTIALS["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": DUMMY_CREDENTIALS["aws_secret_access_key"],
            "AWS_SESSION_TOKEN": None,
            "AWS_PROFILE": None,
        }
        # Per-service endpoints (AWS_ENDPOINT_URL_DYNAMODB, ...) would win over AWS_ENDPOINT_URL.
        wanted.update(dict.fromkeys(key for key in list(self.env) if key.startswith("AWS_ENDPOINT_URL_")))
        self._saved_env = {key: self.env.get(key) for key in wanted}
        for key, value in wanted.items():
            if value is None:
                self.env.pop(key, None)
            else:
                self.env[key] = value

    def _restore_env(self) -> None:
        if self._saved_env is None:
            return
        for key, value in self._saved_env.items():
            if value is None:
                self.env.pop(key, None)
            else:
                self.env[key] = value
        self._saved_env = None

    def __enter__(self) -> LocalResources:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
