"""The API functions' sample events in events/ work as-is against the local stack (demo world)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from local.lambda_runtime import fake_context
from tests.contracts import REPO_ROOT
from tests.harness import Env


def _event(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((REPO_ROOT / "events" / f"{name}.json").read_text(encoding="utf-8"))
    return data


def test_the_api_sample_events(env: Env, world: Any) -> None:
    from functions.authorizer import app as authorizer
    from functions.on_demand_sync import app as on_demand
    from functions.settings_api import app as settings_api
    from functions.test_connection import app as test_connection

    status = settings_api.handler(_event("settings_api"), fake_context("SettingsApiFunction"))
    assert status["statusCode"] == 200 and json.loads(status["body"])["dossier_id"] == "boulangerie-martin"

    dry = on_demand.handler(_event("on_demand_sync"), fake_context("OnDemandSyncFunction"))
    assert dry["statusCode"] == 200 and json.loads(dry["body"])["dry_run"] is True

    tested = test_connection.handler(_event("test_connection"), fake_context("TestConnectionFunction"))
    assert tested["statusCode"] == 200 and json.loads(tested["body"])["ok"] is True

    # The sample credential is well-formed but unknown: API Gateway would answer 401.
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorizer.handler(_event("authorizer"), fake_context("AuthorizerFunction"))
