"""What API Gateway builds around a function: the proxy event of a request, the authorizer's policy
check, and the HTTP reply made of a function's answer or of a gateway response."""

from __future__ import annotations

import base64
import fnmatch
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from local.api_spec import GatewayResponse, Route

__all__ = ["ACCOUNT_ID", "API_ID", "Reply", "function_reply", "gateway_reply", "policy_allows", "proxy_event"]

ACCOUNT_ID = "123456789012"
API_ID = "local"


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes


def gateway_reply(answer: GatewayResponse) -> Reply:
    headers = {"Content-Type": "application/json", **answer.headers}
    return Reply(answer.status, headers, answer.body.encode("utf-8"))


def policy_allows(policy: dict[str, Any], method_arn: str) -> bool:
    """IAM evaluation, as far as an authorizer's policy needs it: an explicit Deny wins."""
    allowed = False
    for statement in policy.get("Statement") or []:
        resources = statement.get("Resource") or []
        resources = [resources] if isinstance(resources, str) else resources
        if not any(fnmatch.fnmatchcase(method_arn, str(r)) for r in resources):
            continue
        if statement.get("Effect") == "Deny":
            return False
        allowed = allowed or statement.get("Effect") == "Allow"
    return allowed


def proxy_event(
    *,
    stage: str,
    domain_name: str,
    route: Route,
    method: str,
    path: str,
    query: str,
    headers: dict[str, list[str]],
    single: dict[str, str],
    params: dict[str, str],
    body: bytes,
    authorizer: dict[str, Any],
) -> dict[str, Any]:
    """The REST API proxy event API Gateway hands the route's function."""
    multi_query = parse_qs(query, keep_blank_values=True)
    text: str | None
    encoded = False
    if not body:
        text = None
    else:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            text, encoded = base64.b64encode(body).decode("ascii"), True
    now = time.time()
    request_context: dict[str, Any] = {
        "resourceId": "local",
        "resourcePath": route.path,
        "httpMethod": method,
        "extendedRequestId": uuid.uuid4().hex,
        "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
        "path": f"/{stage}{path}",
        "accountId": ACCOUNT_ID,
        "protocol": "HTTP/1.1",
        "stage": stage,
        "domainPrefix": "127",
        "requestTimeEpoch": int(now * 1000),
        "requestId": str(uuid.uuid4()),
        "identity": {
            "sourceIp": "127.0.0.1",
            "userAgent": single.get("User-Agent") or single.get("user-agent"),
        },
        "domainName": domain_name,
        "apiId": API_ID,
    }
    if authorizer:
        request_context["authorizer"] = authorizer
    return {
        "resource": route.path,
        "path": path,
        "httpMethod": method,
        "headers": single or None,
        "multiValueHeaders": headers or None,
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": params or None,
        "stageVariables": None,
        "requestContext": request_context,
        "body": text,
        "isBase64Encoded": encoded,
    }


def function_reply(answer: Any) -> Reply:
    """What API Gateway sends back for a proxy function's answer (502 for a malformed one)."""
    if not isinstance(answer, dict) or "statusCode" not in answer:
        return Reply(502, {"Content-Type": "application/json"}, b'{"message": "Internal server error"}')
    headers = {str(k): str(v) for k, v in (answer.get("headers") or {}).items()}
    for name, values in (answer.get("multiValueHeaders") or {}).items():
        headers[str(name)] = ", ".join(str(v) for v in values)
    raw = answer.get("body") or ""
    body = base64.b64decode(raw) if answer.get("isBase64Encoded") else str(raw).encode("utf-8")
    return Reply(int(answer["statusCode"]), headers, body)
