"""The console (``console/``) served at ``/`` beside the API by ``make serve``, as CloudFront serves it.

Only the deployed assets are answered (``index.html``, ``styles.css``, ``*.svg`` and ``app/**/*.js``,
the same set ``make deploy-console`` uploads), with the security headers of template.yaml's
``ConsoleSecurityHeaders`` response headers policy (its Content-Security-Policy included, so the
browser tests run under the deployed policy; HSTS is left out on plain HTTP), and ``config.json``
as ``make deploy-console`` writes it beside ``index.html``, pointing at the local stage.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path, PurePosixPath

from local.api_events import Reply
from local.cfn import DEFAULT_TEMPLATE, Resolver, load_template, parameter_values

__all__ = ["CONSOLE_DIR", "CONTENT_TYPES", "console_reply", "deployed_files", "security_headers"]

CONSOLE_DIR = Path(__file__).resolve().parent.parent / "console"
POLICY_ID = "ConsoleSecurityHeaders"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}


def _deployed(relative: PurePosixPath) -> bool:
    """The files the console is made of: never its package files, type-checker settings or node_modules."""
    parts = relative.parts
    if len(parts) == 1:
        return parts[0] in {"index.html", "styles.css"} or relative.suffix == ".svg"
    return parts[0] == "app" and relative.suffix == ".js" and ".." not in parts


def deployed_files(root: Path = CONSOLE_DIR) -> list[PurePosixPath]:
    """The console's files, relative to ``root``: what is served, and uploaded by ``make deploy-console``."""
    found = [PurePosixPath(p.name) for p in root.iterdir() if p.is_file()]
    found += [PurePosixPath(p.relative_to(root).as_posix()) for p in (root / "app").rglob("*.js")]
    return sorted(relative for relative in found if _deployed(relative))


@cache
def security_headers(template_path: Path = DEFAULT_TEMPLATE) -> dict[str, str]:
    """The headers the console's CloudFront response headers policy adds (HSTS aside)."""
    template = load_template(template_path)
    resolver = Resolver(
        template,
        parameters=parameter_values(template, None),
        pseudo={"AWS::Region": "eu-west-3", "AWS::URLSuffix": "amazonaws.com", "AWS::StackName": "local"},
    )
    config = resolver.resolve(template["Resources"][POLICY_ID]["Properties"]["ResponseHeadersPolicyConfig"])
    security = config.get("SecurityHeadersConfig") or {}
    headers: dict[str, str] = {}
    if "ContentSecurityPolicy" in security:
        headers["Content-Security-Policy"] = security["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    if "ContentTypeOptions" in security:
        headers["X-Content-Type-Options"] = "nosniff"
    if "FrameOptions" in security:
        headers["X-Frame-Options"] = security["FrameOptions"]["FrameOption"]
    if "ReferrerPolicy" in security:
        headers["Referrer-Policy"] = security["ReferrerPolicy"]["ReferrerPolicy"]
    for item in (config.get("CustomHeadersConfig") or {}).get("Items") or []:
        headers[item["Header"]] = item["Value"]
    return headers


def console_reply(method: str, path: str, stage: str, root: Path = CONSOLE_DIR) -> Reply | None:
    """The console's answer to ``GET``/``HEAD`` ``path`` (``/`` is ``index.html``), or None when the path
    is not one of its files (the caller answers as API Gateway would)."""
    if method not in {"GET", "HEAD"}:
        return None
    headers = {**security_headers(), "Cache-Control": "no-cache"}
    if path == "/config.json":
        body = json.dumps({"api_base": f"/{stage}"}).encode("utf-8")
        return Reply(200, {**headers, "Content-Type": "application/json"}, body)
    relative = PurePosixPath(path.lstrip("/") or "index.html")
    if not _deployed(relative):
        return None
    file = (root / relative).resolve()
    if not file.is_file() or not file.is_relative_to(root.resolve()):
        return None
    content_type = CONTENT_TYPES.get(file.suffix, "application/octet-stream")
    return Reply(200, {**headers, "Content-Type": content_type}, file.read_bytes())
