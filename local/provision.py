"""Provisioning: the template's tables, queues and secrets created with boto3 from their own
definitions in template.yaml (key schemas, indexes, TTL, FIFO settings, redrive policy, secret
names): there is no second copy of them here, so the local stack cannot drift from what
CloudFormation deploys.

- :func:`provision` creates them against an endpoint (moto server, or any compatible emulator), or
  against in-process moto when ``endpoint_url`` is ``None`` (inside ``moto.mock_aws()``); the
  calls per type are in :mod:`local.resource_creators`.
- :class:`LocalResources` knows every physical name, URL and ARN and resolves a function's
  environment exactly as the template declares it (Globals + the function's own variables).

Physical names are ``<name_prefix>-<LogicalId>`` (``.fifo`` appended for FIFO queues) unless the
template names the resource itself (e.g. the partner secret's ``Name``).
"""

from __future__ import annotations

import graphlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

from local.cfn import (
    DEFAULT_TEMPLATE,
    Resolver,
    UnresolvableError,
    load_template,
    parameter_values,
    references,
)
from local.resource_creators import CREATORS, LocalResource, physical_name

__all__ = [
    "DEFAULT_REGION",
    "DISTRIBUTION_TYPE",
    "LocalResource",
    "LocalResources",
    "distribution_stand_in",
    "provision",
]

DEFAULT_REGION = "eu-west-3"
DEFAULT_ACCOUNT_ID = "123456789012"  # moto's default account
DUMMY_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
FUNCTION_TYPES = frozenset({"AWS::Serverless::Function", "AWS::Lambda::Function"})
DISTRIBUTION_TYPE = "AWS::CloudFront::Distribution"
PROVISIONED_TYPES = frozenset(CREATORS)


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
        if resource_type == DISTRIBUTION_TYPE:
            resources[logical_id] = distribution_stand_in(logical_id, name_prefix)
            continue
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
        service, create = CREATORS[resource_type]
        properties = resolver.resolve(spec.get("Properties") or {})
        resources[logical_id] = create(client(service), logical_id, properties, name_prefix)

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
    name = resolver.resolve_str(explicit) if explicit else physical_name(name_prefix, logical_id)
    arn = f"arn:aws:lambda:{region}:{account_id}:function:{name}"
    return LocalResource(logical_id, spec["Type"], name, name, {"Arn": arn})


def distribution_stand_in(logical_id: str, name_prefix: str) -> LocalResource:
    """Not emulated (`make serve` serves the console beside the API), but its domain is named: the API
    functions' CONSOLE_ORIGIN refers to it."""
    domain = f"{physical_name(name_prefix, logical_id).lower()}.cloudfront.local"
    return LocalResource(logical_id, DISTRIBUTION_TYPE, domain, domain, {"DomainName": domain})
