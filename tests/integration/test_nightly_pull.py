"""The nightly pull through the real handlers, over moto and the fakes."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from paysync.domain.models import RunStatus
from tests.harness import Env, drain, run_nightly, society_entries
from tests.integration.conftest import NIGHT


def _last_run(env: Env, dossier_id: str):  # type: ignore[no-untyped-def]
    runs = env.services.runs.list_for_dossier(dossier_id, limit=1)
    return runs[0] if runs else None


def test_the_night_posts_what_it_can_and_diagnoses_the_rest(env: Env, world) -> None:  # type: ignore[no-untyped-def]
    plan = run_nightly(env, NIGHT)
    assert plan["due"] == 8 and plan["created"] == 8  # Librairie Morel has automatic retrieval off
    report = drain(env)
    assert report.failures == 0

    expected = {
        "boulangerie-martin": (RunStatus.SUCCEEDED, 1, []),
        "garage-leroy": (RunStatus.SUCCEEDED, 2, []),
        "pharmacie-centre": (RunStatus.FAILED, 0, ["SILAE10"]),
        "transports-bernard": (RunStatus.FAILED, 0, ["SubscriptionKeyConflict"]),
        "cafe-gare": (RunStatus.SUCCEEDED, 1, []),
        "atelier-rousseau": (RunStatus.FAILED, 0, ["SILAE6"]),
        "cabinet-medical-petit": (RunStatus.FAILED, 0, ["SILAE4"]),
        "menuiserie-girard": (RunStatus.PARTIAL, 1, []),
    }
    for dossier_id, (status, posted, codes) in expected.items():
        run = _last_run(env, dossier_id)
        assert run is not None, dossier_id
        assert run.status is status, (dossier_id, run.status, run.diagnoses)
        assert run.posted == posted, dossier_id
        assert [d.code for d in run.diagnoses] == codes, dossier_id
        for d in run.diagnoses:
            assert d.message and d.remedy
    assert _last_run(env, "librairie-morel") is None

    girard = _last_run(env, "menuiserie-girard")
    blocked = [e for e in girard.entries if e.status == "blocked"]
    assert [d.code for d in blocked[0].diagnoses] == ["COMPTE2"]
    assert "438600" in blocked[0].diagnoses[0].message

    # What MyUnisoft holds: the entries, with the PDF, in the OD PAIE journal, with our partner ids.
    entries = society_entries(env, 101)
    assert len(entries) == 1
    boulangerie = _last_run(env, "boulangerie-martin")
    assert boulangerie.entries[0].entry_id is not None and boulangerie.entries[0].request_id
    assert boulangerie.files_attached == 1
    assert len(society_entries(env, 102)) == 2
    assert society_entries(env, 103) == [] and society_entries(env, 202) == []


def test_a_synced_dossier_moves_on_and_a_failed_one_stays_due(env: Env, world) -> None:  # type: ignore[no-untyped-def]
    run_nightly(env, NIGHT)
    drain(env)
    config = env.services.config
    synced = config.get_dossier("boulangerie-martin")
    assert synced.last_synced_period == str(world.period)
    assert synced.pending_period == str(world.period.next())
    assert synced.last_run.status == "succeeded"
    failed = config.get_dossier("atelier-rousseau")
    assert failed.pending_period == str(world.period) and failed.last_synced_period is None
    assert failed.last_run.diagnosis_codes == ["SILAE6"]

    # The firm fixes the journal; the next night picks the dossier up, and only it and the others still due.
    env.myunisoft.add_diary(202, "OD PAIE", "OD de paie", diary_type_code="OD_PAIE")
    plan = run_nightly(env, NIGHT + timedelta(days=1))
    assert plan["created"] == 5  # boulangerie, garage and café are synced and no longer due
    drain(env)
    assert _last_run(env, "atelier-rousseau").status is RunStatus.SUCCEEDED
    assert len(society_entries(env, 202)) == 1


def test_the_same_night_twice_creates_and_posts_nothing_new(env: Env, world) -> None:  # type: ignore[no-untyped-def]
    run_nightly(env, NIGHT)
    drain(env)
    before = sum(len(society_entries(env, s)) for s in (101, 102, 201, 204))
    again = run_nightly(env, NIGHT)
    # Synced dossiers are no longer due; the others already have their run for this night.
    assert (
        again["due"] == 5 and again["created"] == 0 and again["resent"] == 0 and again["already_handled"] == 5
    )
    assert drain(env).invocations == 0
    assert sum(len(society_entries(env, s)) for s in (101, 102, 201, 204)) == before == 5


def test_a_blocked_entry_fixed_later_is_posted_and_the_others_are_not_reposted(env: Env, world) -> None:  # type: ignore[no-untyped-def]
    run_nightly(env, NIGHT)
    drain(env)
    env.myunisoft.add_account(204, "438600", "Organismes sociaux - charges à payer")
    run_nightly(env, NIGHT + timedelta(days=1))
    drain(env)
    run = _last_run(env, "menuiserie-girard")
    assert run.status is RunStatus.SUCCEEDED
    assert sorted(e.status for e in run.entries) == ["already_posted", "posted"]
    assert len(society_entries(env, 204)) == 2


def test_expiry_warning_header_is_recorded_for_the_credential(env: Env, world) -> None:  # type: ignore[no-untyped-def]
    run_nightly(env, NIGHT)
    drain(env)
    firm = env.services.config.get_firm("fiduciaire-lemoine")
    assert firm.payroll.secret_expires_at is not None
    assert firm.payroll.expires_at == firm.payroll.secret_expires_at
    # Dupont's secret is far from expiry: Silae sent no warning, nothing learned.
    assert env.services.config.get_firm("cabinet-dupont").payroll.secret_expires_at is None


def test_no_secret_reaches_logs_items_or_runs(
    env: Env, world, caplog: pytest.LogCaptureFixture, capsys
) -> None:  # type: ignore[no-untyped-def]
    import boto3

    # paysync's own logger at its most verbose; third-party wire logs at the level a deployment uses.
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="paysync")
    run_nightly(env, NIGHT)
    drain(env)
    out = capsys.readouterr()
    secrets = [
        "secret-dupont-71b2", "secret-lemoine-0c4d", "secret-bernard-5a19",
        "key-dupont-aa01", "key-lemoine-bb02", "tok-cabinet-dupont", "tok-societe-201", "demo-partner-secret-9f8e7d",
    ]  # fmt: skip
    haystacks = [out.out, out.err, caplog.text]
    dynamodb = boto3.resource("dynamodb")
    for logical in ("ConfigTable", "RunsTable", "LedgerTable"):
        haystacks.append(str(dynamodb.Table(env.resources.name(logical)).scan()["Items"]))
    for secret in secrets:
        for text in haystacks:
            assert secret not in text


def test_an_expiry_learned_with_an_old_secret_is_not_stamped_on_a_new_one(env: Env, world) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, date, datetime

    config = env.services.config
    firm = config.get_firm("fiduciaire-lemoine")
    old_generation = firm.payroll.secret_generated_on
    # The firm saves a new secret while a sync still holds the old one.
    renewed = firm.payroll.model_copy(
        update={"secret_generated_on": date(2026, 11, 20), "secret_expires_at": None}
    )
    config.put_firm(firm.model_copy(update={"payroll": renewed}))
    late = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    config.record_secret_expiry("firm", firm.firm_id, late, generated_on=old_generation)
    assert config.get_firm(firm.firm_id).payroll.secret_expires_at is None
    config.record_secret_expiry("firm", firm.firm_id, late, generated_on=date(2026, 11, 20))
    assert config.get_firm(firm.firm_id).payroll.secret_expires_at == late
