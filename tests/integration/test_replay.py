"""The operator's DLQ replay (`make replay-dlq`, `python -m paysync.ops.replay`)."""

from __future__ import annotations

import json
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import boto3
import pytest

from local.fakes.server import Fault
from paysync.domain.models import Run, RunStatus
from paysync.ops.replay import main, replay
from tests.harness import Env, drain, run_nightly, society_entries
from tests.integration.conftest import NIGHT


def _only(env: Env, *keep: str) -> None:
    config = env.services.config
    for firm in ("cabinet-dupont", "fiduciaire-lemoine"):
        for item in config.list_dossiers_of_firm(firm):
            if item.dossier_id not in keep:
                config.put_dossier(item.model_copy(update={"auto_pull": False}))


def _messages(url: str) -> list[dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    sqs = boto3.client("sqs")
    while True:
        batch = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0, AttributeNames=["All"]
        ).get("Messages", [])
        fresh = [m for m in batch if m["MessageId"] not in found]
        if not fresh:
            return list(found.values())
        found.update({m["MessageId"]: m for m in fresh})


def _exhausted_run(env: Env, *also: str) -> Run:
    """cafe-gare's Silae down all night: five deliveries, then the DLQ and a failed run. The
    dossiers ``also`` are synced that night too."""
    _only(env, "cafe-gare", *also)
    env.silae.faults.add(
        Fault(
            kind="recoverable",
            times=None,
            path_contains="/EcrituresComptables4",
            headers={"dossiers": "000201"},
        )
    )
    run_nightly(env, NIGHT)
    drain(env)
    env.silae.faults.clear()
    (run,) = env.services.runs.list_for_dossier("cafe-gare")
    assert run.status is RunStatus.FAILED
    return run


def test_replay_requeues_the_failed_run_in_its_group_and_it_then_posts_once(
    env: Env, world: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    failed = _exhausted_run(env)
    assert [json.loads(m["Body"]) for m in _messages(env.dlq_url)] == [{"run_id": failed.run_id}]
    assert [r.run_id for r in env.services.runs.failed_since(date(2026, 1, 1))] == [failed.run_id]

    monkeypatch.setenv("SYNC_DLQ_URL", env.dlq_url)  # SYNC_QUEUE_URL and RUNS_TABLE: the functions'
    assert main([]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert (
        printed["replayed"] == 1
        and printed["requeued_failed_runs"] == 1
        and printed["run_ids"] == [failed.run_id]
    )

    run = env.services.runs.get(failed.run_id)
    assert run is not None and run.status is RunStatus.QUEUED
    assert run.replays == 1 and run.replayed_at is not None and run.finished_at is None
    assert list(env.services.runs.failed_since(date(2026, 1, 1))) == []  # no longer reported as failed
    assert _messages(env.dlq_url) == []
    (queued,) = _messages(env.queue_url)
    assert queued["Attributes"]["MessageGroupId"] == "dossier-cafe-gare"

    report = drain(env)
    assert report.successes == 1
    run = env.services.runs.get(failed.run_id)
    assert run is not None and run.status is RunStatus.SUCCEEDED and run.replays == 1
    assert len(society_entries(env, 201)) == 1


def test_finished_runs_are_cleared_poison_stays_unless_dropped_and_a_dry_run_changes_nothing(
    env: Env, world: Any
) -> None:
    failed = _exhausted_run(env, "boulangerie-martin")
    sqs = boto3.client("sqs")
    (done,) = env.services.runs.list_for_dossier("boulangerie-martin")
    assert done.status is RunStatus.SUCCEEDED
    # Behind the failed run, in one group: a poison message, then a message of a finished run.
    group = failed.message_group
    for n, body in enumerate(["{not json", json.dumps({"run_id": done.run_id})]):
        sqs.send_message(
            QueueUrl=env.dlq_url, MessageBody=body, MessageGroupId=group, MessageDeduplicationId=f"x{n}"
        )

    dry = replay(sqs, env.services.runs, queue_url=env.queue_url, dlq_url=env.dlq_url, dry_run=True)
    assert dry.replayed == [failed.run_id] and dry.already_finished == [done.run_id] and len(dry.poison) == 1
    assert len(_messages(env.dlq_url)) == 3 and _messages(env.queue_url) == []
    assert env.services.runs.get(failed.run_id).status is RunStatus.FAILED  # type: ignore[union-attr]

    report = replay(sqs, env.services.runs, queue_url=env.queue_url, dlq_url=env.dlq_url)
    assert report.replayed == [failed.run_id] and report.already_finished == [done.run_id]
    assert len(report.poison) == 1 and report.dropped == []
    assert [m["Body"] for m in _messages(env.dlq_url)] == ["{not json"]
    assert [json.loads(m["Body"]) for m in _messages(env.queue_url)] == [{"run_id": failed.run_id}]

    again = replay(sqs, env.services.runs, queue_url=env.queue_url, dlq_url=env.dlq_url, drop_poison=True)
    assert again.replayed == [] and len(again.dropped) == 1
    assert _messages(env.dlq_url) == []


def test_make_replay_dlq_runs_the_command_with_the_stack_and_arguments() -> None:
    result = subprocess.run(
        ["make", "-n", "replay-dlq", "STACK=paysync-prod", "ARGS=--dry-run"],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert "-m paysync.ops.replay --stack paysync-prod --dry-run" in result.stdout
