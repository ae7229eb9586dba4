"""template.yaml's console: a private bucket read by CloudFront only, HTTPS only, strict security headers,
and the API open to that one origin (API Gateway's CORS, its own refusals, the functions' answers)."""

from __future__ import annotations

from typing import Any

import pytest

from local.cfn import Resolver, load_template, parameter_values
from local.console_static import security_headers
from tests.contracts import REPO_ROOT

DISTRIBUTION_DOMAIN = "d111111abcdef8.cloudfront.net"
CONSOLE_ORIGIN = f"https://{DISTRIBUTION_DOMAIN}"
API_FUNCTIONS = ("SettingsApiFunction", "OnDemandSyncFunction", "TestConnectionFunction")


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template(REPO_ROOT / "template.yaml")


@pytest.fixture(scope="module")
def resolver(template: dict[str, Any]) -> Resolver:
    return Resolver(
        template,
        parameters=parameter_values(template),
        pseudo={
            "AWS::Partition": "aws",
            "AWS::Region": "eu-west-3",
            "AWS::AccountId": "123456789012",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": "paysync",
        },
        refs=lambda name: f"ref-{name}",
        attributes=lambda name, attribute: (
            DISTRIBUTION_DOMAIN
            if (name, attribute) == ("ConsoleDistribution", "DomainName")
            else f"{name}.{attribute}"
        ),
    )


def resource(template: dict[str, Any], resolver: Resolver, logical_id: str) -> dict[str, Any]:
    props: dict[str, Any] = resolver.resolve(template["Resources"][logical_id]["Properties"])
    return props


def test_the_bucket_is_private_encrypted_and_versioned(template: dict[str, Any], resolver: Resolver) -> None:
    bucket = resource(template, resolver, "ConsoleBucket")
    block = bucket["PublicAccessBlockConfiguration"]
    assert all(
        block[flag] is True
        for flag in ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")
    )
    assert bucket["VersioningConfiguration"]["Status"] == "Enabled"
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert bucket["OwnershipControls"]["Rules"][0]["ObjectOwnership"] == "BucketOwnerEnforced"


def test_only_this_distribution_reads_the_bucket_and_only_over_tls(
    template: dict[str, Any], resolver: Resolver
) -> None:
    statements = resource(template, resolver, "ConsoleBucketPolicy")["PolicyDocument"]["Statement"]
    deny = [s for s in statements if s["Effect"] == "Deny"]
    assert deny and deny[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny[0]["Principal"] == "*" and deny[0]["Action"] == "s3:*"
    allow = [s for s in statements if s["Effect"] == "Allow"]
    assert len(allow) == 1
    assert allow[0]["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allow[0]["Action"] == "s3:GetObject"
    assert allow[0]["Condition"]["StringEquals"]["AWS:SourceArn"].endswith(
        ":distribution/ref-ConsoleDistribution"
    )


def test_the_distribution_serves_https_only_through_origin_access_control(
    template: dict[str, Any], resolver: Resolver
) -> None:
    config = resource(template, resolver, "ConsoleDistribution")["DistributionConfig"]
    (origin,) = config["Origins"]
    assert origin["OriginAccessControlId"] == "ConsoleOriginAccessControl.Id"
    assert origin["DomainName"] == "ConsoleBucket.RegionalDomainName"
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    behaviours = [config["DefaultCacheBehavior"], *config.get("CacheBehaviors", [])]
    assert all(b["ViewerProtocolPolicy"] == "https-only" for b in behaviours)
    assert all(b["ResponseHeadersPolicyId"] == "ref-ConsoleSecurityHeaders" for b in behaviours)
    assert config["DefaultRootObject"] == "index.html"
    oac = resource(template, resolver, "ConsoleOriginAccessControl")["OriginAccessControlConfig"]
    assert oac["SigningBehavior"] == "always" and oac["OriginAccessControlOriginType"] == "s3"


def test_the_content_security_policy_is_strict_and_lets_the_console_reach_the_api(
    template: dict[str, Any], resolver: Resolver
) -> None:
    config = resource(template, resolver, "ConsoleSecurityHeaders")["ResponseHeadersPolicyConfig"]
    policy = config["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert "unsafe" not in policy and "data:" not in policy and "*" not in directives["script-src"]
    api_url = resolver.resolve(template["Outputs"]["ApiUrl"]["Value"])
    api_host = api_url.split("/")[2]
    sources = directives["connect-src"].split()
    assert any(s.startswith("https://*.") and api_host.endswith(s[len("https://*") :]) for s in sources)
    assert config["SecurityHeadersConfig"]["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000


def test_the_api_lets_the_console_s_origin_in_and_no_other(
    template: dict[str, Any], resolver: Resolver
) -> None:
    api = resource(template, resolver, "PaysyncApi")
    assert api["Cors"]["AllowOrigin"] == f"'{CONSOLE_ORIGIN}'"
    assert "Authorization" in api["Cors"]["AllowHeaders"]
    # The browser's preflight carries no credential: it must not meet the authorizer.
    assert api["Auth"]["AddDefaultAuthorizerToCorsPreflight"] is False
    for kind, answer in api["GatewayResponses"].items():
        assert (
            answer["ResponseParameters"]["Headers"]["Access-Control-Allow-Origin"] == f"'{CONSOLE_ORIGIN}'"
        ), kind
    for function in API_FUNCTIONS:
        variables = resource(template, resolver, function)["Environment"]["Variables"]
        assert variables["CONSOLE_ORIGIN"] == CONSOLE_ORIGIN, function


def test_the_outputs_name_the_console_and_its_bucket(template: dict[str, Any], resolver: Resolver) -> None:
    outputs = template["Outputs"]
    assert resolver.resolve(outputs["ConsoleUrl"]["Value"]) == f"{CONSOLE_ORIGIN}/"
    assert resolver.resolve(outputs["ConsoleBucketName"]["Value"]) == "ref-ConsoleBucket"
    assert resolver.resolve(outputs["ConsoleDistributionId"]["Value"]) == "ref-ConsoleDistribution"


def test_make_serve_sends_the_deployed_security_headers(template: dict[str, Any], resolver: Resolver) -> None:
    config = resource(template, resolver, "ConsoleSecurityHeaders")["ResponseHeadersPolicyConfig"]
    served = security_headers()
    assert (
        served["Content-Security-Policy"]
        == config["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    )
    assert served["X-Frame-Options"] == "DENY" and served["X-Content-Type-Options"] == "nosniff"
    assert served["Referrer-Policy"] == "no-referrer"
    for item in config["CustomHeadersConfig"]["Items"]:
        assert served[item["Header"]] == item["Value"]
