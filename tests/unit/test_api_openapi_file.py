"""The committed openapi.json is the document the code generates (regenerate it when this fails)."""

from __future__ import annotations

import json

from paysync.api.openapi import REGENERATE, committed_path, document_text
from tests.contracts import REPO_ROOT


def test_the_committed_openapi_json_is_the_one_the_code_generates() -> None:
    path = committed_path()
    assert path == REPO_ROOT / "openapi.json"
    assert path.exists(), f"openapi.json is missing: run `{REGENERATE}` and commit it."
    committed = path.read_text(encoding="utf-8")
    generated = document_text()
    if committed != generated:
        old, new = json.loads(committed).get("paths", {}), json.loads(generated).get("paths", {})
        changed = sorted(p for p in {*old, *new} if old.get(p) != new.get(p))
        raise AssertionError(
            f"openapi.json differs from the code (paths changed: {changed or 'none, see components'}): "
            f"run `{REGENERATE}` and commit it."
        )


def test_the_document_is_written_the_same_way_every_time() -> None:
    text = document_text()
    assert text == document_text() and text.endswith("}\n")
    assert list(json.loads(text)) == sorted(json.loads(text))
