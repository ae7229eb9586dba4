"""The books stay true to Silae: watch runs, their states and diagnoses, and the replace, through
the real worker over moto and the fakes (the demo world; the fake MyUnisoft keeps its defaults:
no partner-id uniqueness, so exactly-once is paysync's own)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from local.books import add_a_bonus, books_net, linked_numbers, silae_net
from paysync.domain.models import Run, RunStatus
from paysync.domain.periods import Period
from paysync.usecases.sync_dossier import sync_run
from tests.harness import Env, drain, run_nightly, society_entries
from tests.integration.conftest import NIGHT
from tests.integration.test_reminders import Mail, mail_for

GARAGE, GARAGE_SOCIETY, GARAGE_NUMBER = "garage-leroy", 102, "000102"


def _run(env: Env, kind: str, dossier_id: str, period: Period, name: str) -> Run:
    dossier = env.services.config.get_dossier(dossier_id)
    run = Run(
        run_id=f"{kind}-{name}",
        dossier_id=dossier_id,
        firm_id=dossier.firm_id,
        period=str(period),
        trigger="on_demand",
        kind=kind,  # type: ignore[arg-type]
        message_group=dossier.message_group,
    )
    assert env.services.runs.create(run)
    finished = sync_run(env.services, run.run_id)
    assert finished is not None
    return finished


@pytest.fixture
def synced(env: Env, world):  # type: ignore[no-untyped-def]
    run_nightly(env, NIGHT)
    drain(env)
    return world.period


def _books(env: Env, period: Period) -> dict[str, Decimal]:
    return books_net(env.myunisoft, GARAGE_SOCIETY, period, linked_numbers(env.services.links, GARAGE))


def _states(run: Run) -> list[str]:
    return [f.state for f in run.findings]


def test_a_correction_in_silae_is_found_said_and_replaced_exactly_once(env: Env, synced: Period) -> None:
    period = synced
    watch = _run(env, "watch", GARAGE, period, "1")
    assert _states(watch) == ["in_sync", "in_sync"] and watch.diagnoses == []

    env.silae.correct_payroll(GARAGE_NUMBER, period, add_a_bonus(Decimal("450.00")))
    watch = _run(env, "watch", GARAGE, period, "2")
    assert _states(watch) == ["changed_in_silae", "in_sync"]
    assert watch.entries == []  # a watch posts nothing by default
    [found] = watch.diagnoses
    assert found.code == "PAIE-MODIFIEE" and f"{period.month:02d}/{period.year}" in found.message
    [entry] = found.details["entries"]
    assert {d["account"] for d in entry["differences"]} == {"641100", "421000"}
    assert Decimal(entry["current_totals"]["debit"]) - Decimal(entry["posted_totals"]["debit"]) == Decimal(
        "450.00"
    )
    assert _books(env, period) != silae_net(env.silae, GARAGE_NUMBER, period)

    replace = _run(env, "replace", GARAGE, period, "1")
    assert replace.status is RunStatus.SUCCEEDED, replace.diagnoses
    assert [(e.step, e.version, e.status) for e in replace.entries] == [
        ("reversal", 1, "posted"),
        ("entry", 2, "posted"),
    ]
    reversal, version = replace.entries
    assert reversal.files == [] and version.files  # the new version carries the files, the reversal none
    assert version.partner_id.endswith("-v2") and reversal.partner_id.endswith("-x1")
    assert _books(env, period) == silae_net(env.silae, GARAGE_NUMBER, period)
    posted = society_entries(env, GARAGE_SOCIETY)
    assert len(posted) == 4
    cancelled = next(e for e in posted if e["entry_origin_partner_id"].endswith("-x1"))
    assert all(line["label"].startswith("Annulation — ") for line in cancelled["lines"])
    assert '"fingerprint"' in (cancelled["json"] or "") and '"version": 1' in (cancelled["json"] or "")

    again = _run(env, "replace", GARAGE, period, "2")
    assert again.entries == [] and _states(again) == ["in_sync", "in_sync"]
    assert len(society_entries(env, GARAGE_SOCIETY)) == 4


def test_a_deleted_entry_is_sent_again_and_an_edited_one_is_only_shown(env: Env, synced: Period) -> None:
    period = synced
    first, second = society_entries(env, GARAGE_SOCIETY)
    env.myunisoft.delete_entry(GARAGE_SOCIETY, first["entry_id"])

    def edit(lines: list[dict[str, object]]) -> None:
        lines[0]["label"] = "Salaires (corrigé par le cabinet)"

    env.myunisoft.edit_entry(GARAGE_SOCIETY, second["entry_id"], edit)
    watch = _run(env, "watch", GARAGE, period, "1")
    assert _states(watch) == ["deleted_in_myunisoft", "changed_in_myunisoft"]
    assert [d.code for d in watch.diagnoses] == ["ECRITURE-SUPPRIMEE", "ECRITURE-MODIFIEE"]

    replace = _run(env, "replace", GARAGE, period, "1")
    assert [(e.step, e.version, e.status) for e in replace.entries] == [("entry", 2, "posted")]
    origins = [e["entry_origin_partner_id"] for e in society_entries(env, GARAGE_SOCIETY)]
    assert len(origins) == 2 and origins[1].endswith("-v2")  # the edited one is left as the firm made it
    assert _states(_run(env, "watch", GARAGE, period, "2")) == ["in_sync", "changed_in_myunisoft"]


def test_a_replace_into_a_fiscal_year_closed_since_does_nothing(env: Env, synced: Period) -> None:
    period = synced
    env.silae.correct_payroll(GARAGE_NUMBER, period, add_a_bonus(Decimal("100.00")))
    for exercice in list(env.myunisoft.exercices.values()):
        if exercice.society_id == GARAGE_SOCIETY:
            env.myunisoft.close_exercice(GARAGE_SOCIETY, exercice.exercice_id)
    replace = _run(env, "replace", GARAGE, period, "1")
    assert replace.status is RunStatus.FAILED
    assert [d.code for d in replace.diagnoses] == ["PAIE-MODIFIEE", "ECR9"]
    assert replace.entries == [] and len(society_entries(env, GARAGE_SOCIETY)) == 2


def test_a_month_not_closed_in_silae_is_told_from_one_without_payroll(env: Env, world) -> None:  # type: ignore[no-untyped-def]
    run_nightly(env, NIGHT)
    drain(env)
    dossier = env.services.config.get_dossier(GARAGE)
    pending = Period.parse(dossier.pending_period)  # no payroll in Silae yet
    env.silae.set_payroll(GARAGE_NUMBER, pending, [])
    env.silae.set_open_period(GARAGE_NUMBER, pending)
    late = _run(env, "sync", GARAGE, pending, "open")
    assert late.status is RunStatus.NO_DATA and [d.code for d in late.diagnoses] == ["PAIE-NON-CLOTUREE"]
    env.silae.set_open_period(GARAGE_NUMBER, pending.next())
    empty = _run(env, "sync", GARAGE, pending, "closed")
    assert empty.status is RunStatus.NO_DATA and [d.code for d in empty.diagnoses] == ["NO-PAYROLL-ENTRIES"]


def test_the_planner_watches_synced_periods_once_per_interval(env: Env, synced: Period) -> None:
    dossier = env.services.config.get_dossier(GARAGE)
    assert (dossier.watch_days, dossier.watch_interval_days, dossier.auto_replace_corrections) == (
        62,
        7,
        False,
    )
    synced_on = env.services.clock().date()  # the watch starts from the day of the sync
    assert run_nightly(env, synced_on + timedelta(days=6))["watches"] == 0  # not before the interval
    planned = run_nightly(env, synced_on + timedelta(days=7))
    assert planned["watches"] == 4  # boulangerie, garage, café, girard: every dossier that posted
    assert run_nightly(env, synced_on + timedelta(days=8))["watches"] == 0  # once per interval
    drain(env)
    watches = [r for r in env.services.runs.list_for_dossier(GARAGE, limit=10) if r.kind == "watch"]
    assert len(watches) == 1 and watches[0].status is RunStatus.SUCCEEDED
    assert [f.state for f in watches[0].findings] == ["in_sync", "in_sync"]
    assert run_nightly(env, synced_on + timedelta(days=14))["watches"] == 4
    assert run_nightly(env, synced_on + timedelta(days=63 + 7))["watches"] == 0  # past watch_days


def test_a_dossier_replacing_corrections_by_itself_does_so_at_its_watch(env: Env, synced: Period) -> None:
    config = env.services.config
    config.put_dossier(config.get_dossier(GARAGE).model_copy(update={"auto_replace_corrections": True}))
    env.silae.correct_payroll(GARAGE_NUMBER, synced, add_a_bonus(Decimal("80.00"), rupture=1))
    watch = _run(env, "watch", GARAGE, synced, "auto")
    assert [(e.step, e.version) for e in watch.entries] == [("reversal", 1), ("entry", 2)]
    assert _books(env, synced) == silae_net(env.silae, GARAGE_NUMBER, synced)


@pytest.fixture
def mail(env: Env, monkeypatch: pytest.MonkeyPatch) -> Mail:
    return mail_for(env, monkeypatch)


def test_the_morning_digest_tells_a_finding_once(env: Env, synced: Period, mail: Mail) -> None:
    from paysync.usecases.reminders import send_reminders

    env.silae.correct_payroll(GARAGE_NUMBER, synced, add_a_bonus(Decimal("450.00")))
    _run(env, "watch", GARAGE, synced, "1")
    now = env.services.clock()
    first = send_reminders(env.services, mail.log, mail.mailer, owner="req-1", now=now)
    assert first.findings_due == 1
    [email] = [s.email for s in first.sent if s.firm_id == "cabinet-dupont"]
    assert "PAIE-MODIFIEE" in email.text and "641100" in email.text and "Garage Leroy" in email.text
    assert "Comptabilité à vérifier".upper() in email.text.upper()

    _run(env, "watch", GARAGE, synced, "2")  # next week's watch finds the same correction
    later = send_reminders(env.services, mail.log, mail.mailer, owner="req-2", now=now + timedelta(days=7))
    assert later.findings_due == 0 and not any("PAIE-MODIFIEE" in s.email.text for s in later.sent)
