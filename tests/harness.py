"""Shared harness: AWS from template.yaml (moto server, see tests.aws_endpoint), both fakes on
127.0.0.1, demo data."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from local.fakes.myunisoft import FakeMyUnisoft
from local.fakes.silae import FakeSilae

FAST_ENV = {
    "HTTP_BACKOFF_SECONDS": "0.001",
    "HTTP_TIMEOUT_SECONDS": "2",
    "MYUNISOFT_RATE_WINDOW_SECONDS": "0.2",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "SECRETS_CACHE_SECONDS": "0",
}


def reset_library_caches() -> None:
    from paysync.entrypoints import reset_container_state

    reset_container_state()


@dataclass
class Env:
    resources: Any
    silae: FakeSilae
    myunisoft: FakeMyUnisoft
    queue_url: str
    dlq_url: str

    @property
    def services(self) -> Any:
        from paysync.entrypoints import services

        return services()


@contextmanager
def local_env(monkeypatch: pytest.MonkeyPatch, **extra_env: str) -> Iterator[Env]:
    from local.provision import provision
    from tests.aws_endpoint import fresh_aws

    window = float(FAST_ENV["MYUNISOFT_RATE_WINDOW_SECONDS"])
    with FakeSilae() as silae, FakeMyUnisoft(rate_window_seconds=window) as myunisoft:
        resources = provision(endpoint_url=fresh_aws(monkeypatch))
        env = resources.function_environment("SyncWorkerFunction")
        env.update(resources.function_environment("NightlyPullFunction"))
        env.update(FAST_ENV)
        env.update(
            {
                "SILAE_AUTH_URL": silae.auth_url,
                "SILAE_API_URL": silae.api_url,
                "MYUNISOFT_API_URL": myunisoft.api_url,
            }
        )
        env.update(extra_env)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        reset_library_caches()
        try:
            yield Env(
                resources=resources,
                silae=silae,
                myunisoft=myunisoft,
                queue_url=resources.queue_url("SyncQueue"),
                dlq_url=resources.queue_url("SyncDeadLetterQueue"),
            )
        finally:
            reset_library_caches()


def run_nightly(env: Env, night: date) -> dict[str, Any]:
    from functions.nightly_pull import app
    from local.lambda_runtime import fake_context

    result: dict[str, Any] = app.handler(
        {"kind": "nightly", "night": night.isoformat()}, fake_context("NightlyPullFunction")
    )
    return result


def drain(env: Env, **kwargs: Any) -> Any:
    from functions.sync_worker import app
    from local.executor import drain as drain_queue

    return drain_queue(env.queue_url, app.handler, **kwargs)


def society_entries(env: Env, society_id: int) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = env.myunisoft.entries(society_id)
    return entries


def _create(services: Any, run_id: str, dossier_id: str, period: str, **fields: Any) -> Any:
    from paysync.domain.models import Run

    dossier = services.config.get_dossier(dossier_id)
    run = Run(
        run_id=run_id,
        dossier_id=dossier_id,
        firm_id=dossier.firm_id,
        period=period,
        message_group=dossier.message_group,
        **fields,
    )
    assert services.runs.create(run)
    return run


def create_run(env: Env, run_id: str, dossier_id: str, period: str) -> Any:
    """An extra on-demand run of a dossier, created as the API would (tests drive it with sync_run)."""
    return _create(env.services, run_id, dossier_id, period, trigger="on_demand")


def run_a_watch(services: Any, run_id: str, dossier_id: str, period: str) -> Any:
    """A watch run of a synced period, created as the planner creates it and run as the worker runs
    it; the finished run back."""
    from paysync.usecases.sync_dossier import sync_run

    _create(services, run_id, dossier_id, period, trigger="nightly", kind="watch")
    return sync_run(services, run_id)
