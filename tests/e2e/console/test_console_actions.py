"""The console driving paysync: test connection, sync now (followed to its end), the dry run, the
manual account link, the firm page, discovery. These change the stack: a module of their own."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.e2e.console.served import DUPONT, LEMOINE, SUGGESTED, Console, Served

pytestmark = pytest.mark.e2e

DEMO_SECRETS = ("secret-dupont-71b2", "key-dupont-aa01", "tok-cabinet-dupont", "cid-dupont-5c1a")


def api(served: Served, method: str, path: str, firm: str = DUPONT, **kwargs: Any) -> Any:
    answer = httpx.request(
        method,
        f"{served.url}v1{path}",
        headers={"Authorization": f"Bearer {served.keys[firm]}"},
        timeout=60,
        **kwargs,
    )
    assert answer.status_code < 300, answer.text
    return answer.json()


def test_test_connection_shows_each_check_as_the_api_returns_it(console: Console) -> None:
    expected = api(console.served, "POST", "/dossiers/transports-bernard/test-connection")["checks"]
    console.signed_in_at(DUPONT, "#/dossiers/transports-bernard")
    page = console.page
    button = page.get_by_role("button", name="Tester la connexion")
    # A slow call shows that something is happening, on its button and in words. Slow for sure:
    # without the latency, the call could end before the page is read.
    silae = console.served.stack.silae.faults
    silae.latency_seconds = 0.5
    try:
        button.click()
        assert button.get_attribute("aria-busy") == "true"
        assert "Vérifications en cours" in page.locator("[data-output=connection]").inner_text()
    finally:
        silae.latency_seconds = 0.0
    checks = page.locator("[data-output=connection] li[data-check]")
    checks.first.wait_for()
    assert checks.count() == len(expected)
    words = {"ok": "Réussi", "failed": "Échec", "skipped": "Non vérifié"}
    for shown, check in zip(checks.all(), expected, strict=True):
        assert shown.get_attribute("data-check") == check["id"]
        text = shown.inner_text()
        assert words[check["status"]] in text and check["label"] in text and check["message"] in text
        if check["remedy"]:
            assert check["remedy"] in text
    assert "La connexion ne fonctionne pas encore" in page.locator("[data-output=connection]").inner_text()


def test_sync_now_is_followed_to_its_end(console: Console) -> None:
    console.signed_in_at(DUPONT, "#/dossiers/garage-leroy")
    page = console.page
    page.get_by_role("heading", name="Historique").wait_for()
    assert page.locator("tr[data-run]").count() == 1
    page.get_by_role("button", name="Synchroniser maintenant").click()
    result = page.locator("[data-output=sync] .run-result")
    result.wait_for(timeout=60_000)
    runs = api(console.served, "GET", "/dossiers/garage-leroy/runs")["runs"]
    latest = runs[0]
    assert latest["trigger"] == "on_demand" and latest["finished"]
    assert result.get_attribute("data-run-status") == latest["status"] == "succeeded"
    # Both OD were posted by the night: this run finds them already there, posts nothing twice.
    assert latest["already_posted"] == 2 and latest["posted"] == 0
    page.wait_for_function("() => document.querySelectorAll('tr[data-run]').length === 2")
    assert page.locator(f"tr[data-run='{latest['run_id']}']").is_visible()
    # The chart per month says the same: the night posted both OD, nothing blocked, nothing failed.
    chart = page.get_by_role("img", name="Synchronisations par mois")
    assert "2 envoyée(s), 0 bloquée(s), 0 échec(s)" in (chart.get_attribute("aria-label") or "")
    assert chart.locator("rect.chart__bar--posted").count() == 1
    # The night's run lists its MyUnisoft entry ids and request-ids.
    night = runs[1]
    details = page.locator(f"tr[data-run='{night['run_id']}'] details")
    details.locator("summary").click()
    for entry in night["entries"]:
        assert str(entry["entry_id"]) in details.inner_text()
        assert entry["request_id"] in details.inner_text()


def test_the_dry_run_previews_without_posting(console: Console) -> None:
    before = api(console.served, "GET", "/dossiers/boulangerie-martin/runs")["runs"]
    console.signed_in_at(DUPONT, "#/dossiers/boulangerie-martin")
    page = console.page
    page.get_by_role("button", name="Aperçu (sans envoi)").click()
    preview = page.locator("[data-output=sync] .dry-run")
    preview.wait_for(timeout=60_000)
    assert "rien n'a été envoyé à MyUnisoft" in preview.inner_text()
    assert "Paie" in preview.inner_text() and "journal-paie-" in preview.inner_text()
    assert api(console.served, "GET", "/dossiers/boulangerie-martin/runs")["runs"] == before


def test_a_manual_link_to_an_unknown_account_shows_the_api_s_refusal(console: Console) -> None:
    """Before the link below (the manual form is offered while the account has no match)."""
    console.signed_in_at(LEMOINE, "#/dossiers/menuiserie-girard/comptes")
    page = console.page
    page.get_by_label("Identifiant du compte MyUnisoft pour 438600").fill("424242")
    page.locator("tr[data-account='438600']").get_by_role("button", name="Lier", exact=True).click()
    alert = page.locator("[data-output=link] .alert--error")
    alert.wait_for()
    assert (
        "Le compte MyUnisoft 424242 n'existe pas dans le plan comptable du dossier « menuiserie-girard »."
        in alert.inner_text()
    )
    assert page.locator("tr[data-account='438600']").get_attribute("data-state") == "missing_with_suggestions"


def test_the_account_list_links_an_account(console: Console) -> None:
    console.signed_in_at(LEMOINE, "#/dossiers/menuiserie-girard/comptes")
    page = console.page
    row = page.locator("tr[data-account='438600']")
    row.wait_for()
    assert "Pas de correspondance — avec suggestion(s)" in row.inner_text()
    number, label = SUGGESTED
    row.get_by_role(
        "button", name=f"Lier le compte de paie 438600 au compte MyUnisoft {number} {label}"
    ).click()
    done = page.locator("[data-output=link] .alert--ok")
    done.wait_for()
    assert f"Le compte de paie 438600 est lié au compte MyUnisoft {number}" in done.inner_text()
    row = page.locator("tr[data-account='438600']")
    assert row.get_attribute("data-state") == "ok_different_code"
    assert "lié à la main" in row.inner_text()
    accounts = api(console.served, "GET", "/dossiers/menuiserie-girard/accounts", LEMOINE)["accounts"]
    linked = next(a for a in accounts if a["account_number"] == "438600")
    assert linked["origin"] == "manual" and linked["match"]["account_number"] == number


def test_the_firm_page_counts_down_tests_and_saves_without_showing_a_secret(console: Console) -> None:
    console.signed_in_at(DUPONT, "#/cabinet")
    page = console.page
    page.get_by_role("heading", name="Modifier le cabinet").wait_for()
    firm = api(console.served, "GET", f"/firms/{DUPONT}")
    assert firm["payroll"]["client_id_masked"] in page.locator("main").inner_text()
    assert page.locator("[data-countdown]").inner_text().count("valable encore") == 1
    page.get_by_role("button", name="Tester la connexion du cabinet").click()
    page.locator("[data-output=connection] li[data-check]").first.wait_for()
    # Without a dossier, the journal cannot be checked: nothing failed, that one was not checked.
    assert page.locator("[data-output=connection] li.check--failed").count() == 0
    assert "Aucune vérification n'a échoué" in page.locator("[data-output=connection]").inner_text()
    page.get_by_label("Adresses e-mail de contact (une par ligne)").fill(
        "paie@dupont-associes.fr\ncompta@dupont-associes.fr"
    )
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_text("Cabinet enregistré.").wait_for()
    assert api(console.served, "GET", f"/firms/{DUPONT}")["contact_emails"] == [
        "paie@dupont-associes.fr",
        "compta@dupont-associes.fr",
    ]
    html = page.content()
    assert not [secret for secret in DEMO_SECRETS if secret in html]


def test_new_credentials_are_tested_before_saving_and_refusals_are_shown(console: Console) -> None:
    console.signed_in_at(DUPONT, "#/cabinet")
    page = console.page
    page.get_by_role("heading", name="Modifier le cabinet").wait_for()
    page.get_by_label("Client ID").fill("cid-dupont-5c1a")
    page.get_by_role("button", name="Tester ces identifiants").click()
    alert = page.locator(".alert--error")
    alert.wait_for()
    assert "Saisissez les quatre champs" in alert.inner_text()
    page.get_by_label("Secret Client").fill("not-the-secret")
    page.get_by_label("Clé de configuration (clé principale)").fill("key-dupont-aa01")
    page.get_by_label("Date de génération du secret").fill("2026-06-01")
    page.get_by_role("button", name="Tester ces identifiants").click()
    page.locator("li[data-check]").first.wait_for()
    assert page.locator("li.check--failed").count() >= 1
    assert "not-the-secret" not in page.locator("main").inner_text()


def test_discovery_shows_each_proposal_as_the_api_makes_it(console: Console) -> None:
    answer = api(console.served, "POST", f"/firms/{DUPONT}/discovery", json={})
    console.signed_in_at(DUPONT, "#/decouverte")
    page = console.page
    page.get_by_role("button", name="Lancer la découverte").click()
    rows = page.locator("tr[data-payroll]")
    rows.first.wait_for(timeout=60_000)
    shown = {row.get_attribute("data-payroll"): row for row in rows.all()}
    assert set(shown) == {p["payroll_dossier_number"] for p in answer["proposals"]}
    for proposal in answer["proposals"]:
        row = shown[proposal["payroll_dossier_number"]]
        assert row.get_attribute("data-how") == proposal["how"]
        if proposal["configured_dossier_id"]:
            assert f"Déjà configuré : {proposal['configured_dossier_id']}" in row.inner_text()
        if proposal["how"] == "ambiguous":  # a society to choose among the candidates
            options = row.get_by_role("combobox").locator("option").all_inner_texts()
            assert len(options) == 1 + len(proposal["candidates"])
    for closed in answer["closed_payroll_dossiers"]:
        assert page.locator(f"[data-closed='{closed['number']}']").is_visible()


def test_a_refused_bulk_call_shows_the_api_s_message_and_creates_nothing(console: Console) -> None:
    before = api(console.served, "GET", f"/firms/{DUPONT}/dossiers")["dossiers"]
    console.signed_in_at(DUPONT, "#/decouverte")
    page = console.page
    page.get_by_role("button", name="Lancer la découverte").click()
    page.locator("tr[data-payroll]").first.wait_for(timeout=60_000)
    page.get_by_label("Jour de récupération (1 à 31)").fill("45")
    page.get_by_role("button", name="Créer ou mettre à jour les dossiers retenus").click()
    alert = page.locator("[data-output=bulk] .alert--error")
    alert.wait_for(timeout=60_000)
    text = alert.inner_text()
    assert "La requête contient des valeurs invalides." in text
    assert "defaults.run_day" in text and "doit être inférieur ou égal à 31" in text
    assert api(console.served, "GET", f"/firms/{DUPONT}/dossiers")["dossiers"] == before


def test_discovery_accepts_proposals_in_one_bulk_call(console: Console) -> None:
    console.signed_in_at(DUPONT, "#/decouverte")
    page = console.page
    page.get_by_role("button", name="Lancer la découverte").click()
    page.locator("tr[data-payroll]").first.wait_for(timeout=60_000)
    accepted = [
        row.get_attribute("data-payroll")
        for row in page.locator("tr[data-payroll]").all()
        if row.get_by_role("checkbox").is_checked()
    ]
    assert accepted  # the sure matches (SIREN, name) not yet configured are ticked
    accept = page.get_by_role("button", name="Créer ou mettre à jour les dossiers retenus")
    accept.click()
    results = page.locator("[data-output=bulk] tr[data-result]")
    results.first.wait_for(timeout=60_000)
    assert results.count() == len(accepted)
    assert {r.get_attribute("data-result") for r in results.all()} == {"created"}
    assert page.locator("[data-output=bulk] [data-counts]").inner_text() == f"Créé : {len(accepted)}"
    dossiers = api(console.served, "GET", f"/firms/{DUPONT}/dossiers")["dossiers"]
    assert {d["payroll_dossier_number"] for d in dossiers} >= set(accepted)
    # The same call again writes nothing: every line answers « Inchangé ».
    accept.click()
    page.locator("[data-output=bulk] tr[data-result=unchanged]").first.wait_for(timeout=60_000)
    assert {r.get_attribute("data-result") for r in results.all()} == {"unchanged"}
    assert api(console.served, "GET", f"/firms/{DUPONT}/dossiers")["dossiers"] == dossiers


def test_a_correction_in_silae_is_seen_on_the_period_screen_and_replaced_once(console: Console) -> None:
    from decimal import Decimal

    from local.books import add_a_bonus

    served = console.served
    period = served.world.period
    served.stack.silae.correct_payroll("000201", period, add_a_bonus(Decimal("120.00")))
    console.signed_in_at(LEMOINE, "#/dossiers/cafe-gare/periodes")
    page = console.page
    page.locator("tr[data-state]").first.wait_for()
    page.get_by_label("Vérifier maintenant dans Silae et MyUnisoft").check()
    page.get_by_role("button", name="Afficher").click()
    row = page.locator("tr[data-state=changed_in_silae]")
    row.wait_for(timeout=60_000)
    assert "Modifiée dans Silae" in row.inner_text() and "641100" in row.inner_text()
    assert "PAIE-MODIFIEE" in page.locator("[data-output=period]").inner_text()

    page.get_by_role("button", name="Remplacer").click()
    dialog = page.locator("dialog")
    dialog.wait_for(timeout=60_000)  # after the dry run's preview
    assert "Annulation — " in dialog.inner_text()
    dialog.get_by_role("button", name="Remplacer").click()
    page.locator("[data-output=replace] .run-result").wait_for(timeout=60_000)
    origins = [e["entry_origin_partner_id"] for e in served.stack.myunisoft.entries(201)]
    assert len(origins) == 3 and origins[1].endswith("-x1") and origins[2].endswith("-v2")

    page.get_by_role("button", name="Afficher").click()
    page.locator("tr[data-state=in_sync]").first.wait_for(timeout=60_000)
    assert page.locator("tr[data-state=changed_in_silae]").count() == 0


def test_what_the_night_s_watch_finds_shows_on_the_dashboard(console: Console) -> None:
    from decimal import Decimal

    from local.books import add_a_bonus
    from tests.harness import run_a_watch

    served = console.served
    period = served.world.period
    served.stack.silae.correct_payroll("000201", period, add_a_bonus(Decimal("75.00")))
    run_a_watch(
        served.services, "watch-dashboard", "cafe-gare", str(period)
    )  # the planner's, run by the worker

    console.signed_in_at(LEMOINE)
    row = console.page.locator("tr[data-dossier=cafe-gare]")
    assert row.get_attribute("data-status") == "changed_in_silae"
    assert "Modifiée dans Silae" in row.inner_text() and "PAIE-MODIFIEE" in row.inner_text()
