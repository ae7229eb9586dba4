"""Never twice, never stuck: the faulty nights of ``tests.faultmatrix.scenarios`` and a few more,
under every combination of the fake MyUnisoft's switches (``every_behaviour``): no uniqueness by
default, so nothing here holds because the fake refused a duplicate.

One local stack for the module (``NightStack``): every test gets a night of its own period.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from benchmarks.world import FirmSpec
from local.fakes.myunisoft import Behaviour, every_behaviour
from local.fakes.server import Fault
from paysync.domain.models import RunStatus
from paysync.usecases.sync_dossier import sync_run
from tests.faultmatrix import scenarios
from tests.faultmatrix.crashes import CrashPoints
from tests.faultmatrix.nights import Night, NightStack, night_stack
from tests.faultmatrix.vendor import LOOKUP

BEHAVIOURS = every_behaviour()
UNIQUE = [b for b in BEHAVIOURS if b.partner_id_unique]


@pytest.fixture(scope="module")
def stack() -> Iterator[NightStack]:
    # two dossiers: one on a cabinet token with one entry, one on its own token with two
    with night_stack([FirmSpec(1, True), FirmSpec(1, False)], entries=lambda index: index) as shared:
        yield shared


@pytest.fixture(params=BEHAVIOURS, ids=lambda b: b.label)
def night(stack: NightStack, request: pytest.FixtureRequest) -> Night:
    return stack.night(behaviour=request.param)


def assert_each_entry_once(night: Night) -> None:
    tally = night.tally()
    assert tally.duplicates == 0 and tally.lost == 0, tally.problems
    assert tally.in_myunisoft == tally.expected > 0


def test_a_night_posts_every_entry_once_and_neither_a_redelivery_nor_the_same_night_again_does_more(
    night: Night,
) -> None:
    night.plan()
    night.drain()
    assert_each_entry_once(night)
    runs = night.runs()
    assert {run.status for run in runs} == {RunStatus.SUCCEEDED}
    posted = night.entries()
    assert sync_run(night.services, runs[0].run_id, receive_count=2) is None  # SQS delivers it again
    night.plan()  # the same night again: every run is there, finished
    night.drain()
    assert night.entries() == posted


def test_a_second_run_between_lookup_and_post_posts_nothing(
    night: Night, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenarios.second_run_between_lookup_and_post(night, monkeypatch)
    item = night.items[0]
    counts = night.entries()
    assert [counts[pid] for pid in night.partner_ids(item)] == [1] * len(night.partner_ids(item))
    runs = [
        night.services.runs.get(f"{name}-{item.dossier.dossier_id}-{night.period}")
        for name in ("first", "second")
    ]
    assert {run.status for run in runs} == {RunStatus.SUCCEEDED}
    assert {entry.status for entry in runs[1].entries} == {"already_posted"}


def test_a_worker_killed_between_the_claim_and_the_post_posts_once(
    night: Night, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The claim is held, the lookup said absent, nothing was sent: the redelivery claims again
    (its own claim) and posts."""
    CrashPoints(lambda run_id, count, point: point == "between_claim_and_post" and count == 1).install(
        monkeypatch
    )
    night.plan()
    night.drain()
    assert_each_entry_once(night)
    assert {run.status for run in night.runs()} == {RunStatus.SUCCEEDED}


def test_a_worker_killed_after_the_post_before_the_ledger_write_posts_once(
    night: Night, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenarios.killed_before_the_ledger_write(night, monkeypatch)
    assert_each_entry_once(night)
    runs = night.runs()
    assert {run.status for run in runs} == {RunStatus.SUCCEEDED}
    # the redelivery found each entry in MyUnisoft and recorded it
    assert any(entry.status == "already_posted" for run in runs for entry in run.entries)
    for item in night.items:
        for pid in night.partner_ids(item):
            record = night.services.ledger.get(pid)
            assert record is not None and record.status == "posted"


def test_an_answer_lost_after_the_commit_posts_once(night: Night, monkeypatch: pytest.MonkeyPatch) -> None:
    scenarios.answer_lost_after_commit(night, monkeypatch)
    assert_each_entry_once(night)
    assert night.env.myunisoft.faults.injected["lost_response"] == len(night.items)


def test_a_ledger_wiped_mid_period_posts_nothing_twice(night: Night, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every entry posted and recorded, then the run dies before saving, and the ledger is lost
    (a restored backup, a table recreated): the redelivery finds each entry by its partner id."""
    CrashPoints(lambda run_id, count, point: point == "before_run_update" and count == 1).install(monkeypatch)
    ledger = boto3.resource("dynamodb").Table(night.services.settings.ledger_table)
    original = night.services.runs.save

    def wipe_then_save(run):  # type: ignore[no-untyped-def]
        for item in night.items:
            for pid in night.partner_ids(item):
                ledger.delete_item(Key={"partner_id": pid})
        return original(run)

    night.plan()
    monkeypatch.setattr(night.services.runs, "save", wipe_then_save)
    night.drain()
    assert_each_entry_once(night)
    assert {run.status for run in night.runs()} == {RunStatus.SUCCEEDED}


def test_a_claim_left_by_another_crashed_run_is_taken_over_after_its_lease(night: Night) -> None:
    stale = datetime.now(UTC) - timedelta(hours=2)
    item = night.items[0]
    for pid in night.partner_ids(item):
        assert night.services.ledger.claim(
            pid,
            run_id="dead-run",
            dossier_id=item.dossier.dossier_id,
            period=str(night.period),
            now=stale,
            lease=timedelta(minutes=15),
        ).granted
    night.plan()
    night.drain()
    assert_each_entry_once(night)


def test_a_refused_lookup_fails_the_run_precisely_gives_the_claims_back_and_stays_out_of_the_dlq(
    night: Night, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenarios.attempted_earlier(night)  # a period never attempted is not looked up at all
    night.env.myunisoft.faults.add(
        Fault(
            "refused", times=None, path_contains=LOOKUP, method="GET", extra={"code": "ERR-FORBIDDEN-ROUTE"}
        )
    )
    night.plan()
    night.drain()
    for run in night.runs():
        assert run.status is RunStatus.FAILED
        (found,) = run.diagnoses
        assert found.code == "MYUNISOFT-LOOKUP-REFUSED"
        assert "ERR-FORBIDDEN-ROUTE" in found.message and found.details["request_id"] in found.message
        assert found.remedy
    assert night.entries() == {}
    assert night.dead_letters() == []  # a refusal is said, not retried
    for item in night.items:
        for pid in night.partner_ids(item):
            assert night.services.ledger.get(pid) is None  # given back
    night.env.myunisoft.faults.clear()
    night.plan(night=night.next_day())
    night.drain()
    assert_each_entry_once(night)


def test_a_lookup_failing_for_now_gives_the_claim_back_before_anything_is_sent(
    night: Night, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lookup fails on every attempt of a delivery: nothing was sent, so another run need not
    wait for the lease; the redelivery posts."""
    scenarios.attempted_earlier(night)
    released: list[str] = []
    original = type(night.services.ledger).release

    def spy(self, partner_id, *, run_id):  # type: ignore[no-untyped-def]
        released.append(partner_id)
        return original(self, partner_id, run_id=run_id)

    monkeypatch.setattr(type(night.services.ledger), "release", spy)
    attempts = night.services.settings.myunisoft.max_attempts
    night.env.myunisoft.faults.add(Fault("maintenance", times=attempts, path_contains=LOOKUP, method="GET"))
    night.plan()
    night.drain()
    assert len(released) == 1
    assert_each_entry_once(night)


@pytest.mark.parametrize("behaviour", UNIQUE, ids=lambda b: b.label)
def test_a_post_refused_as_existing_that_the_lookup_cannot_find_is_diagnosed_not_retried(
    stack: NightStack, behaviour: Behaviour, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MyUnisoft enforces uniqueness, its lookup lags: after a crash between the POST and the
    ledger write, the redelivery's lookup says absent, the POST is refused as a duplicate, the
    lookup still finds nothing: the entry is blocked with a precise diagnosis, once in MyUnisoft."""
    night = stack.night(stack.world.dossiers[:1], behaviour=behaviour.changed(lookup_lag_seconds=3600))
    night.env.myunisoft.mad_entries.stale_seconds = 3600  # nor does the listing see it
    scenarios.killed_before_the_ledger_write(night, monkeypatch)
    assert_each_entry_once(night)
    (run,) = night.runs()
    assert run.status is RunStatus.BLOCKED
    found = run.entries[0].diagnoses[0]
    assert found.code == "MYUNISOFT-EXISTS-UNFOUND"
    assert found.details["myunisoft_code"] in found.message and found.details["request_id"]
    assert night.dead_letters() == []
    night.env.myunisoft.configure(lookup_lag_seconds=0)  # the index caught up: the next night records it
    night.plan(night=night.next_day())
    night.drain()
    assert_each_entry_once(night)
    assert night.services.ledger.get(night.partner_ids(night.items[0])[0]).status == "posted"
