"""A night of 16 dossiers under every fault of both APIs, with workers killed at every crash point,
under each switch set of the fake MyUnisoft the fault matrix uses (``matrix_behaviours``).

Both fakes inject, at random (seeded) and at least once each: latency, 5xx, 429 (MyUnisoft with
``X-Rate-Limit-Reset``, Silae with ``Retry-After``), timeouts, connection resets, answers lost after
the write was applied, MyUnisoft ``ERR-API-UNDER-MAINTENANCE`` and ``ERR-TOO-MANY-CONCURRENT-REQUEST``,
Silae ``recoverable`` true and false. Workers die (a ``BaseException``, as a killed Lambda) at every
point of ``tests.faultmatrix.crashes`` (after the Silae fetch, between the ledger claim and the
POST, after the POST, before the ledger write, before the run update), and SQS redelivers. Where
the fault matrix runs each combination alone, this night mixes them at random (seeded) and drains
the queue with several concurrent containers (``local.executor``), as Lambda would.

At the end: every dossier's entries are in MyUnisoft exactly once, or its run failed with a
catalogued diagnosis; poison messages are in the DLQ; nothing is silently dropped (every run is
finished, or its message waits in the DLQ, where every exhausted run is). Then the faults stop,
the operator replays the DLQ, and the runs it held finish, still exactly once.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import Counter
from datetime import date
from typing import Any

import boto3
import pytest

from benchmarks.world import FirmSpec, World, seed_night
from local.executor import FifoExecutor
from local.fakes.myunisoft import Behaviour
from local.fakes.server import Fault
from paysync.domain.diagnoses import is_catalogued
from paysync.domain.entries import partner_entry_ids
from paysync.domain.models import RunStatus
from tests.faultmatrix.crashes import CRASH_POINTS, CrashPoints, Killed
from tests.faultmatrix.matrix import matrix_behaviours
from tests.harness import Env, local_env, run_nightly

NIGHT = date(2026, 11, 21)
SEED = 20261121
FIRMS = [FirmSpec(6, True), FirmSpec(4, True), FirmSpec(3, False), FirmSpec(3, False)]  # 16 dossiers
KILL_PROBABILITY = 0.12
KILLS_PER_RUN = 2
POISON = ["{not json", json.dumps({"run": "no run_id here"})]


class Killer:
    """Decides, per run, crash point and delivery, whether the worker dies there.

    Deterministic for a (run, point, delivery) whatever the threads' interleaving; the first run to
    reach a point always dies there, so that every point is exercised.
    """

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.kills: Counter[str] = Counter()
        self._per_run: Counter[str] = Counter()
        self._lock = threading.Lock()

    def __call__(self, run_id: str, receive_count: int, point: str) -> bool:
        digest = hashlib.sha256(f"{self.seed}|{run_id}|{point}|{receive_count}".encode()).digest()
        draw = int.from_bytes(digest[:8], "big") / 2**64
        with self._lock:
            first = self.kills[point] == 0
            if self._per_run[run_id] >= KILLS_PER_RUN or not (first or draw < KILL_PROBABILITY):
                return False
            self.kills[point] += 1
            self._per_run[run_id] += 1
        return True


def _inject(env: Env, world: World) -> tuple[str, str]:
    """Random faults everywhere, each kind at least once; returns the dossier whose Silae is down
    all night (its run must end failed, in the DLQ) and the one Silae refuses (a diagnosis)."""
    silae, myu = env.silae.faults, env.myunisoft.faults
    timeout = Fault("timeout", seconds=0.6)  # HTTP_TIMEOUT_SECONDS is 0.4 here
    silae_kinds = [
        (0.03, Fault("latency", seconds=0.03)),
        (0.03, Fault("status", status=503)),
        (0.02, Fault("rate_limit", extra={"retry_after": 0})),
        (0.01, timeout),
        (0.02, Fault("reset")),
        (0.03, Fault("recoverable", path_contains="/payroll/")),
        (0.005, Fault("unrecoverable", path_contains="EcrituresComptables4")),
    ]
    myu_kinds = [
        (0.03, Fault("latency", seconds=0.03)),
        (0.03, Fault("status", status=502)),
        (0.03, Fault("rate_limit", seconds=0.05)),
        (0.01, timeout),
        (0.02, Fault("reset")),
        (0.02, Fault("maintenance")),
        (0.02, Fault("concurrency")),
        (0.03, Fault("lost_response", path_contains="/api/v1/entry")),
    ]
    for n, (probability, fault) in enumerate(silae_kinds):
        silae.randomly(probability, fault, seed=SEED if n == 0 else None)
    for n, (probability, fault) in enumerate(myu_kinds):
        myu.randomly(probability, fault, seed=SEED + 1 if n == 0 else None)
    # Each kind at least once, early in the night.
    for _, fault in silae_kinds:
        silae.add(
            Fault(
                fault.kind,
                times=1,
                path_contains=fault.path_contains,
                seconds=fault.seconds,
                status=fault.status,
                extra=fault.extra,
            )
        )
    for _, fault in myu_kinds:
        myu.add(
            Fault(
                fault.kind,
                times=1,
                path_contains=fault.path_contains,
                seconds=fault.seconds,
                status=fault.status,
                extra=fault.extra,
            )
        )
    down = world.dossiers[-1].dossier  # a société dossier: its own FIFO group
    refused = world.dossiers[-2].dossier
    silae.add(
        Fault(
            "recoverable",
            times=None,
            path_contains="EcrituresComptables4",
            headers={"dossiers": str(down.payroll_dossier_number)},
        )
    )
    silae.add(
        Fault(
            "unrecoverable",
            times=None,
            path_contains="EcrituresComptables4",
            headers={"dossiers": str(refused.payroll_dossier_number)},
        )
    )
    return down.dossier_id, refused.dossier_id


def _dlq(env: Env) -> list[str]:
    """The DLQ's bodies, left in place: only for a few messages (a FIFO group is read ten at most)."""
    sqs = boto3.client("sqs")
    messages = sqs.receive_message(QueueUrl=env.dlq_url, MaxNumberOfMessages=10, VisibilityTimeout=30).get(
        "Messages", []
    )
    for message in messages:
        sqs.change_message_visibility(
            QueueUrl=env.dlq_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
        )
    return sorted(m["Body"] for m in messages)


def _expected(world: World) -> dict[str, list[str]]:
    return {
        item.dossier.dossier_id: partner_entry_ids(
            int(item.dossier.society_id or 0),
            str(item.dossier.payroll_dossier_number),
            world.period,
            item.groups,
        )
        for item in world.dossiers
    }


def _origins(env: Env, item: Any) -> list[str]:
    return [e["entry_origin_partner_id"] for e in env.myunisoft.entries(int(item.dossier.society_id or 0))]


def _check_night(env: Env, item: Any, expected: dict[str, list[str]]) -> Any:
    """One dossier after the night: its entries at most once, all of them when its run succeeded,
    a catalogued diagnosis when it failed. Returns its run."""
    svc = env.services
    dossier_id = item.dossier.dossier_id
    (run,) = svc.runs.list_for_dossier(dossier_id)
    origins = _origins(env, item)
    assert len(origins) == len(set(origins)), f"{dossier_id}: an entry posted twice"
    assert set(origins) <= set(expected[dossier_id])
    if run.status is RunStatus.SUCCEEDED:
        assert sorted(origins) == sorted(expected[dossier_id]), dossier_id
        for pid in origins:
            record = svc.ledger.get(pid)
            assert record is not None and record.status == "posted", pid
    elif run.status is RunStatus.FAILED:
        assert run.diagnoses, dossier_id
        for found in run.diagnoses:
            assert is_catalogued(found.code) and found.message and found.remedy, found
    else:
        assert not run.status.finished, f"{dossier_id}: {run.status.value}"  # no other outcome here
    return run


def _drain(env: Env) -> Any:
    report = FifoExecutor(env.queue_url, workers=4, batch_size=5, max_seconds=120).run()
    assert not report.timed_out
    assert report.group_overlaps == 0  # never two batches of one token at once
    return report


@pytest.mark.parametrize("behaviour", matrix_behaviours(), ids=lambda b: b.label)
def test_a_night_under_every_fault_loses_nothing_and_posts_nothing_twice(
    monkeypatch: pytest.MonkeyPatch, behaviour: Behaviour
) -> None:
    with local_env(monkeypatch, HTTP_TIMEOUT_SECONDS="0.4") as env:
        svc = env.services
        env.myunisoft.configure(behaviour)
        world = seed_night(env.silae, env.myunisoft, svc.config, svc.secrets, NIGHT, firms=FIRMS)
        expected = _expected(world)
        killer = Killer(SEED)
        crashes = CrashPoints(killer).install(monkeypatch)
        down, refused = _inject(env, world)

        plan = run_nightly(env, NIGHT)
        assert plan["created"] == len(world.dossiers) == sum(firm.dossiers for firm in FIRMS)
        sqs = boto3.client("sqs")
        for n, body in enumerate(POISON):  # in a busy cabinet group: they must not hold it back
            sqs.send_message(
                QueueUrl=env.queue_url,
                MessageBody=body,
                MessageGroupId=world.dossiers[0].dossier.message_group,
                MessageDeduplicationId=f"poison-{n}",
            )
        report = _drain(env)

        # Every fault kind and every crash point happened.
        assert set(crashes.kills) == set(CRASH_POINTS), crashes.kills
        assert report.crashes == sum(crashes.kills.values())
        for kind in ("latency", "status", "rate_limit", "timeout", "reset", "recoverable", "unrecoverable"):
            assert env.silae.faults.injected[kind] >= 1, kind
        for kind in ("latency", "status", "rate_limit", "timeout", "reset", "maintenance", "concurrency"):
            assert env.myunisoft.faults.injected[kind] >= 1, kind
        assert env.myunisoft.faults.injected["lost_response"] >= 1

        night = {item.dossier.dossier_id: _check_night(env, item, expected) for item in world.dossiers}
        # Silae down all night: the run is exhausted. Unless its message was parked in the DLQ by
        # its batch-mates' deaths before its last attempt (a timing matter): then it waits there
        # unfinished. Either way it is in the DLQ (checked after the replay).
        assert night[down].status is not RunStatus.SUCCEEDED
        if night[down].status is RunStatus.FAILED:
            assert night[down].diagnoses[0].code == "TRANSIENT-EXHAUSTED"
        # Silae refusing: said precisely at the first attempt, and not retried; parked before any
        # attempt as above, it waits in the DLQ unfinished.
        refused_attempted = night[refused].status.finished
        if refused_attempted:
            assert night[refused].status is RunStatus.FAILED
            assert night[refused].diagnoses[0].code != "TRANSIENT-EXHAUSTED"

        # The services are back: the operator replays the DLQ. What it moves tells what the DLQ
        # held (a FIFO queue cannot be read past the head of a group without deleting).
        from paysync.ops.replay import replay

        crashes.enabled = False
        env.silae.faults.clear()
        env.myunisoft.faults.clear()
        replayed = replay(sqs, svc.runs, queue_url=env.queue_url, dlq_url=env.dlq_url)
        assert len(replayed.poison) == len(POISON)  # poison messages reached the DLQ, and stay there
        in_dlq = set(replayed.replayed) | set(replayed.already_finished)
        for dossier_id, run in night.items():
            # Nothing silently dropped: a run finished, or its message waited in the DLQ (alarmed,
            # replayable). A killed container returns its whole batch, so a message can be parked
            # there by its neighbours' deaths, even after its run succeeded.
            assert run.status.finished or run.run_id in replayed.replayed, (
                f"{dossier_id}: left {run.status.value}"
            )
            if run.status is RunStatus.FAILED and run.diagnoses[0].code == "TRANSIENT-EXHAUSTED":
                assert run.run_id in replayed.replayed, f"{dossier_id}: exhausted but not in the DLQ"
            if run.run_id in replayed.already_finished:
                assert run.status.finished and run.status is not RunStatus.FAILED
        assert night[down].run_id in replayed.replayed
        if refused_attempted:
            assert night[refused].run_id not in in_dlq  # a configuration failure is not retried
        else:
            assert night[refused].run_id in replayed.replayed

        _drain(env)
        finals: Counter[str] = Counter()
        for item in world.dossiers:
            run = svc.runs.list_for_dossier(item.dossier.dossier_id)[0]
            origins = _origins(env, item)
            assert len(origins) == len(set(origins)), (
                f"{item.dossier.dossier_id}: posted twice after the replay"
            )
            assert run.status.finished
            if run.run_id in replayed.replayed:
                assert run.status is RunStatus.SUCCEEDED and run.replays == 1
                assert sorted(origins) == sorted(expected[item.dossier.dossier_id])
            finals[run.status.value] += 1
        # The night did real work. Counted after the replay: how many runs the night itself
        # finishes depends on the machine's timing (a loaded machine's timeouts, and the batches a
        # killed neighbour returns, park more messages in the DLQ), not on paysync.
        assert finals["succeeded"] >= len(world.dossiers) // 2, finals
        assert sorted(_dlq(env)) == sorted(POISON)


def test_a_worker_killed_on_the_last_delivery_leaves_a_failed_run_with_its_message_in_the_dlq(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Killed on every delivery, the last one included: SQS parks the message, and the run says
    failed (recorded before the last attempt's work) instead of staying "running" for ever."""
    with local_env(monkeypatch) as env:
        svc = env.services
        world = seed_night(
            env.silae, env.myunisoft, svc.config, svc.secrets, NIGHT, firms=[FirmSpec(1, False)]
        )
        from paysync.usecases.preparation import DossierSync

        def killed(*args: Any, **kwargs: Any) -> Any:
            raise Killed("worker killed after the Silae fetch")

        monkeypatch.setattr(DossierSync, "fetch_payroll", killed)
        run_nightly(env, NIGHT)
        report = _drain(env)
        receives = svc.settings.max_receive_count
        assert report.crashes == receives
        (run,) = svc.runs.list_for_dossier(world.dossiers[0].dossier.dossier_id)
        assert run.status is RunStatus.FAILED and run.attempts == receives
        assert run.diagnoses[0].code == "TRANSIENT-EXHAUSTED" and run.diagnoses[0].details["interrupted"]
        assert svc.config.get_dossier(world.dossiers[0].dossier.dossier_id).last_run.status == "failed"
        assert _dlq(env) == [json.dumps({"run_id": run.run_id})]


def test_a_poison_message_does_not_hold_back_the_runs_behind_it_in_its_group(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with local_env(monkeypatch) as env:
        svc = env.services
        world = seed_night(
            env.silae, env.myunisoft, svc.config, svc.secrets, NIGHT, firms=[FirmSpec(3, True)]
        )
        sqs = boto3.client("sqs")
        group = world.dossiers[0].dossier.message_group
        sqs.send_message(
            QueueUrl=env.queue_url, MessageBody=POISON[0], MessageGroupId=group, MessageDeduplicationId="p"
        )
        run_nightly(env, NIGHT)  # three runs queued behind the poison message, in its group
        report = FifoExecutor(env.queue_url, workers=1, batch_size=10, max_seconds=60).run()
        # Each run went through on its first delivery; only the poison message came back.
        for item in world.dossiers:
            (run,) = svc.runs.list_for_dossier(item.dossier.dossier_id)
            assert run.status is RunStatus.SUCCEEDED and run.attempts == 1
        assert report.failures == svc.settings.max_receive_count
        assert _dlq(env) == [POISON[0]]
