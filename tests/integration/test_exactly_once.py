"""Never post twice: concurrent runs, crashes between POST and ledger, redeliveries."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from paysync.domain.models import Run, RunStatus
from paysync.storage.ledger import Ledger
from paysync.usecases.sync_dossier import sync_run
from tests.harness import Env, create_run, drain, run_nightly, society_entries
from tests.integration.conftest import NIGHT


def _extra_run(env: Env, run_id: str, dossier_id: str, period: str) -> Run:
    return create_run(env, run_id, dossier_id, period)  # type: ignore[no-any-return]


def test_two_runs_of_one_dossier_at_once_post_each_entry_once(env: Env, world) -> None:  # type: ignore[no-untyped-def]
    period = str(world.period)
    runs = [_extra_run(env, f"race-{i}", "garage-leroy", period) for i in range(2)]
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def work(run_id: str) -> None:
        barrier.wait()
        try:
            outcomes.append(sync_run(env.services, run_id))
        except Exception as error:  # a loser may be told to retry later
            outcomes.append(error)

    threads = [threading.Thread(target=work, args=(r.run_id,)) for r in runs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Whatever interleaving happened, a redelivery of any unfinished run settles it.
    for run in runs:
        current = env.services.runs.get(run.run_id)
        if current is not None and not current.status.finished:
            sync_run(env.services, run.run_id, receive_count=2)
    assert len(society_entries(env, 102)) == 2
    partner_ids = [e["entry_origin_partner_id"] for e in society_entries(env, 102)]
    assert len(set(partner_ids)) == 2
    statuses = {env.services.runs.get(r.run_id).status for r in runs}
    assert statuses == {RunStatus.SUCCEEDED}


class Crash(BaseException):
    """Dies like a killed Lambda: not an Exception, nothing catches it."""


def test_a_crash_after_the_post_before_the_ledger_write_leaves_one_entry(
    env: Env, world, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    original = Ledger.mark_posted
    crashed: list[str] = []

    def crash_once(self: Ledger, partner_id: str, **kwargs: object) -> None:
        if not crashed:
            crashed.append(partner_id)
            raise Crash
        original(self, partner_id, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Ledger, "mark_posted", crash_once)
    run = _extra_run(env, "crashy", "boulangerie-martin", str(world.period))
    with pytest.raises(Crash):
        sync_run(env.services, run.run_id)
    assert len(society_entries(env, 101)) == 1  # the POST landed before the crash
    assert env.services.ledger.get(crashed[0]).status == "claimed"

    # SQS delivers the message again: the same run claims again, finds the entry in MyUnisoft.
    finished = sync_run(env.services, run.run_id, receive_count=2)
    assert finished is not None and finished.status is RunStatus.SUCCEEDED
    assert [e.status for e in finished.entries] == ["already_posted"]
    assert len(society_entries(env, 101)) == 1
    record = env.services.ledger.get(crashed[0])
    assert record.status == "posted" and record.entry_id == society_entries(env, 101)[0]["entry_id"]


def test_a_claim_left_by_another_crashed_run_is_recovered_after_its_lease(env: Env, world) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from paysync.domain.entries import partner_entry_ids
    from paysync.domain.periods import Period

    dossier = env.services.config.get_dossier("cafe-gare")
    pid = partner_entry_ids(201, "000201", Period.parse(str(world.period)), [world.dossiers[4].groups[0]])[0]
    stale = datetime.now(UTC) - timedelta(hours=2)
    assert env.services.ledger.claim(
        pid,
        run_id="dead-run",
        dossier_id=dossier.dossier_id,
        period=str(world.period),
        now=stale,
        lease=timedelta(minutes=15),
    )
    run = _extra_run(env, "after-crash", "cafe-gare", str(world.period))
    finished = sync_run(env.services, run.run_id)
    assert finished is not None and finished.status is RunStatus.SUCCEEDED
    assert len(society_entries(env, 201)) == 1


def test_redelivery_of_a_finished_run_does_nothing(env: Env, world) -> None:  # type: ignore[no-untyped-def]
    run_nightly(env, NIGHT)
    drain(env)
    run_id = env.services.runs.list_for_dossier("boulangerie-martin")[0].run_id
    assert sync_run(env.services, run_id, receive_count=2) is None
    assert len(society_entries(env, 101)) == 1


def test_myunisoft_keeps_partner_ids_unique_even_without_the_ledger(env: Env, world) -> None:  # type: ignore[no-untyped-def]
    """The last line of defence: MyUnisoft refuses a second entry with one entry_origin_partner_id,
    and the client answers with the existing entry instead of creating another."""
    run_nightly(env, NIGHT)
    drain(env)
    (existing,) = society_entries(env, 101)
    from paysync.domain.entries import build_entry, partner_entry_ids
    from paysync.domain.periods import Period
    from paysync.myunisoft.client import MyUnisoftAccess, MyUnisoftClient

    period = Period.parse(str(world.period))
    group = world.dossiers[0].groups[0]
    pid = partner_entry_ids(101, "000101", period, [group])[0]
    client = MyUnisoftClient(
        MyUnisoftAccess(
            token="tok-cabinet-dupont", partner_secret="demo-partner-secret-9f8e7d", society_id=101
        ),
        env.services.settings.myunisoft,
    )
    diary = next(d for d in client.list_diaries() if d.diary_type_code == "OD_PAIE")
    chart = {a.account_number: a.account_id for a in client.list_accounts()}
    chart["4421"] = chart["442100"]  # MyUnisoft pads the payroll's short number
    draft = build_entry(
        group, partner_id=pid, period=period, society_id=101, diary_id=diary.diary_id, accounts=chart
    )
    assert draft.body is not None
    again = client.create_entry(draft.body)
    assert again.recovered and again.entry_id == existing["entry_id"]
    assert len(society_entries(env, 101)) == 1
