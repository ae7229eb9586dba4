"""The sample events in events/ work as-is against the local stack."""

from __future__ import annotations

import json
from typing import Any

from local.lambda_runtime import fake_context
from tests.contracts import REPO_ROOT
from tests.harness import Env


def _event(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((REPO_ROOT / "events" / f"{name}.json").read_text(encoding="utf-8"))
    return data


def test_nightly_pull_sample_event_plans_tonight(env: Env, world) -> None:  # type: ignore[no-untyped-def]
    from functions.nightly_pull import app

    result = app.handler(_event("nightly_pull"), fake_context("NightlyPullFunction"))
    assert set(result) >= {"night", "due", "created", "resent", "already_handled", "run_ids"}


def test_sync_worker_sample_event_for_an_unknown_run_is_a_harmless_no_op(env: Env) -> None:
    from functions.sync_worker import app

    assert app.handler(_event("sync_worker"), fake_context("SyncWorkerFunction")) == {"batchItemFailures": []}
