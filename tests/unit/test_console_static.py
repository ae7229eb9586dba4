"""`make serve`'s console: its own files only (never its package files), config.json pointing at the stage,
and a no-build console whose every import and asset is one of the files served."""

from __future__ import annotations

import json
import re

import pytest

from local.console_static import CONSOLE_DIR, console_reply


def test_the_root_is_index_html_with_the_security_headers() -> None:
    reply = console_reply("GET", "/", "v1")
    assert reply is not None and reply.status == 200
    assert reply.headers["Content-Type"].startswith("text/html")
    assert reply.body == (CONSOLE_DIR / "index.html").read_bytes()
    assert "default-src 'self'" in reply.headers["Content-Security-Policy"]


def test_config_json_names_the_local_stage() -> None:
    reply = console_reply("GET", "/config.json", "v1")
    assert reply is not None and json.loads(reply.body) == {"api_base": "/v1"}


@pytest.mark.parametrize(
    "path",
    [
        "/package.json",
        "/package-lock.json",
        "/tsconfig.json",
        "/node_modules/typescript/package.json",
        "/app/../package.json",
        "/../pyproject.toml",
        "/app/types.d.ts",
        "/nope.html",
        "/app/nope.js",
    ],
)
def test_nothing_but_the_console_s_files_is_served(path: str) -> None:
    assert console_reply("GET", path, "v1") is None


def test_only_reads_are_answered() -> None:
    assert console_reply("POST", "/", "v1") is None
    head = console_reply("HEAD", "/styles.css", "v1")
    assert head is not None and head.headers["Content-Type"].startswith("text/css")


def test_every_import_and_asset_of_the_console_is_served() -> None:
    """No build step: what index.html and the modules name must be there, as they name it."""
    html = (CONSOLE_DIR / "index.html").read_text(encoding="utf-8")
    wanted = {f"/{src}" for src in re.findall(r'(?:src|href)="([^"#][^"]*)"', html)}
    for module in (CONSOLE_DIR / "app").rglob("*.js"):
        source = module.read_text(encoding="utf-8")
        for name in re.findall(r'^import [^;]*? from "([^"]+)";', source, flags=re.MULTILINE):
            assert name.startswith("."), f"{module.name}: bare import {name} (no build, no bundler)"
            target = (module.parent / name).resolve()
            wanted.add("/" + target.relative_to(CONSOLE_DIR.resolve()).as_posix())
    assert "/app/main.js" in wanted and "/styles.css" in wanted
    for path in sorted(wanted):
        reply = console_reply("GET", path, "v1")
        assert reply is not None and reply.status == 200, path
    assert not re.search(r"https?://", html), "no asset from another origin"
