"""Test connection over HTTP: every check against the fakes, each seed situation, and candidates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from local.demo_data import PARTNER_SECRET
from local.fakes.server import Fault
from paysync.storage.secrets import PayrollSecret
from tests.integration.api.conftest import Api

ORDER = [
    "firm_settings",
    "payroll_dossier_number",
    "payroll_token",
    "subscription_key",
    "dossier_access",
    "secret_expiry",
    "myunisoft_partner_secret",
    "myunisoft_token",
    "od_paie_journal",
]


def _test(api: Api, dossier_id: str, key: str | None = None) -> dict[str, Any]:
    report = api.ok("POST", f"/dossiers/{dossier_id}/test-connection", key=key or api.admin)
    assert [c["id"] for c in report["checks"]] == ORDER
    for check in report["checks"]:
        assert check["label"] and check["message"]
        if check["status"] == "failed":
            assert check["code"] and check["remedy"], check
        if check["status"] == "skipped":
            assert check["message"].startswith("Non vérifié"), check
    return report


def _by_id(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in report["checks"]}


def _statuses(report: dict[str, Any]) -> dict[str, str]:
    return {
        c["id"]: c["status"] if c["status"] != "failed" else f"failed:{c['code']}" for c in report["checks"]
    }


def test_a_well_configured_dossier_passes_every_check(api: Api) -> None:
    report = _test(api, "boulangerie-martin", api.dupont)
    assert report["ok"] is True and report["dossier_id"] == "boulangerie-martin"
    checks = _by_id(report)
    assert set(_statuses(report).values()) == {"ok"}
    assert checks["firm_settings"]["details"] == {"level": "firm", "saved": True}
    assert "000101" in checks["dossier_access"]["message"]
    assert checks["myunisoft_token"]["details"]["token_type"] == "cabinet"
    assert "OD PAIE" in checks["od_paie_journal"]["message"]
    assert (
        checks["secret_expiry"]["code"] is None and "valable jusqu'au" in checks["secret_expiry"]["message"]
    )


def test_the_seed_situations_each_give_their_diagnosis(api: Api) -> None:
    pharmacy = _statuses(_test(api, "pharmacie-centre"))
    assert pharmacy["dossier_access"] == "failed:SILAE10"
    assert pharmacy["subscription_key"] == "ok" and pharmacy["od_paie_journal"] == "ok"

    workshop = _statuses(_test(api, "atelier-rousseau"))
    assert workshop["od_paie_journal"] == "failed:SILAE6"
    assert workshop["myunisoft_token"] == "ok"

    surgery = _statuses(_test(api, "cabinet-medical-petit"))
    assert surgery["payroll_dossier_number"] == "failed:SILAE4"
    assert surgery["dossier_access"] == "skipped" and surgery["payroll_token"] == "ok"


def test_the_dossier_level_conflict_is_named_and_deleting_the_override_fixes_it(api: Api) -> None:
    report = _test(api, "transports-bernard", api.dupont)
    checks = _by_id(report)
    key = checks["subscription_key"]
    assert key["status"] == "failed" and key["code"] == "SubscriptionKeyConflict"
    assert "conflit" in key["message"] and "dossier" in key["message"]
    assert "supprimez les identifiants de paie saisis sur le dossier" in key["remedy"]
    assert key["details"]["delete_with"] == "DELETE /dossiers/transports-bernard/payroll-credentials"
    assert checks["payroll_token"]["status"] == "ok"  # the override's own Client ID/secret are valid
    assert checks["dossier_access"]["status"] == "skipped"

    api.ok("DELETE", "/dossiers/transports-bernard/payroll-credentials", key=api.dupont)
    fixed = _test(api, "transports-bernard", api.dupont)
    assert fixed["ok"] is True and _by_id(fixed)["firm_settings"]["details"]["level"] == "firm"


def test_a_wrong_key_without_a_working_firm_level_is_plain_subscription_key_invalid(api: Api) -> None:
    api.env.silae.revoke_subscription_key("key-dupont-aa01")
    checks = _by_id(_test(api, "boulangerie-martin"))
    assert checks["subscription_key"]["code"] == "SubscriptionKeyInvalid"
    assert "clé de configuration" in checks["subscription_key"]["remedy"]
    # And with the override too: the firm's credentials do not work either, so no "conflict".
    assert _by_id(_test(api, "transports-bernard"))["subscription_key"]["code"] == "SubscriptionKeyInvalid"


def test_expiry_is_announced_within_sixty_days_and_learned_from_silae(api: Api) -> None:
    report = _test(api, "cafe-gare", api.lemoine)
    expiry = _by_id(report)["secret_expiry"]
    assert expiry["status"] == "ok" and expiry["code"] == "SECRET-EXPIRES-SOON"
    assert expiry["details"]["source"] == "silae" and expiry["details"]["days_left"] in (5, 6)
    assert f"expire dans {expiry['details']['days_left']} jour(s)" in expiry["message"]
    assert "Régénérez" in expiry["remedy"]
    assert report["ok"] is True  # a warning, not a failure
    firm = api.env.services.config.get_firm("fiduciaire-lemoine")
    assert firm is not None and firm.payroll is not None and firm.payroll.secret_expires_at is not None


def test_no_payroll_settings_is_silae5_and_the_payroll_checks_are_skipped(api: Api) -> None:
    config = api.env.services.config
    firm = config.get_firm("fiduciaire-lemoine")
    config.put_firm(firm.model_copy(update={"payroll": None}))  # type: ignore[union-attr]
    statuses = _statuses(_test(api, "cafe-gare"))
    assert statuses["firm_settings"] == "failed:SILAE5"
    for check in ("payroll_token", "subscription_key", "dossier_access", "secret_expiry"):
        assert statuses[check] == "skipped"
    assert statuses["myunisoft_token"] == "ok"  # the MyUnisoft side is checked all the same


def test_a_wrong_client_secret_is_silae15_and_an_expired_one_silae13(api: Api) -> None:
    secrets, config = api.env.services.secrets, api.env.services.config
    secrets.put_payroll(
        "firm", "fiduciaire-lemoine", PayrollSecret("cid-lemoine-93f0", "wrong", "key-lemoine-bb02")
    )
    statuses = _statuses(_test(api, "cafe-gare"))
    assert statuses["payroll_token"] == "failed:SILAE15"
    assert statuses["subscription_key"] == "skipped" and statuses["dossier_access"] == "skipped"

    secrets.put_payroll(
        "firm",
        "fiduciaire-lemoine",
        PayrollSecret("cid-lemoine-93f0", "secret-lemoine-0c4d", "key-lemoine-bb02"),
    )
    api.env.silae.add_api_account(
        "cid-lemoine-93f0", "secret-lemoine-0c4d", secret_expires_at=datetime.now(UTC) - timedelta(days=1)
    )
    firm = config.get_firm("fiduciaire-lemoine")
    assert firm is not None and firm.payroll is not None
    old = firm.payroll.model_copy(update={"secret_generated_on": date.today() - timedelta(days=400)})
    config.put_firm(firm.model_copy(update={"payroll": old}))
    checks = _by_id(_test(api, "cafe-gare"))
    assert checks["payroll_token"]["code"] == "SILAE13" and "régénérez" in checks["payroll_token"]["remedy"]
    assert checks["secret_expiry"]["status"] == "failed" and checks["secret_expiry"]["code"] == "SILAE13"


def test_myunisoft_token_and_partner_secret_failures(api: Api) -> None:
    fake = api.env.myunisoft
    fake.revoke_token("tok-societe-201")
    statuses = _statuses(_test(api, "cafe-gare"))
    assert statuses["myunisoft_partner_secret"] == "ok"
    assert statuses["myunisoft_token"] == "failed:ERR-API-TOKEN-NOT-FOUND"
    assert statuses["od_paie_journal"] == "skipped"

    fake.set_partner_secret_active(PARTNER_SECRET, False)
    statuses = _statuses(_test(api, "boulangerie-martin"))
    assert statuses["myunisoft_partner_secret"] == "failed:ERR-INVALID-SECRET"
    assert statuses["myunisoft_token"] == "skipped" and statuses["od_paie_journal"] == "skipped"
    assert statuses["payroll_token"] == "ok"  # the payroll side does not depend on it

    api.env.services.secrets.delete("dossier", "atelier-rousseau", "myunisoft")
    config = api.env.services.config
    dossier = config.get_dossier("atelier-rousseau")
    config.put_dossier(dossier.model_copy(update={"has_societe_token": False}))  # type: ignore[union-attr]
    statuses = _statuses(_test(api, "atelier-rousseau"))
    assert statuses["myunisoft_token"] == "failed:MYUNISOFT-TOKEN-MISSING"
    assert statuses["myunisoft_partner_secret"] == "skipped"


def test_a_missing_partner_secret_is_said_so(api: Api) -> None:
    import boto3

    boto3.client("secretsmanager").delete_secret(
        SecretId=api.env.services.settings.partner_secret_name, ForceDeleteWithoutRecovery=True
    )
    statuses = _statuses(_test(api, "boulangerie-martin"))
    assert statuses["myunisoft_partner_secret"] == "failed:PARTNER-SECRET-MISSING"
    assert statuses["myunisoft_token"] == "skipped"


def test_testing_activates_a_new_myunisoft_key_and_checks_it_is_the_dossier_s(api: Api) -> None:
    fake, secrets = api.env.myunisoft, api.env.services.secrets
    fake.add_society_token("tok-societe-201-new", 201)
    secrets.put_myunisoft_token("dossier", "cafe-gare", "tok-societe-201-new")
    assert fake.token_activated("tok-societe-201-new") is False
    token = _by_id(_test(api, "cafe-gare"))["myunisoft_token"]
    assert token["status"] == "ok" and token["details"]["activated"] is True
    assert fake.token_activated("tok-societe-201-new") is True

    # A société token of another society is refused with what to do.
    secrets.put_myunisoft_token("dossier", "cafe-gare", "tok-societe-202")
    wrong = _by_id(_test(api, "cafe-gare"))["myunisoft_token"]
    assert wrong["code"] == "MYUNISOFT-SOCIETY-MISMATCH" and wrong["details"]["token_society_id"] == 202


def test_an_unreachable_service_fails_its_check_with_a_transient_diagnosis_not_an_error(api: Api) -> None:
    api.env.silae.faults.add(Fault(kind="status", status=503, times=None, path_contains="/oauth2"))
    api.env.myunisoft.faults.add(Fault(kind="reset", times=None, path_contains="/key/info"))
    statuses = _statuses(_test(api, "boulangerie-martin"))
    assert statuses["payroll_token"] == "failed:TRANSIENT-EXHAUSTED"
    assert statuses["myunisoft_token"] == "failed:TRANSIENT-EXHAUSTED"
    assert statuses["myunisoft_partner_secret"] == "skipped"


def test_once_the_time_budget_is_spent_no_call_starts(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    from paysync.usecases import connection_check

    monkeypatch.setattr(connection_check, "BUDGET_SECONDS", 0.0)
    calls = api.env.silae.call_count() + api.env.myunisoft.call_count()
    statuses = _statuses(_test(api, "boulangerie-martin"))
    assert statuses["payroll_token"] == "skipped" and statuses["myunisoft_token"] == "skipped"
    assert statuses["firm_settings"] == "ok"
    assert api.env.silae.call_count() + api.env.myunisoft.call_count() == calls


def test_candidate_credentials_are_tested_before_saving_and_never_stored(api: Api) -> None:
    good = {
        "payroll": {
            "client_id": "cid-bernard-2e77",
            "client_secret": "secret-bernard-5a19",
            "subscription_key": "key-bernard-cc03",
            "secret_generated_on": (date.today() - timedelta(days=30)).isoformat(),
        },
        "payroll_dossier_number": "000999",
        "myunisoft_cabinet_token": "tok-cabinet-dupont",
        "society_id": 101,
    }
    report = api.ok("POST", "/firms/cabinet-nouveau/test-connection", json=good)
    assert report["ok"] is True and report["dossier_id"] is None and report["firm_id"] == "cabinet-nouveau"
    assert _by_id(report)["firm_settings"]["details"] == {"level": "firm", "saved": False}

    wrong = {
        **good,
        "payroll": {**good["payroll"], "client_secret": "not-it"},
        "payroll_dossier_number": "000101",
    }
    statuses = _statuses(api.ok("POST", "/firms/cabinet-nouveau/test-connection", json=wrong))
    assert statuses["payroll_token"] == "failed:SILAE15"
    assert api.env.services.config.get_firm("cabinet-nouveau") is None
    assert api.env.services.secrets.payroll("firm", "cabinet-nouveau") is None

    # Left out: the saved firm's credentials; nothing to check against: skipped, not failed.
    saved = _statuses(api.ok("POST", "/firms/cabinet-dupont/test-connection", key=api.dupont))
    assert saved["payroll_token"] == "ok" and saved["payroll_dossier_number"] == "skipped"
    assert saved["dossier_access"] == "skipped" and saved["od_paie_journal"] == "skipped"
    assert api.call("POST", "/firms/fiduciaire-lemoine/test-connection", key=api.dupont).status_code == 404
