"""Account matching with create-once (seed 004), through the worker, against the fake MyUnisoft."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from paysync.domain.models import Run, RunStatus
from paysync.usecases.sync_dossier import sync_run
from tests.harness import Env, create_run, society_entries

GIRARD, SOCIETY = "menuiserie-girard", 204  # its second OD uses 438600, absent from the chart


def _run(env: Env, run_id: str, period: str, dossier_id: str = GIRARD) -> Run:
    return create_run(env, run_id, dossier_id, period)  # type: ignore[no-any-return]


def _auto_create(env: Env, on: bool, dossier_id: str = GIRARD) -> None:
    dossier = env.services.config.get_dossier(dossier_id)
    env.services.config.put_dossier(dossier.model_copy(update={"auto_create_accounts": on}))


def _accounts_numbered(env: Env, number: str) -> list[int]:
    from paysync.myunisoft.client import MyUnisoftAccess, MyUnisoftClient

    client = MyUnisoftClient(
        MyUnisoftAccess(token="tok-societe-204", partner_secret="demo-partner-secret-9f8e7d"),
        env.services.settings.myunisoft,
    )
    with client:
        return [a.account_id for a in client.list_accounts() if a.account_number == number]


def _links(env: Env) -> dict[str, object]:
    return {r.number: r for r in env.services.links.list(GIRARD)}


def test_auto_creation_off_blocks_only_the_entry_using_the_missing_account(env: Env, world) -> None:  # type: ignore[no-untyped-def]
    finished = sync_run(env.services, _run(env, "off", str(world.period)).run_id)
    assert finished is not None and finished.status is RunStatus.PARTIAL
    blocked = next(e for e in finished.entries if e.status == "blocked")
    assert blocked.diagnoses[0].message == "Le compte suivant n'existe pas dans MyUnisoft : 438600"
    assert len(society_entries(env, SOCIETY)) == 1
    assert _accounts_numbered(env, "438600") == []
    # Found accounts are recorded; the missing one is remembered for the account list.
    links = _links(env)
    assert links["641100"].status == "linked" and links["641100"].origin == "found"  # type: ignore[attr-defined]
    assert links["438600"].status == "seen"  # type: ignore[attr-defined]


def test_auto_creation_on_creates_once_and_later_runs_reuse_the_link(env: Env, world) -> None:  # type: ignore[no-untyped-def]
    _auto_create(env, True)
    first = sync_run(env.services, _run(env, "on-1", str(world.period)).run_id)
    assert first is not None and first.status is RunStatus.SUCCEEDED
    (created,) = _accounts_numbered(env, "438600")
    link = _links(env)["438600"]
    assert link.origin == "created" and link.account_id == created  # type: ignore[attr-defined]
    import boto3

    item = (
        boto3.resource("dynamodb")
        .Table(env.resources.name("AccountLinksTable"))
        .get_item(Key={"dossier_id": GIRARD, "account_number": "438600"})["Item"]
    )
    assert item["state"] == "missing" and item["myunisoft_number"] == "438600" and item["linked_at"]
    # Another run (a later period with the same accounts) creates nothing new.
    env.silae.set_payroll("000204", world.period.next(), world.dossiers[7].groups, [])
    second = sync_run(env.services, _run(env, "on-2", str(world.period.next())).run_id)
    assert second is not None and second.status is RunStatus.SUCCEEDED
    assert _accounts_numbered(env, "438600") == [created]


def test_a_created_account_deleted_later_is_compte5_and_never_recreated(env: Env, world) -> None:  # type: ignore[no-untyped-def]
    _auto_create(env, True)
    sync_run(env.services, _run(env, "create", str(world.period)).run_id)
    (created,) = _accounts_numbered(env, "438600")
    env.myunisoft.delete_account(SOCIETY, created)
    env.silae.set_payroll("000204", world.period.next(), world.dossiers[7].groups, [])
    again = sync_run(env.services, _run(env, "after-delete", str(world.period.next())).run_id)
    assert again is not None and again.status is RunStatus.PARTIAL  # the other entry is posted
    blocked = next(e for e in again.entries if e.status == "blocked")
    assert blocked.diagnoses[0].code == "COMPTE5"
    assert "recréez-le" in blocked.diagnoses[0].remedy
    assert _accounts_numbered(env, "438600") == []  # not re-created, auto-creation on or not

    # The fix the seed gives: recreate it by hand, then re-run.
    env.myunisoft.add_account(SOCIETY, "438600", "Organismes sociaux - charges à payer")
    fixed = sync_run(env.services, _run(env, "after-fix", str(world.period.next())).run_id)
    assert fixed is not None and fixed.status is RunStatus.SUCCEEDED
    assert _links(env)["438600"].account_id == _accounts_numbered(env, "438600")[0]  # type: ignore[attr-defined]


def test_a_renamed_account_is_ok_with_a_different_code_and_keeps_its_id(env: Env, world) -> None:  # type: ignore[no-untyped-def]
    _auto_create(env, True)
    sync_run(env.services, _run(env, "create", str(world.period)).run_id)
    (created,) = _accounts_numbered(env, "438600")
    env.myunisoft.rename_account(SOCIETY, created, new_number="438610")
    env.silae.set_payroll("000204", world.period.next(), world.dossiers[7].groups, [])
    run = sync_run(env.services, _run(env, "renamed", str(world.period.next())).run_id)
    assert run is not None and run.status is RunStatus.SUCCEEDED
    posted = society_entries(env, SOCIETY)[-1]
    assert created in [line["account_id"] for line in posted["lines"]]
    assert _accounts_numbered(env, "438600") == []  # nothing created for the old number


def test_two_runs_racing_create_the_account_once(env: Env, world) -> None:  # type: ignore[no-untyped-def]
    _auto_create(env, True)
    runs = [_run(env, f"race-{i}", str(world.period)) for i in range(2)]
    barrier = threading.Barrier(2)

    def work(run_id: str) -> None:
        barrier.wait()
        try:
            sync_run(env.services, run_id)
        except Exception:  # the loser is told to retry
            sync_run(env.services, run_id, receive_count=2)

    threads = [threading.Thread(target=work, args=(r.run_id,)) for r in runs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(_accounts_numbered(env, "438600")) == 1
    assert len(society_entries(env, SOCIETY)) == 2


def test_a_crash_between_claim_and_creation_creates_nothing_twice(env: Env, world) -> None:  # type: ignore[no-untyped-def]
    _auto_create(env, True)
    stale = datetime.now(UTC) - timedelta(hours=1)
    assert env.services.links.claim_creation(
        GIRARD, "438600", run_id="dead", now=stale, lease=timedelta(minutes=15)
    )
    # The dead run did create the account before dying.
    env.myunisoft.add_account(SOCIETY, "438600", "Organismes sociaux - charges à payer")
    run = sync_run(env.services, _run(env, "takeover", str(world.period)).run_id)
    assert run is not None and run.status is RunStatus.SUCCEEDED
    assert len(_accounts_numbered(env, "438600")) == 1


def test_a_fresh_claim_by_another_run_makes_this_one_retry(env: Env, world) -> None:  # type: ignore[no-untyped-def]
    from paysync.errors import TransientError

    _auto_create(env, True)
    assert env.services.links.claim_creation(
        GIRARD, "438600", run_id="busy", now=datetime.now(UTC), lease=timedelta(minutes=15)
    )
    with pytest.raises(TransientError):
        sync_run(env.services, _run(env, "waits", str(world.period)).run_id)
    assert _accounts_numbered(env, "438600") == []


def test_an_invalid_payroll_account_is_compte17_and_blocks_only_its_entry(env: Env, world) -> None:  # type: ignore[no-untyped-def]
    from decimal import Decimal

    from local.demo_data import payroll_od
    from paysync.domain.payroll import Direction, PayrollLine

    _auto_create(env, True)
    bad = payroll_od(
        "Paie - compte invalide",
        Decimal("1000.00"),
        extra=[PayrollLine("043860", "Compte mal paramétré", Direction.DEBIT, Decimal("10.00"))],
    )
    env.silae.set_payroll("000204", world.period, [world.dossiers[7].groups[0], bad], [])
    run = sync_run(env.services, _run(env, "invalid", str(world.period)).run_id)
    assert run is not None and run.status is RunStatus.PARTIAL
    blocked = next(e for e in run.entries if e.status == "blocked")
    assert blocked.diagnoses[0].code == "COMPTE17"
    assert "043860" in blocked.diagnoses[0].message


def test_the_account_list_shows_each_state_and_a_manual_link_fixes_a_suggestion(env: Env, world) -> None:  # type: ignore[no-untyped-def]
    from paysync.myunisoft.client import MyUnisoftAccess, MyUnisoftClient
    from paysync.usecases.accounts import UnknownAccountError, account_list, link_manually

    # A same-label account exists under another number: "Pas de correspondance — avec suggestion(s)".
    suggestion = env.myunisoft.add_account(SOCIETY, "438700", "Organismes sociaux - charges à payer")
    sync_run(env.services, _run(env, "list", str(world.period)).run_id)
    client = MyUnisoftClient(
        MyUnisoftAccess(token="tok-societe-204", partner_secret="demo-partner-secret-9f8e7d"),
        env.services.settings.myunisoft,
    )
    with client:
        rows = {
            r.number: r
            for r in account_list(client, env.services.links, dossier_id=GIRARD, auto_create=False)
        }
        assert rows["641100"].state_label == "Correspondance OK" and rows["641100"].match is not None
        missing = rows["438600"]
        assert missing.state_label == "Pas de correspondance — avec suggestion(s)"
        assert [s.account_id for s in missing.suggestions] == [suggestion] and missing.match is None

        with pytest.raises(UnknownAccountError):
            link_manually(
                client, env.services.links, dossier_id=GIRARD, number="438600", account_id=424242,
                payroll_label=None, now=datetime.now(UTC),
            )  # fmt: skip
        linked = link_manually(
            client, env.services.links, dossier_id=GIRARD, number="438600", account_id=suggestion,
            payroll_label=None, now=datetime.now(UTC),
        )  # fmt: skip
        assert linked.number == "438700"
        rows = {
            r.number: r
            for r in account_list(client, env.services.links, dossier_id=GIRARD, auto_create=False)
        }
        assert rows["438600"].state_label == "Correspondance OK — code différent"
        assert rows["438600"].origin == "manual"
    # The blocked entry now posts with the linked account.
    rerun = sync_run(env.services, _run(env, "after-link", str(world.period)).run_id)
    assert rerun is not None and rerun.status is RunStatus.SUCCEEDED
