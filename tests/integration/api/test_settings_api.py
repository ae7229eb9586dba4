"""Settings over HTTP: firms and dossiers; secrets to Secrets Manager, metadata in the answers."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import boto3
import pytest

from paysync.domain.periods import due_date, last_closed_period
from tests.integration.api.conftest import Api, paris_today

PAYROLL = {
    "client_id": "cid-nouveau-4411",
    "client_secret": "s3cret-nouveau-client-9931",
    "subscription_key": "k3y-nouveau-subscription-7720",
    "secret_generated_on": "2026-09-15",
}


def _config_items(api: Api) -> list[dict]:  # type: ignore[type-arg]
    table = boto3.resource("dynamodb").Table(api.env.services.settings.config_table)
    return table.scan()["Items"]


def test_an_operator_creates_a_firm_secrets_go_to_secrets_manager_and_answers_show_metadata(api: Api) -> None:
    body = {
        "name": "Cabinet Nouveau",
        "contact_emails": ["Paie@Nouveau.fr", "paie@nouveau.fr"],
        "payroll": PAYROLL,
        "myunisoft_cabinet_token": "tok-cabinet-nouveau-5510",
    }
    created = api.ok("PUT", "/firms/cabinet-nouveau", json=body, status=201)
    assert created["firm_id"] == "cabinet-nouveau" and created["name"] == "Cabinet Nouveau"
    assert created["contact_emails"] == ["paie@nouveau.fr"]
    assert created["has_cabinet_token"] is True
    assert created["payroll"] == {
        "level": "firm",
        "client_id_masked": "cid-…4411",
        "secret_generated_on": "2026-09-15",
        "secret_expires_on": "2027-09-15",
        "expiry_learned_from_silae": False,
    }
    assert api.ok("GET", "/firms/cabinet-nouveau") == created

    secrets = api.env.services.secrets
    stored = secrets.payroll("firm", "cabinet-nouveau")
    assert stored is not None and stored.client_secret == PAYROLL["client_secret"]
    assert stored.subscription_key == PAYROLL["subscription_key"]
    assert secrets.myunisoft_token("firm", "cabinet-nouveau") == "tok-cabinet-nouveau-5510"
    raw = repr(_config_items(api))
    for value in (PAYROLL["client_secret"], PAYROLL["subscription_key"], "tok-cabinet-nouveau-5510"):
        assert value not in raw

    # An update without secrets keeps them; the name changes only.
    updated = api.ok("PUT", "/firms/cabinet-nouveau", json={"name": "Cabinet Nouveau & Fils"})
    assert updated["name"] == "Cabinet Nouveau & Fils" and updated["payroll"] == created["payroll"]
    assert secrets.payroll("firm", "cabinet-nouveau") == stored


def test_a_firm_key_updates_its_own_firm_but_creates_none_and_touches_no_other(api: Api) -> None:
    mine = api.ok(
        "PUT", "/firms/cabinet-dupont", key=api.dupont, json={"contact_emails": ["compta@dupont.fr"]}
    )
    assert mine["contact_emails"] == ["compta@dupont.fr"] and mine["name"] == "Cabinet Dupont & Associés"
    # Another firm, existing or not, is answered alike: missing.
    for path in ("/firms/fiduciaire-lemoine", "/firms/cabinet-tout-neuf"):
        refused = api.call("PUT", path, key=api.dupont, json={"name": "X"})
        assert refused.status_code == 404
        assert refused.json()["code"] == "not_found" and "n'existe pas" in refused.json()["message"]
    assert api.call("GET", "/firms/fiduciaire-lemoine", key=api.dupont).status_code == 404
    assert api.call("GET", "/firms/fiduciaire-lemoine/dossiers", key=api.dupont).status_code == 404
    names = [
        d["dossier_id"] for d in api.ok("GET", "/firms/cabinet-dupont/dossiers", key=api.dupont)["dossiers"]
    ]
    assert names == ["boulangerie-martin", "garage-leroy", "pharmacie-centre", "transports-bernard"]


def test_creating_a_dossier_defaults_its_pending_period_to_the_last_closed_month(api: Api) -> None:
    body = {
        "name": "Fleuriste Blanc",
        "society_id": 150,
        "payroll_dossier_number": "000150",
        "auto_pull": True,
        "run_day": 31,
        "contact_emails": ["gerant@fleuriste-blanc.fr"],
        "myunisoft_societe_token": "tok-societe-fleuriste-8812",
    }
    # A firm key creates in its own firm without naming it.
    created = api.ok("PUT", "/dossiers/fleuriste-blanc", key=api.dupont, json=body, status=201)
    expected = last_closed_period(paris_today())
    assert created["firm_id"] == "cabinet-dupont"
    assert created["pending_period"] == str(expected)
    assert (
        created["next_due"] == expected.next().day(31).isoformat()
    )  # a run day past the month's end: its last day
    assert created["has_societe_token"] is True and created["myunisoft_token"] == "societe"
    assert created["payroll_override"] is None and created["payroll_applies"]["level"] == "firm"
    assert (
        api.env.services.secrets.myunisoft_token("dossier", "fleuriste-blanc") == "tok-societe-fleuriste-8812"
    )
    # It is due in the nightly index like any other.
    dossier = api.env.services.config.get_dossier("fleuriste-blanc")
    assert dossier is not None and dossier.auto_pull and dossier.run_day == 31

    # Given explicitly, the period is kept; fields left out keep their value.
    again = api.ok("PUT", "/dossiers/fleuriste-blanc", json={"pending_period": "2026-01", "run_day": 3})
    assert again["pending_period"] == "2026-01" and again["next_due"] == "2026-02-03"
    assert again["society_id"] == 150 and again["auto_pull"] is True and again["name"] == "Fleuriste Blanc"
    assert api.ok("GET", "/dossiers/fleuriste-blanc", key=api.dupont) == again


def test_dossier_level_payroll_credentials_are_saved_then_deleted(api: Api) -> None:
    payroll = {**PAYROLL, "client_id": "cid-override-0042"}
    saved = api.ok("PUT", "/dossiers/garage-leroy", key=api.dupont, json={"payroll": payroll})
    assert saved["payroll_override"]["level"] == "dossier"
    assert saved["payroll_override"]["client_id_masked"] == "cid-…0042"
    assert saved["payroll_applies"] == saved["payroll_override"]
    secrets = api.env.services.secrets
    assert secrets.payroll("dossier", "garage-leroy") is not None

    cleared = api.ok("DELETE", "/dossiers/garage-leroy/payroll-credentials", key=api.dupont)
    assert cleared["payroll_override"] is None and cleared["payroll_applies"]["level"] == "firm"
    assert secrets.payroll("dossier", "garage-leroy") is None
    assert api.env.services.config.get_dossier("garage-leroy").payroll_override is None  # type: ignore[union-attr]
    # Deleting again is harmless.
    assert api.ok("DELETE", "/dossiers/garage-leroy/payroll-credentials")["payroll_override"] is None


def test_a_dossier_edit_never_overwrites_what_a_run_recorded_meanwhile(api: Api) -> None:
    from paysync.usecases.settings import DossierChange, save_dossier

    config = api.env.services.config
    before = config.get_dossier("garage-leroy")
    assert before is not None
    # A run finishes and moves the pending period while the settings are being edited.
    advanced = before.model_copy(update={"pending_period": "2026-11", "last_synced_period": "2026-10"})
    now = api.env.services.clock()
    assert config.update_dossier(before, advanced, ("pending_period", "last_synced_period"), now=now)
    stale = before.model_copy(update={"run_day": 9})
    assert config.update_dossier(before, stale, ("run_day",), now=now) is None  # the due date would be wrong
    from paysync.domain.access import Principal

    dossier, _, created = save_dossier(
        api.env.services, Principal(scope="admin", key_id="x"), "garage-leroy", DossierChange(run_day=9)
    )
    assert not created and dossier.run_day == 9
    assert dossier.pending_period == "2026-11" and dossier.last_synced_period == "2026-10"


def test_a_dossier_cannot_move_to_another_firm_nor_be_created_without_its_firm(api: Api) -> None:
    moved = api.call("PUT", "/dossiers/garage-leroy", key=api.admin, json={"firm_id": "fiduciaire-lemoine"})
    assert moved.status_code == 409 and moved.json()["code"] == "conflict"
    assert "cabinet-dupont" in moved.json()["message"]

    unknown_firm = api.call(
        "PUT", "/dossiers/orphelin", key=api.admin, json={"firm_id": "nulle-part", "name": "O"}
    )
    assert unknown_firm.status_code == 422
    assert unknown_firm.json()["details"] == [
        {"field": "firm_id", "message": "Le cabinet « nulle-part » n'existe pas."}
    ]

    no_firm = api.call("PUT", "/dossiers/orphelin", key=api.admin, json={"name": "O"})
    assert no_firm.status_code == 422 and no_firm.json()["details"][0]["field"] == "firm_id"
    no_name = api.call("PUT", "/dossiers/orphelin", key=api.admin, json={"firm_id": "cabinet-dupont"})
    assert no_name.status_code == 422 and no_name.json()["details"][0]["field"] == "name"

    # Another firm's id cannot be created again; another firm is not reachable.
    other = api.call("PUT", "/dossiers/cafe-gare", key=api.dupont, json={"name": "Mien"})
    assert other.status_code == 409 and other.json()["message"] == (
        "Le dossier « cafe-gare » existe déjà : rien n'a été enregistré."
    )
    elsewhere = api.call(
        "PUT", "/dossiers/nouveau", key=api.dupont, json={"firm_id": "fiduciaire-lemoine", "name": "N"}
    )
    assert elsewhere.status_code == 422 and elsewhere.json()["details"] == [
        {"field": "firm_id", "message": "Le cabinet « fiduciaire-lemoine » n'existe pas."}
    ]
    assert api.env.services.config.get_dossier("nouveau") is None


def test_a_future_secret_generation_date_is_refused_before_anything_is_stored(api: Api) -> None:
    future = date(paris_today().year + 1, 1, 1).isoformat()
    refused = api.call(
        "PUT",
        "/firms/cabinet-dupont",
        key=api.admin,
        json={"payroll": {**PAYROLL, "secret_generated_on": future}},
    )
    assert refused.status_code == 422
    assert refused.json()["details"][0]["field"] == "payroll.secret_generated_on"
    stored = api.env.services.secrets.payroll("firm", "cabinet-dupont")
    assert stored is not None and stored.client_id == "cid-dupont-5c1a"


def test_a_save_keeps_what_the_worker_recorded_while_it_was_being_made(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between the save's read and its write, the worker learns the secret's expiry from Silae and
    records a run: neither is lost."""
    from paysync.domain.models import Run, RunStatus
    from paysync.storage.config_table import ConfigRepository

    config = api.env.services.config
    announced = datetime(2027, 1, 20, 6, 0, tzinfo=UTC)
    reads = {"get_firm": ConfigRepository.get_firm, "get_dossier": ConfigRepository.get_dossier}
    meanwhile: list[str] = []

    def read_then_the_worker_writes(name: str) -> Any:
        def read(self: ConfigRepository, owner_id: str) -> Any:
            found = reads[name](self, owner_id)
            if found is not None and name not in meanwhile:
                meanwhile.append(name)
                if name == "get_firm":
                    generated = found.payroll.secret_generated_on
                    self.record_secret_expiry("firm", owner_id, announced, generated_on=generated)
                else:
                    run = Run(
                        run_id="run-pendant",
                        dossier_id=owner_id,
                        firm_id=found.firm_id,
                        period=found.pending_period,
                        trigger="nightly",
                        status=RunStatus.SUCCEEDED,
                        message_group=found.message_group,
                    )
                    self.record_run(found, run, synced=True)
            return found

        return read

    for name in reads:
        monkeypatch.setattr(ConfigRepository, name, read_then_the_worker_writes(name))
    firm = api.ok("PUT", "/firms/fiduciaire-lemoine", json={"name": "Fiduciaire Lemoine & Co"})
    assert firm["name"] == "Fiduciaire Lemoine & Co" and firm["payroll"]["expiry_learned_from_silae"] is True
    stored = config.get_firm("fiduciaire-lemoine")
    assert stored is not None and stored.payroll is not None and stored.payroll.secret_expires_at == announced

    before = reads["get_dossier"](config, "cafe-gare")
    assert before is not None
    dossier = api.ok("PUT", "/dossiers/cafe-gare", key=api.lemoine, json={"name": "Café", "run_day": 3})
    after = config.get_dossier("cafe-gare")
    assert after is not None and after.last_run is not None and after.last_run.run_id == "run-pendant"
    assert after.pending_period == str(before.pending.next()) == dossier["pending_period"]
    assert (after.name, after.run_day) == ("Café", 3)
    assert dossier["next_due"] == due_date(after.pending, 3).isoformat()
    assert meanwhile == ["get_firm", "get_dossier"]
